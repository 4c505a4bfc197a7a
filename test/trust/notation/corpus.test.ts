import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { Verdict } from '../../../src/model/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { config, evaluate, evidenceFor, imageTarget, notationDir, policy, rootsFrom } from './support.js';

/**
 * Every notation artifact of expected.json that names a trust root, verified twice: through a notation
 * directory (trust policy + stores built from the corpus files) and through the `--trust-root` fallback.
 * Time: 2026-11-21T00:00:00Z, the instant expected.json states its verdicts for.
 */

interface Artifact {
  id: string;
  kind: string;
  mediaType: string;
  files: { envelope: string; target?: string };
  payload: { targetArtifact: { digest: string; mediaType: string; size: number } };
  format: { signingScheme: string };
  timestamp: { present: boolean; tsaTrustRoot?: string };
  expected: { verifies: boolean | null; trustRoot?: string[] };
}

const AT = new Date('2026-11-21T00:00:00Z');
const expected = JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as {
  artifacts: Artifact[];
};
const artifacts = expected.artifacts.filter(
  (a) => (a.kind === 'notation-jws' || a.kind === 'notation-cose') && a.expected.trustRoot?.length,
);

/** Our verdicts where expected.json says null (policy- or material-dependent), with the reason. */
const DOCUMENTED_NULL: Record<string, { status: Verdict['status']; code: string }> = {
  // The 10-minute testTSA signer is not in ca-valid-trust-store (expected.json notes): untrusted, even
  // though its GlobalSign timestamp lies within the certificate's validity (see the pinned case below).
  'notation/jwsExpiredWithTimestamp.sig': { status: 'untrusted', code: 'CHAIN_UNTRUSTED' },
  'notation/coseExpiredWithTimestamp.sig': { status: 'untrusted', code: 'CHAIN_UNTRUSTED' },
};

/** Why a `false` artifact fails, as our stable codes (the corpus reason in words). */
const EXPECTED_CODE: Record<string, string> = {
  'notation/mock-ca_invalid_sig_env.json': 'SIGNATURE_INVALID',
  'notation/mock-sa_invalid_sig_env.json': 'SIGNATURE_INVALID',
  'notation/mock-ca_expired_sig_env.json': 'SIGNATURE_EXPIRED',
  'notation/mock-sa_expired_sig_env.json': 'SIGNATURE_EXPIRED',
  // The 2000–2001 testTSA signer is not in ca-valid-trust-store, so authenticity fails first; the
  // timestamp reason the corpus gives is asserted with the signer pinned (below).
  'notation/timestampAfterNotAfter.sig': 'CHAIN_UNTRUSTED',
  // TestTimestampNotYetValid.crt is in the store: the timestamp (2024) precedes its notBefore (2099).
  'notation/timestampBeforeNotBefore.sig': 'TIMESTAMP_OUTSIDE_VALIDITY',
};

function targetOf(a: Artifact) {
  const claimed = a.payload.targetArtifact;
  if (a.files.target) {
    // The real signed manifest is in the corpus: the target is its bytes, not the payload's claim.
    const bytes = readFileSync(join(CORPUS_DIR, a.files.target));
    return imageTarget({
      mediaType: claimed.mediaType,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
    });
  }
  return imageTarget(claimed);
}

function filesOf(path: string): Record<string, Uint8Array> {
  const full = join(CORPUS_DIR, path);
  if (statSync(full).isDirectory()) {
    return Object.fromEntries(readdirSync(full).map((f) => [f, new Uint8Array(readFileSync(join(full, f)))]));
  }
  return { [basename(full)]: new Uint8Array(readFileSync(full)) };
}

function split(a: Artifact): { ca: string[]; tsa: string[] } {
  const tsaRoot = a.timestamp.tsaTrustRoot;
  const all = a.expected.trustRoot ?? [];
  return { ca: all.filter((p) => p !== tsaRoot), tsa: all.filter((p) => p === tsaRoot) };
}

