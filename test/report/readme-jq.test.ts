/** The jq recipes in the README, run with the real jq against saved reports. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PROJECT_ROOT, run } from '../helpers/tools.js';
import { GOLDEN } from './helpers.js';

async function recipes(): Promise<string[][]> {
  const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- jq-recipes -->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README has no jq-recipes block');
  return block
    .split('\n')
    .filter((l) => l.startsWith('jq '))
    .map((line) => {
      // jq [-r] '<program>' report.json: the program is the single-quoted part.
      const m = /^jq( -r)? '(.*)' report\.json$/.exec(line);
      if (!m) throw new Error(`unexpected recipe line: ${line}`);
      return [...(m[1] ? ['-r'] : []), m[2]!];
    });
}

const jq = async (args: string[], file: string) => {
  const res = await run('jq', [...args, join(GOLDEN, file)], { check: false });
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
};

describe('README jq recipes', () => {
  it('list unsigned, group by signer, find expired signers, list unknown targets', async () => {
    const [unsigned, bySigner, expired, unknown] = await recipes();
    expect(await jq(unsigned!, 'registry-sample.json')).toBe(
      `registry.example.com/team/app@sha256:${'3'.repeat(64)}\n`,
    );
    expect((await jq(unsigned!, 'fs-fixtures.json')).trim().split('\n')).toEqual([
      'fixtures/jar/hello-unsigned.jar',
      'fixtures/pe/hello-unsigned.exe',
    ]);
    const groups = JSON.parse(await jq(bySigner!, 'fs-fixtures.json')) as Array<{
      signer: string;
      targets: string[];
    }>;
    expect(groups).toHaveLength(1);
    expect(groups[0]!.targets).toEqual(['fixtures/jar/hello-signed.jar', 'fixtures/pe/hello-signed.exe']);
    const sampleGroups = JSON.parse(await jq(bySigner!, 'registry-sample.json')) as Array<{ signer: string }>;
    expect(sampleGroups).toHaveLength(4);
    // The legacy builder's certificate (2021) and the 10-minute keyless certificate have expired.
    expect((await jq(expired!, 'registry-sample.json')).trim().split('\n')).toEqual([
      'CN=Old Builder "legacy",O=Acme\\, Inc.',
      'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0',
    ]);
    expect(await jq(expired!, 'fs-fixtures.json')).toBe('');
    expect(await jq(unknown!, 'registry-sample.json')).toBe(
      'registry.example.com/team/broken:latest: REGISTRY_DENIED\n',
    );
  });
});
