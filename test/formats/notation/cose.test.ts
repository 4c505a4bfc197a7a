import { readFileSync } from 'node:fs';

import { decode, encode, Tagged } from 'cborg';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { parseCoseEnvelope } from '../../../src/formats/notation/cose.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { signNotation } from '../../helpers/notation/sign.js';
import { envelopeSignatureVerifies } from '../../helpers/notation/verify.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'ef'.repeat(32)}`,
  size: 99,
};
const SCHEME = 'io.cncf.notary.signingScheme';
const SIGNING_TIME = 'io.cncf.notary.signingTime';
const opts = { useMaps: true, tags: { 18: Tagged.decoder(18), 1: Tagged.decoder(1) } };
const signed = signNotation(target, { envelope: 'cose', key: 'p256' });

function coseParts() {
  const outer = decode(signed.envelopeBytes, opts) as Tagged;
  const [protBytes, unprot, payload, signature] = outer.value as [
    Uint8Array,
    Map<unknown, unknown>,
    Uint8Array,
    Uint8Array,
  ];
  return { prot: decode(protBytes, opts) as Map<unknown, unknown>, protBytes, unprot, payload, signature };
}
type Parts = ReturnType<typeof coseParts>;
const build = (p: Parts, prot: Uint8Array = encode(p.prot)) =>
  encode(new Tagged(18, [prot, p.unprot, p.payload, p.signature]));
