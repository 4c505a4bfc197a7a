/**
 * The in-toto family verifier (src/trust/families/in-toto.ts) on layouts and links signed by
 * securesystemslib (test/trust/in-toto/reference.ts, cached per day), through the detector and the trust
 * evaluator as a scan runs them; in_toto_verify's answer for each layout is asserted beside.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { Evidence, Target } from '../../../src/model/index.js';
import { emptyTrustConfig } from '../../../src/trust/config.js';
import { inTotoVerifier } from '../../../src/trust/families/in-toto.js';
import { inTotoVerdict } from '../in-toto/helpers.js';
import { reference, referenceTools, type Reference } from '../in-toto/reference.js';

const tools = await referenceTools();

describe.skipIf(!tools)('in-toto family verdicts', () => {
  let ref: Reference;
  beforeAll(async () => {
    ref = await reference();
  }, 300_000);
  const layoutOf = (chain: string): string => join(ref.chain(chain), 'root.layout');

  it('a verified layout: verified, the layout key named by its flag, no "only inspections" finding', async () => {
    expect(ref.answers.chains['thr2-agree']).toEqual([true, null]);
    const { verdict, evidence } = await inTotoVerdict(layoutOf('thr2-agree'), [ref.pem('alice')]);
    expect([verdict.status, verdict.code]).toEqual(['verified', 'VERIFIED']);
    expect(verdict.message).toMatch(
      /^layout signed by --in-toto-layout-key .*alice\.pem \(key [0-9a-f]{8}\)/,
    );
    expect(evidence.findings ?? []).toEqual([]);
    expect(evidence.details?.['verification']).toMatchObject({
      signedBy: {
        label: `--in-toto-layout-key ${ref.pem('alice')}`,
        keyid: ref.functionaries['alice']!.keyid,
      },
      warnings: [],
      inspectionsNotRun: [],
    });
  });

  it('a sublayout with an inspection: unverified INSPECTIONS_NOT_RUN with the signature-valid finding', async () => {
    const { verdict, evidence } = await inTotoVerdict(layoutOf('sublayout-inspection'), [ref.pem('alice')]);
    expect([verdict.status, verdict.code]).toEqual(['unverified', 'INSPECTIONS_NOT_RUN']);
    expect(evidence.findings).toEqual([
      {
        code: 'LAYOUT_SIGNATURE_VALID',
        severity: 'info',
        message: `the layout signature is valid (--in-toto-layout-key ${ref.pem('alice')}); only its inspections were not run`,
      },
    ]);
  });

  it.each([
    ['thr2-products-differ', 'invalid', 'THRESHOLD_NOT_MET'],
    ['sublayout-missing-link', 'invalid', 'LINK_MISSING'],
    ['nest5', 'error', 'MALFORMED_LAYOUT'],
  ])('%s: %s %s', async (chain, status, code) => {
    const { verdict } = await inTotoVerdict(layoutOf(chain), [ref.pem('alice')]);
    expect([verdict.status, verdict.code]).toEqual([status, code]);
  });

  it('two layout keys, one did not sign: untrusted LAYOUT_KEY_NOT_SIGNED', async () => {
    const { verdict } = await inTotoVerdict(layoutOf('thr2-agree'), [ref.pem('alice'), ref.pem('dan')]);
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'LAYOUT_KEY_NOT_SIGNED']);
    expect(verdict.message).toContain(`no signature by --in-toto-layout-key ${ref.pem('dan')}`);
  });
});

// Material the detector never hands over (it parses before it emits): the verifier still refuses it.
describe('in-toto family verifier on material it cannot use', () => {
  const target = { kind: 'file', path: 'x.layout', size: 1, digest: 'sha256:00' } as unknown as Target;
  const ctx = { config: emptyTrustConfig(), now: new Date('2026-12-01T00:00:00Z') };
  const evidence = (material: unknown): Evidence => ({ family: 'in-toto', material }) as unknown as Evidence;

  it('no in-toto material: error NO_MATERIAL', async () => {
    const v = await inTotoVerifier(evidence({ kind: 'cosign' }), target, ctx);
    expect([v.status, v.code, v.message]).toEqual([
      'error',
      'NO_MATERIAL',
      'the in-toto detector handed over no metadata',
    ]);
  });

  it("metadata that does not parse: error MALFORMED_ENVELOPE with the parser's reason", async () => {
    const m = { kind: 'in-toto', metadata: new TextEncoder().encode('[]'), links: {} };
    const v = await inTotoVerifier(evidence(m), target, ctx);
    expect([v.status, v.code, v.message]).toEqual([
      'error',
      'MALFORMED_ENVELOPE',
      'in-toto metadata: in-toto metadata is not a JSON object',
    ]);
  });
});