function corpusNotationDir(a: Artifact, verifyTimestamp = 'always'): string {
  const { ca, tsa } = split(a);
  const caFiles = Object.assign({}, ...ca.map(filesOf)) as Record<string, Uint8Array>;
  const stores: Record<string, Record<string, Uint8Array>> = {
    'ca/corpus': caFiles,
    'signingAuthority/corpus': caFiles,
  };
  const trustStores = ['ca:corpus', 'signingAuthority:corpus'];
  if (tsa.length) {
    stores['tsa/corpus-tsa'] = Object.assign({}, ...tsa.map(filesOf)) as Record<string, Uint8Array>;
    trustStores.push('tsa:corpus-tsa');
  }
  return notationDir({
    stores,
    policy: policy({
      name: 'corpus',
      registryScopes: ['*'],
      signatureVerification: { level: 'strict', verifyTimestamp },
      trustStores,
      trustedIdentities: ['*'],
    }),
  });
}

function check(a: Artifact, verdict: Verdict) {
  const documented = DOCUMENTED_NULL[a.id];
  if (a.expected.verifies === true) expect(verdict, verdict.message).toMatchObject({ status: 'verified' });
  else if (a.expected.verifies === false) {
    expect(verdict.status, verdict.message).not.toBe('verified');
    expect(verdict.code, verdict.message).toBe(EXPECTED_CODE[a.id]);
  } else {
    expect(documented, `document our verdict for ${a.id}`).toBeDefined();
    expect(verdict).toMatchObject(documented!);
  }
}

describe('notation corpus agreement (expected.json)', () => {
  it('covers every notation artifact with a trust root', () => {
    expect(artifacts.length).toBe(15);
  });

  for (const a of artifacts) {
    describe(a.id, () => {
      const envelope = () => new Uint8Array(readFileSync(join(CORPUS_DIR, a.files.envelope)));

      it(`notation dir: verifies=${String(a.expected.verifies)}`, async () => {
        const target = targetOf(a);
        const evidence = evidenceFor(envelope(), a.mediaType, target);
        const verdict = await evaluate(
          evidence,
          target,
          config({ notationDir: corpusNotationDir(a), at: AT }),
        );
        check(a, verdict);
      });

      it(`--trust-root fallback: verifies=${String(a.expected.verifies)}`, async () => {
        const target = targetOf(a);
        const evidence = evidenceFor(envelope(), a.mediaType, target);
        const { ca, tsa } = split(a);
        const cfg = config({
          roots: await rootsFrom(...ca.map((p) => join(CORPUS_DIR, p))),
          tsaRoots: await rootsFrom(...tsa.map((p) => join(CORPUS_DIR, p))),
          at: AT,
        });
        check(a, await evaluate(evidence, target, cfg));
      });

      it('without any trust root: never verified', async () => {
        const target = targetOf(a);
        const evidence = evidenceFor(envelope(), a.mediaType, target);
        const verdict = await evaluate(evidence, target, config({ at: AT }));
        expect(verdict.status).not.toBe('verified');
        if (a.expected.verifies === true)
          expect(verdict).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
      });
    });
  }
});