const buildRaw = (items: unknown[]) => encode(new Tagged(18, items));

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  try {
    parseCoseEnvelope(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('MALFORMED_ENVELOPE');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected MALFORMED_ENVELOPE');
}
const codes = (bytes: Uint8Array) => parseCoseEnvelope(bytes).issues.map((i) => i.code);
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

describe('parseCoseEnvelope: COSE_Sign1 structure', () => {
  it('the unedited envelope: no findings, signature verifies', () => {
    const env = parseCoseEnvelope(build(coseParts(), coseParts().protBytes));
    expect(env.issues).toEqual([]);
    expect(env.cty).toBe('application/vnd.cncf.notary.payload.v1+json');
    expect(env.signingTime).toBeDefined();
    expect(envelopeSignatureVerifies(env)).toBe(true);
  });

  it('rejects an unprotected header that is not a map', () => {
    const p = coseParts();
    rejects(buildRaw([p.protBytes, [], p.payload, p.signature]), /unprotected header is not a map/);
    rejects(
      buildRaw([p.protBytes, new Uint8Array(1), p.payload, p.signature]),
      /unprotected header is not a map/,
    );
  });

  it('rejects an empty or non-bytes signature', () => {
    const p = coseParts();
    rejects(
      buildRaw([p.protBytes, p.unprot, p.payload, new Uint8Array(0)]),
      /signature is not a byte string/,
    );
    rejects(buildRaw([p.protBytes, p.unprot, p.payload, 'sig']), /signature is not a byte string/);
  });

  it('reads an empty protected header as an empty map, so the algorithm is what is missing', () => {
    const p = coseParts();
    rejects(buildRaw([new Uint8Array(0), p.unprot, p.payload, p.signature]), /no algorithm \(label 1\)/);
  });

  it('rejects a protected header that is not CBOR or not a map', () => {
    const p = coseParts();
    rejects(
      buildRaw([new Uint8Array([0xff]), p.unprot, p.payload, p.signature]),
      /protected header is not valid CBOR/,
    );
    rejects(buildRaw([encode([1, 2]), p.unprot, p.payload, p.signature]), /protected header is not a map/);
  });
});

describe('parseCoseEnvelope: protected header', () => {
  it('names a text algorithm label and flags it', () => {
    const p = coseParts();
    p.prot.set(1, 'EdDSA');
    const env = parseCoseEnvelope(build(p));
    expect(env.alg).toBe('COSE(EdDSA)');
    expect(env.issues.map((i) => i.code)).toEqual(['UNSUPPORTED_ALGORITHM']);
  });

  it('reads a header without crit, cty or signing time: exact findings, no phantom fields', () => {
    const p = coseParts();
    p.prot.delete(2);
    p.prot.delete(3);
    p.prot.delete(SIGNING_TIME);
    const env = parseCoseEnvelope(build(p));
    expect(env.crit).toEqual([]);
    expect(env.issues.map((i) => i.code)).toEqual([
      'UNEXPECTED_CONTENT_TYPE',
      'CRIT_MISSING_SIGNING_SCHEME',
      'MISSING_SIGNING_TIME',
    ]);
    for (const k of ['cty', 'signingTime', 'authenticSigningTime', 'expiry', 'timestampToken', 'timestamp']) {
      expect(hasOwn(env, k)).toBe(false);
    }
  });

  it('accepts numeric crit labels and reports a registered one', () => {
    const p = coseParts();
    p.prot.set(2, [SCHEME, 3]);
    const env = parseCoseEnvelope(build(p));
    expect(env.crit).toEqual([SCHEME, '3']);
    expect(env.issues.map((i) => i.code)).toEqual(['CRIT_REGISTERED_HEADER']);
  });

  it('rejects crit entries that are not labels', () => {
    const p = coseParts();
    p.prot.set(2, [SCHEME, true]);
    rejects(build(p), /crit \(label 2\) is not an array of labels/);
    p.prot.set(2, SCHEME);
    rejects(build(p), /crit \(label 2\) is not an array of labels/);
  });

  it('rejects a content type that is not text', () => {
    const p = coseParts();
    p.prot.set(3, 50);
    rejects(build(p), /content type \(label 3\) is not text/);
  });

  it('keeps authentic signing time and expiry as epoch times', () => {
    const p = coseParts();
    p.prot.delete(SIGNING_TIME);
    p.prot.set(SCHEME, 'notary.x509.signingAuthority');
    p.prot.set('io.cncf.notary.authenticSigningTime', new Tagged(1, 1700000000));
    p.prot.set('io.cncf.notary.expiry', new Tagged(1, 1900000000));
    p.prot.set(2, [SCHEME, 'io.cncf.notary.authenticSigningTime', 'io.cncf.notary.expiry']);
    const env = parseCoseEnvelope(build(p));
    expect(env.issues).toEqual([]);
    expect(env.authenticSigningTime).toEqual({ date: new Date(1700000000000), text: '1700000000' });
    expect(env.expiry).toEqual({ date: new Date(1900000000000), text: '1900000000' });
    expect(hasOwn(env, 'signingTime')).toBe(false);
  });

  it('rejects a tag-1 time over text', () => {
    const p = coseParts();
    p.prot.set(SIGNING_TIME, new Tagged(1, '1700000000'));
    rejects(build(p), /is not an epoch time \(CBOR tag 1 over an integer\)/);
  });
});

describe('parseCoseEnvelope: unprotected header', () => {
  it('rejects an x5chain array with an entry that is not a byte string', () => {
    const p = coseParts();
    p.unprot.set(33, [...(p.unprot.get(33) as Uint8Array[]), 5]);
    rejects(build(p, p.protBytes), /x5chain \(label 33\) is missing or not byte strings/);
  });

  it('an empty timestamp byte string counts as no timestamp', () => {
    const p = coseParts();
    p.unprot.set('io.cncf.notary.timestampSignature', new Uint8Array(0));
    const env = parseCoseEnvelope(build(p, p.protBytes));
    expect(env.issues).toEqual([]);
    expect(hasOwn(env, 'timestampToken')).toBe(false);
  });

  it('an unreadable timestamp token is kept, with a warning and no timestamp member', () => {
    const p = coseParts();
    p.unprot.set('io.cncf.notary.timestampSignature', new TextEncoder().encode('junk'));
    const env = parseCoseEnvelope(build(p, p.protBytes));
    expect(codes(build(p, p.protBytes))).toEqual(['MALFORMED_TIMESTAMP']);
    expect(Buffer.from(env.timestampToken!).toString()).toBe('junk');
    expect(hasOwn(env, 'timestamp')).toBe(false);
  });

  it("reads the RFC 3161 timestamp of notation-go's own COSE test envelope", () => {
    const env = parseCoseEnvelope(readFileSync(`${CORPUS_DIR}/notation/notation-go/coseWithTimestamp.sig`));
    expect(env.issues).toEqual([]);
    expect(env.timestamp?.time.toISOString()).toBe('2024-06-18T06:27:16.000Z');
  });
});
