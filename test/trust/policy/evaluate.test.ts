import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { evaluatePolicy, parsePolicy, type PolicyDecision } from '../../../src/trust/policy/index.js';
import { CASES, instantiate, judgeAll, REPO, TAG, type Judged } from './skopeo-judge.js';

let J: Judged;
beforeAll(async () => {
  J = await judgeAll();
}, 300_000);

async function sigscan(name: string): Promise<PolicyDecision> {
  const c = CASES[name]!;
  const keyData = readFileSync(join(J.dir, 'key.gpg')).toString('base64');
  const policy = parsePolicy(instantiate(JSON.stringify(c.policy), J.dir, J.host, J.digest, keyData));
  const image = {
    registry: J.host,
    repository: REPO,
    tag: c.by === 'tag' ? TAG : undefined,
    digest: J.digest,
  };
  const sigs = c.sigs.map((s) => new Uint8Array(readFileSync(join(J.dir, `${s}.sig`))));
  return evaluatePolicy(policy, image, sigs, { now: new Date() });
}

describe('dump', () => {
  it('dumps', async () => {
    for (const name of Object.keys(CASES)) {
      const d = await sigscan(name);
      console.log(JSON.stringify([name, J.skopeo[name], d, J.why[name]]));
    }
  });
});