describe('notation corpus: authentic timestamp semantics (signer pinned in the ca store)', () => {
  const byId = (id: string) => artifacts.find((a) => a.id === `notation/${id}`)!;
  const GLOBALSIGN = 'notation/notation-go/truststore/tsa-test-timestamp/globalsignRoot.cer';
  const DIGICERT = 'notation/notation-go/truststore/tsa-test-mismatch/DigiCertTSARootSHA384.cer';

  async function run(id: string, opts: { tsa?: string; verifyTimestamp?: string; pin?: boolean } = {}) {
    const a = byId(id);
    const target = targetOf(a);
    const evidence = evidenceFor(
      new Uint8Array(readFileSync(join(CORPUS_DIR, a.files.envelope))),
      a.mediaType,
      target,
    );
    const leaf = (evidence.material as { certificatesDer: Uint8Array[] }).certificatesDer[0]!;
    const caFiles =
      opts.pin === false ? Object.assign({}, ...split(a).ca.map(filesOf)) : { 'signer.der': leaf };
    const stores: Record<string, Record<string, Uint8Array>> = { 'ca/pinned': caFiles };
    const trustStores = ['ca:pinned'];
    if (opts.tsa) {
      stores['tsa/tsa'] = filesOf(opts.tsa);
      trustStores.push('tsa:tsa');
    }
    const dir = notationDir({
      stores,
      policy: policy({
        name: 'pinned',
        registryScopes: ['*'],
        signatureVerification: { level: 'strict', verifyTimestamp: opts.verifyTimestamp ?? 'always' },
        trustStores,
        trustedIdentities: ['*'],
      }),
    });
    return evaluate(evidence, target, config({ notationDir: dir, at: AT }));
  }

  for (const id of ['jwsExpiredWithTimestamp.sig', 'coseExpiredWithTimestamp.sig']) {
    it(`${id}: expired 10-minute signer, GlobalSign timestamp inside its validity → verified`, async () => {
      const v = await run(id, { tsa: GLOBALSIGN });
      expect(v, v.message).toMatchObject({ status: 'verified', code: 'VERIFIED' });
      expect(v.message).toMatch(/timestamped 2024-06-18T07:2\d:\d\d.000Z by CN=Globalsign TSA/);
    });

    it(`${id}: no tsa store in the policy → the chain must be valid now → CERT_EXPIRED`, async () => {
      const v = await run(id);
      expect(v).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
      expect(v.message).toContain('CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US expired on 2024-06-18T07:30:31');
    });

    it(`${id}: TSA root that did not issue the stamp (tsa-test-mismatch) → TIMESTAMP_UNTRUSTED`, async () => {
      const v = await run(id, { tsa: DIGICERT });
      expect(v).toMatchObject({ status: 'untrusted', code: 'TIMESTAMP_UNTRUSTED' });
    });
  }

  it('timestampAfterNotAfter.sig: stamp after the signer expired → TIMESTAMP_OUTSIDE_VALIDITY', async () => {
    const v = await run('timestampAfterNotAfter.sig', { tsa: GLOBALSIGN });
    expect(v).toMatchObject({ status: 'untrusted', code: 'TIMESTAMP_OUTSIDE_VALIDITY' });
    expect(v.message).toContain('after certificate CN=testTSA');
  });

  it('withoutTimestamp.sig: tsa store and verifyTimestamp always → TIMESTAMP_MISSING', async () => {
    const v = await run('withoutTimestamp.sig', { tsa: GLOBALSIGN, pin: false });
    expect(v).toMatchObject({ status: 'untrusted', code: 'TIMESTAMP_MISSING' });
  });

  it('withoutTimestamp.sig: verifyTimestamp afterCertExpiry with a valid chain → verified', async () => {
    const v = await run('withoutTimestamp.sig', {
      tsa: GLOBALSIGN,
      pin: false,
      verifyTimestamp: 'afterCertExpiry',
    });
    expect(v, v.message).toMatchObject({ status: 'verified' });
  });

  it('jwsWithTimestamp.sig: the stamp is checked against the tsa store, and a wrong one fails', async () => {
    expect((await run('jwsWithTimestamp.sig', { tsa: GLOBALSIGN, pin: false })).status).toBe('verified');
    expect(await run('jwsWithTimestamp.sig', { tsa: DIGICERT, pin: false })).toMatchObject({
      status: 'untrusted',
      code: 'TIMESTAMP_UNTRUSTED',
    });
  });

  it('jws_signature.sig is not anchored by an unrelated store (ca-valid-trust-store)', async () => {
    const a = byId('jws_signature.sig');
    const target = targetOf(a);
    const evidence = evidenceFor(
      new Uint8Array(readFileSync(join(CORPUS_DIR, a.files.envelope))),
      a.mediaType,
      target,
    );
    const cfg = config({
      roots: await rootsFrom(join(CORPUS_DIR, 'notation/notation-go/truststore/ca-valid-trust-store')),
      at: AT,
    });
    expect(await evaluate(evidence, target, cfg)).toMatchObject({
      status: 'untrusted',
      code: 'CHAIN_UNTRUSTED',
    });
  });
});
