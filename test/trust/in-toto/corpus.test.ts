import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';

import { parseInTotoMetadata } from '../../../src/formats/in-toto/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { CORPUS_AT } from '../helpers.js';
import { inTotoVerdict } from './helpers.js';

interface Artifact {
  id: string;
  kind: string;
  files: { metadata: string };
  expected: { verifies: boolean | null; trustRoot: string[]; reason: string };
}

const KINDS = new Set([
  'dsse-envelope (in-toto layout)',
  'dsse-envelope (in-toto link)',
  'in-toto-layout (classic Metablock)',
  'in-toto-link (classic Metablock)',
]);

const artifacts = (
  JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as { artifacts: Artifact[] }
).artifacts.filter((a) => KINDS.has(a.kind) && a.expected.trustRoot?.length);

const tmp = mkdtempSync(join(tmpdir(), 'sigscan-intoto-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `dsse/x/demo.layout (keys section)`: the key is only in the layout; write it out as a PEM file. */
function trustFiles(a: Artifact): string[] {
  return a.expected.trustRoot.map((root) => {
    const m = /^(.*) \(keys section\)$/.exec(root);
    if (!m) return join(CORPUS_DIR, root);
    const layout = parseInTotoMetadata(new Uint8Array(readFileSync(join(CORPUS_DIR, m[1]!))));
    if (layout.body.type !== 'layout') throw new Error(`${m[1]} is not a layout`);
    const signerId = a.id.match(/\.([0-9a-f]{8})\.link$/)![1]!;
    const key = Object.values(layout.body.keys).find((k) => k.keyid.startsWith(signerId))!;
    const out = join(tmp, `${signerId}.pub`);
    writeFileSync(out, key.publicKey);
    return out;
  });
}

/** Distinct codes: which check decided each artifact. */
const EXPECTED_CODE: Record<string, string> = {
  'in-toto-golang/super.layout': 'LAYOUT_SIGNATURE_INVALID',
};

describe('in-toto corpus agrees with expected.json', () => {
  it('has the in-toto artifacts', () => {
    expect(artifacts.length).toBe(14);
  });

  for (const a of artifacts) {
    it(`${a.id} (${a.kind}) verifies=${a.expected.verifies}`, async () => {
      const { verdict, evidence } = await inTotoVerdict(
        join(CORPUS_DIR, a.files.metadata),
        trustFiles(a),
        CORPUS_AT,
      );
      expect(verdict.status === 'verified', `${verdict.code}: ${verdict.message}`).toBe(a.expected.verifies);
      expect(verdict.code).toBe(EXPECTED_CODE[a.id] ?? 'VERIFIED');
      expect(evidence.family).toBe('in-toto');
      if (a.kind.includes('link') && verdict.status === 'verified') {
        expect(verdict.message).toMatch(/lone link proves only/);
      }
    });
  }

  it('demo.layout reports its inspection as not run and finds the step links beside it', async () => {
    const { verdict, evidence } = await inTotoVerdict(
      join(CORPUS_DIR, 'dsse/in-toto-golang/demo.layout'),
      [join(CORPUS_DIR, 'dsse/in-toto-golang/alice.pub')],
      CORPUS_AT,
    );
    expect(verdict.message).toMatch(/inspection\(s\) \(untar\) were not run/);
    const v = evidence.details?.['verification'] as {
      steps: Array<{ name: string; links: string[] }>;
      inspectionsNotRun: Array<{ name: string; run: string[] }>;
      signedBy: { keyid: string };
    };
    expect(v.signedBy.keyid).toBe('70ca5750c2eda80b18f41f4ec5f92146789b5d68dd09577be422a0159bd13680');
    expect(v.steps.map((s) => [s.name, s.links])).toEqual([
      ['write-code', ['write-code.b7d643de.link']],
      ['package', ['package.d3ffd108.link']],
    ]);
    expect(v.inspectionsNotRun).toEqual([{ name: 'untar', run: ['tar', 'xfz', 'foo.tar.gz'] }]);
  });

  it('a layout signed by alice is untrusted when only another key is given', async () => {
    const { verdict } = await inTotoVerdict(
      join(CORPUS_DIR, 'dsse/in-toto-golang/demo.layout'),
      [join(CORPUS_DIR, 'dsse/in-toto-golang/dan.pub')],
      CORPUS_AT,
    );
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
  });

  it('expires: dsse-only.root.layout is expired after 2030-06-03', async () => {
    const { verdict } = await inTotoVerdict(
      join(CORPUS_DIR, 'dsse/in-toto-golang/dsse-only.root.layout'),
      [join(CORPUS_DIR, 'dsse/in-toto-golang/alice.pub')],
      '2030-07-01T00:00:00Z',
    );
    expect([verdict.status, verdict.code]).toEqual(['invalid', 'LAYOUT_EXPIRED']);
  });

  it('without --key a layout is unverified', async () => {
    const { verdict } = await inTotoVerdict(
      join(CORPUS_DIR, 'dsse/in-toto-golang/demo.layout'),
      [],
      CORPUS_AT,
    );
    expect([verdict.status, verdict.code]).toEqual(['unverified', 'NO_TRUST_ROOT']);
  });
});
