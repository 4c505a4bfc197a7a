import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseNotationEnvelope } from '../../../src/formats/notation/index.js';
import { sameDn } from '../../helpers/dn.js';
import { envelopeSignatureVerifies } from '../../helpers/notation/verify.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const CORPUS = CORPUS_DIR;
const DIR = join(CORPUS, 'notation/notation-go');

interface Expected {
  id: string;
  kind: string;
  files: { envelope: string };
  mediaType: string;
  format: {
    alg: string;
    signingScheme: string;
    signingTime: string;
    expiry: string | null;
    signingAgent: string | null;
    certChainLength: number;
  };
  payload: { targetArtifact: { digest: string; mediaType: string; size: number } };
  signer: { subject: string; issuer: string; sha256Fingerprint: string; chain: string[] };
  cryptographicSignatureValid: boolean;
  timestamp: { present: boolean; time?: string; tsaSubject?: string; tsaChain?: string[] };
}

const entries = (
  JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as { artifacts: Expected[] }
).artifacts.filter((a) => a.kind === 'notation-jws' || a.kind === 'notation-cose');

const read = (rel: string) => new Uint8Array(readFileSync(join(CORPUS, rel)));
const instant = (s: string) => new Date(s).getTime();

describe('notation corpus (notation-go test data)', () => {
  it('has an expected.json entry for every envelope in the corpus directory', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.sig') || /^mock-.*\.json$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(15);
    const covered = new Set(entries.map((e) => e.files.envelope));
    for (const f of files) expect(covered, f).toContain(`notation/notation-go/${f}`);
  });

  for (const e of entries) {
    describe(e.id, () => {
      const env = parseNotationEnvelope(read(e.files.envelope), e.mediaType);

      it('reads the protected header as expected.json gives it', () => {
        expect(env.envelopeType).toBe(e.kind === 'notation-jws' ? 'jws' : 'cose');
        expect(env.alg).toBe(e.format.alg);
        expect(env.signingScheme).toBe(e.format.signingScheme);
        const time = e.format.signingScheme === 'notary.x509' ? env.signingTime : env.authenticSigningTime;
        expect(time?.date.getTime()).toBe(instant(e.format.signingTime));
        expect(env.expiry?.date.getTime() ?? null).toBe(
          e.format.expiry === null ? null : instant(e.format.expiry),
        );
        expect(env.signingAgent ?? null).toBe(e.format.signingAgent);
        expect(env.cty).toBe('application/vnd.cncf.notary.payload.v1+json');
        expect(env.crit).toContain('io.cncf.notary.signingScheme');
      });

      it('reads the chain and payload', () => {
        expect(env.certificates).toHaveLength(e.format.certChainLength);
        const leaf = env.certificates[0]!.summary;
        expect(sameDn(leaf.subject, e.signer.subject)).toBe(true);
        expect(sameDn(leaf.issuer, e.signer.issuer)).toBe(true);
        expect(leaf.sha256Fingerprint).toBe(e.signer.sha256Fingerprint);
        env.certificates.forEach((c, i) => expect(sameDn(c.summary.subject, e.signer.chain[i]!)).toBe(true));
        expect(env.payload.targetArtifact).toMatchObject(e.payload.targetArtifact);
      });

      it('reads the timestamp countersignature', () => {
        if (!e.timestamp.present) {
          expect(env.timestamp).toBeUndefined();
          expect(env.timestampToken).toBeUndefined();
          return;
        }
        expect(env.timestamp?.time.getTime()).toBe(instant(e.timestamp.time!));
        const tsa = env.timestamp?.signer?.certificate?.summary;
        expect(tsa && sameDn(tsa.subject, e.timestamp.tsaSubject!)).toBe(true);
        for (const subject of e.timestamp.tsaChain ?? []) {
          expect(
            env.timestamp!.certificates.some((c) => sameDn(c.summary.subject, subject)),
            subject,
          ).toBe(true);
        }
        // The token countersigns the signature value itself (formats.md §0.5).
        const hash = env.timestamp!.imprintAlgorithm!.replace('-', '').toLowerCase();
        expect(Buffer.from(env.timestamp!.imprint!).toString('hex')).toBe(
          createHash(hash).update(env.signature).digest('hex'),
        );
      });

      it(`signature over signedBytes ${e.cryptographicSignatureValid ? 'verifies' : 'does not verify'} with the leaf key`, () => {
        expect(envelopeSignatureVerifies(env)).toBe(e.cryptographicSignatureValid);
      });
    });
  }

  it('keeps the tampered padding of mock-ca_invalid in the signing input and reports it', () => {
    const env = parseNotationEnvelope(
      read('notation/notation-go/mock-ca_invalid_sig_env.json'),
      'application/jose+json',
    );
    expect(new TextDecoder().decode(env.signedBytes)).toMatch(/=$/);
    expect(env.issues.map((i) => i.code)).toContain('NON_CANONICAL_BASE64');
  });

  it('keeps the +08:00 offset as written and the instant in UTC', () => {
    const env = parseNotationEnvelope(
      read('notation/notation-go/jws_signature.sig'),
      'application/jose+json',
    );
    expect(env.signingTime?.text).toBe('2023-03-14T16:10:02+08:00');
    expect(env.signingTime?.date.toISOString()).toBe('2023-03-14T08:10:02.000Z');
  });

  it('builds the COSE Sig_structure with array header 0x84 and "Signature1"', () => {
    const env = parseNotationEnvelope(read('notation/notation-go/cose_signature.sig'), 'application/cose');
    expect(env.signedBytes[0]).toBe(0x84);
    expect(new TextDecoder().decode(env.signedBytes.subarray(2, 12))).toBe('Signature1');
  });
});
