import { readFileSync } from 'node:fs';

import { decode, encode, Tagged } from 'cborg';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import {
  parseNotationEnvelope,
  parseNotationPayload,
  signatureManifestKind,
} from '../../../src/formats/notation/index.js';
import { duplicateJsonKeys } from '../../../src/formats/json-keys.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { signNotation } from '../../helpers/notation/sign.js';
import { envelopeSignatureVerifies } from '../../helpers/notation/verify.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const JWS = 'application/jose+json';
const COSE = 'application/cose';
const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'ab'.repeat(32)}`,
  size: 123,
};

const enc = (s: string) => new TextEncoder().encode(s);
const b64url = (s: string) => Buffer.from(s).toString('base64url');

function jwsParts(): Record<string, unknown> & { header: Record<string, unknown>; protected: string } {
  const sig = signNotation(target, { envelope: 'jws', key: 'p256' });
  return JSON.parse(new TextDecoder().decode(sig.envelopeBytes));
}

function withProtected(header: Record<string, unknown>): Uint8Array {
  const env = jwsParts();
  return enc(JSON.stringify({ ...env, protected: b64url(JSON.stringify(header)) }));
}

const baseHeader = () => ({
  alg: 'ES256',
  crit: ['io.cncf.notary.signingScheme'],
  cty: 'application/vnd.cncf.notary.payload.v1+json',
  'io.cncf.notary.signingScheme': 'notary.x509',
  'io.cncf.notary.signingTime': '2024-01-01T00:00:00Z',
});

function expectMalformed(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('MALFORMED_ENVELOPE');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected MALFORMED_ENVELOPE');
}

const codes = (bytes: Uint8Array, mt = JWS) => parseNotationEnvelope(bytes, mt).issues.map((i) => i.code);

describe('JWS envelope', () => {
  it('rejects members beyond the four notation allows', () => {
    expectMalformed(
      () => parseNotationEnvelope(enc(JSON.stringify({ ...jwsParts(), extra: 1 })), JWS),
      /extra/,
    );
  });

  it('rejects a missing member and the compact serialisation', () => {
    const { signature: _drop, ...rest } = jwsParts();
    expectMalformed(() => parseNotationEnvelope(enc(JSON.stringify(rest)), JWS), /lacks signature/);
    const env = jwsParts();
    expectMalformed(
      () => parseNotationEnvelope(enc(`${env.protected}.${env.payload}.${env.signature}`), JWS),
      /compact/,
    );
  });

  it('rejects a missing x5c, bad certificates and non-JSON', () => {
    const env = jwsParts();
    expectMalformed(() => parseNotationEnvelope(enc(JSON.stringify({ ...env, header: {} })), JWS), /x5c/);
    const bad = { ...env, header: { x5c: [Buffer.from('not a cert').toString('base64')] } };
    expectMalformed(() => parseNotationEnvelope(enc(JSON.stringify(bad)), JWS), /certificate 0/);
    expectMalformed(() => parseNotationEnvelope(enc('{"payload":'), JWS), /not valid JSON/);
    expectMalformed(
      () => parseNotationEnvelope(enc(JSON.stringify({ ...env, payload: 'a$b' })), JWS),
      /not base64url/,
    );
  });

  it('requires the signing scheme and a parseable RFC 3339 time', () => {
    const { 'io.cncf.notary.signingScheme': _s, ...noScheme } = baseHeader();
    expectMalformed(() => parseNotationEnvelope(withProtected(noScheme), JWS), /signingScheme is missing/);
    const badTime = { ...baseHeader(), 'io.cncf.notary.signingTime': '2024-01-01 noon' };
    expectMalformed(() => parseNotationEnvelope(withProtected(badTime), JWS), /RFC 3339/);
  });

  it('reads fractional seconds and offsets', () => {
    const env = parseNotationEnvelope(
      withProtected({ ...baseHeader(), 'io.cncf.notary.signingTime': '2024-01-01T08:00:00.123456789+08:00' }),
      JWS,
    );
    expect(env.signingTime?.date.toISOString()).toBe('2024-01-01T00:00:00.123Z');
  });

  it('reports header problems as findings', () => {
    expect(
      codes(withProtected({ ...baseHeader(), crit: ['io.cncf.notary.signingScheme', 'x.unknown'] })),
    ).toContain('UNKNOWN_CRITICAL_HEADER');
    expect(codes(withProtected({ ...baseHeader(), crit: [] }))).toContain('CRIT_MISSING_SIGNING_SCHEME');
    expect(codes(withProtected({ ...baseHeader(), cty: 'application/json' }))).toContain(
      'UNEXPECTED_CONTENT_TYPE',
    );
    expect(codes(withProtected({ ...baseHeader(), alg: 'HS256' }))).toContain('UNSUPPORTED_ALGORITHM');
    expect(
      codes(withProtected({ ...baseHeader(), 'io.cncf.notary.expiry': '2030-01-01T00:00:00Z' })),
    ).toContain('CRIT_MISSING_HEADER');
    const { 'io.cncf.notary.signingTime': _t, ...noTime } = baseHeader();
    expect(codes(withProtected(noTime))).toContain('MISSING_SIGNING_TIME');
  });

  it('an unknown signing scheme and a registered header marked critical: exactly their findings', () => {
    expect(
      codes(withProtected({ ...baseHeader(), 'io.cncf.notary.signingScheme': 'notary.x509.v2' })),
    ).toEqual(['UNKNOWN_SIGNING_SCHEME']);
    expect(
      codes(withProtected({ ...baseHeader(), crit: [...(baseHeader()['crit'] as string[]), 'cty'] })),
    ).toEqual(['CRIT_REGISTERED_HEADER']);
    // The control: the unedited header has no finding.
    expect(codes(withProtected(baseHeader()))).toEqual([]);
  });

  it('reports duplicate keys in the protected header', () => {
    expect(duplicateJsonKeys('{"a":1,"b":{"a":2,"c":"x\\"a"},"a":3,"l":[{"a":1},{"a":2}]}')).toEqual(['a']);
    const env = jwsParts();
    const text =
      '{"alg":"ES256","alg":"none","crit":["io.cncf.notary.signingScheme"],"io.cncf.notary.signingScheme":"notary.x509"}';
    const bytes = enc(JSON.stringify({ ...env, protected: b64url(text) }));
    expect(codes(bytes)).toContain('DUPLICATE_JSON_KEY');
  });

  it('reads the timestamp under the spec example key io.cncf.notary.timestamp too', () => {
    const real = JSON.parse(readFileSync(`${CORPUS_DIR}/notation/notation-go/jwsWithTimestamp.sig`, 'utf8'));
    const { 'io.cncf.notary.timestampSignature': token, ...header } = real.header;
    const renamed = enc(
      JSON.stringify({ ...real, header: { ...header, 'io.cncf.notary.timestamp': token } }),
    );
    const env = parseNotationEnvelope(renamed, JWS);
    expect(env.timestamp?.time.toISOString()).toBe('2024-06-18T06:29:37.000Z');
    expect(envelopeSignatureVerifies(env)).toBe(true);
  });

  it('keeps an unreadable timestamp token as a warning, not a failure', () => {
    const env = jwsParts();
    const header = {
      ...env.header,
      'io.cncf.notary.timestampSignature': Buffer.from('junk').toString('base64'),
    };
    const parsed = parseNotationEnvelope(enc(JSON.stringify({ ...env, header })), JWS);
    expect(parsed.timestamp).toBeUndefined();
    expect(parsed.timestampToken).toBeDefined();
    expect(parsed.issues.map((i) => i.code)).toEqual(['MALFORMED_TIMESTAMP']);
  });
});

describe('COSE envelope', () => {
  const opts = { useMaps: true, tags: { 18: Tagged.decoder(18), 1: Tagged.decoder(1) } };
  function coseParts() {
    const sig = signNotation(target, { envelope: 'cose', key: 'p256' });
    const outer = decode(sig.envelopeBytes, opts) as Tagged;
    const [prot, unprot, payload, signature] = outer.value as [
      Uint8Array,
      Map<unknown, unknown>,
      Uint8Array,
      Uint8Array,
    ];
    return { prot: decode(prot, opts) as Map<unknown, unknown>, protBytes: prot, unprot, payload, signature };
  }
  const build = (p: ReturnType<typeof coseParts>, prot: Uint8Array = encode(p.prot)) =>
    encode(new Tagged(18, [prot, p.unprot, p.payload, p.signature]));

  it('accepts x5chain as a single byte string and in the protected map', () => {
    const p = coseParts();
    const chain = p.unprot.get(33) as Uint8Array[];
    p.unprot.set(33, chain[0]);
    expect(parseNotationEnvelope(build(p, p.protBytes), COSE).certificates).toHaveLength(1);
    p.unprot.delete(33);
    p.prot.set(33, chain);
    expect(parseNotationEnvelope(build(p), COSE).certificates).toHaveLength(2);
  });

  it('rejects an untagged COSE_Sign1, wrong shapes and indefinite lengths', () => {
    const p = coseParts();
    expectMalformed(
      () => parseNotationEnvelope(encode([p.protBytes, p.unprot, p.payload, p.signature]), COSE),
      /tag 18/,
    );
    expectMalformed(
      () => parseNotationEnvelope(encode(new Tagged(18, [p.protBytes, p.unprot, p.payload])), COSE),
      /four/,
    );
    expectMalformed(
      () => parseNotationEnvelope(encode(new Tagged(18, [p.protBytes, p.unprot, null, p.signature])), COSE),
      /detached/,
    );
    // d2 9f ... ff: the same array with an indefinite length
    const good = build(p, p.protBytes);
    const indefinite = new Uint8Array([0xd2, 0x9f, ...good.subarray(2), 0xff]);
    expectMalformed(() => parseNotationEnvelope(indefinite, COSE), /not valid CBOR/);
    expectMalformed(() => parseNotationEnvelope(new Uint8Array([1, 2, 3]), COSE), /CBOR|tag 18/);
  });

  it('requires times as tag 1 over an integer', () => {
    const p = coseParts();
    p.prot.set('io.cncf.notary.signingTime', '2024-01-01T00:00:00Z');
    expectMalformed(() => parseNotationEnvelope(build(p), COSE), /epoch time/);
    p.prot.set('io.cncf.notary.signingTime', new Tagged(1, 1700000000.5));
    expectMalformed(() => parseNotationEnvelope(build(p), COSE), /integer/);
  });

  it('names unknown algorithms and flags them', () => {
    const p = coseParts();
    p.prot.set(1, -8);
    const env = parseNotationEnvelope(build(p), COSE);
    expect(env.alg).toBe('COSE(-8)');
    expect(env.issues.map((i) => i.code)).toContain('UNSUPPORTED_ALGORITHM');
  });

  it('signs the protected bytes as received, not a re-encoding', () => {
    const p = coseParts();
    const env = parseNotationEnvelope(build(p, p.protBytes), COSE);
    expect(Buffer.from(env.signedBytes).includes(Buffer.from(p.protBytes))).toBe(true);
    expect(envelopeSignatureVerifies(env)).toBe(true);
  });
});

describe('parseNotationEnvelope / payload / manifest kind', () => {
  it('refuses an unknown envelope media type', () => {
    expectMalformed(() => parseNotationEnvelope(enc('{}'), 'application/json'), /unknown notation envelope/);
  });

  it('validates the payload descriptor', () => {
    expectMalformed(
      () => parseNotationPayload(enc('{"targetArtifact":{"mediaType":"x","size":1}}')),
      /digest/,
    );
    expectMalformed(
      () => parseNotationPayload(enc('{"targetArtifact":{"mediaType":"x","digest":"sha256:ab","size":-1}}')),
      /size/,
    );
    expectMalformed(() => parseNotationPayload(enc('[]')), /targetArtifact/);
    const p = parseNotationPayload(
      enc(
        '{"targetArtifact":{"mediaType":"x","digest":"sha256:ab","size":1,"annotations":{"k":"v"},"artifactType":"t"}}',
      ),
    );
    expect(p.targetArtifact).toEqual({
      mediaType: 'x',
      digest: 'sha256:ab',
      size: 1,
      annotations: { k: 'v' },
      artifactType: 't',
    });
  });

  it('classifies current, legacy and unrelated manifests', () => {
    const oci = 'application/vnd.oci.image.manifest.v1+json';
    expect(
      signatureManifestKind({
        mediaType: oci,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:00', size: 1 },
      }),
    ).toBeUndefined();
    expect(
      signatureManifestKind({
        mediaType: oci,
        artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      }),
    ).toBeUndefined();
    expect(
      signatureManifestKind({
        mediaType: 'application/vnd.oci.artifact.manifest.v1+json',
        artifactType: 'application/vnd.cncf.notary.signature',
      }),
    ).toMatchObject({ kind: 'legacy', era: 'notation-1.0-rc' });
    expect(
      signatureManifestKind({
        mediaType: 'application/vnd.cncf.oras.artifact.manifest.v1+json',
        artifactType: 'application/vnd.cncf.notary.v2.signature',
      }),
    ).toMatchObject({ kind: 'legacy', era: 'notation-0.x' });
    expect(signatureManifestKind({ artifactType: 'application/vnd.cncf.notary.v2' })).toMatchObject({
      era: 'notation-go-2021',
    });
    expect(
      signatureManifestKind({
        mediaType: oci,
        config: { mediaType: 'application/vnd.cncf.notary.config.v2+jwt', digest: 'sha256:00', size: 1 },
      }),
    ).toMatchObject({ era: 'nv2-prototype' });
  });
  it('classifies the two current shapes and nothing near them', () => {
    const oci = 'application/vnd.oci.image.manifest.v1+json';
    const notary = 'application/vnd.cncf.notary.signature';
    const empty = { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44', size: 2 };
    const notaryConfig = { mediaType: notary, digest: 'sha256:44', size: 2 };
    expect(signatureManifestKind({ mediaType: oci, artifactType: notary, config: empty })).toEqual({
      kind: 'notation',
      form: 'artifactType',
    });
    // A manifest without mediaType is read as an OCI manifest.
    expect(signatureManifestKind({ artifactType: notary, config: empty })).toEqual({
      kind: 'notation',
      form: 'artifactType',
    });
    expect(signatureManifestKind({ mediaType: oci, config: notaryConfig })).toEqual({
      kind: 'notation',
      form: 'config',
    });
    // Docker v2 manifests and OCI artifact manifests with another artifactType are not signatures.
    const docker = 'application/vnd.docker.distribution.manifest.v2+json';
    expect(signatureManifestKind({ mediaType: docker, artifactType: notary, config: empty })).toBeUndefined();
    expect(signatureManifestKind({ mediaType: docker, config: notaryConfig })).toBeUndefined();
    expect(
      signatureManifestKind({
        mediaType: 'application/vnd.oci.artifact.manifest.v1+json',
        artifactType: 'x/y',
      }),
    ).toBeUndefined();
    // artifactType notary needs the empty config; the config form needs no artifactType.
    expect(
      signatureManifestKind({ mediaType: oci, artifactType: notary, config: notaryConfig }),
    ).toBeUndefined();
    expect(signatureManifestKind({ mediaType: oci, artifactType: notary })).toBeUndefined();
    expect(signatureManifestKind({ mediaType: oci, config: empty })).toBeUndefined();
    expect(
      signatureManifestKind({ mediaType: oci, artifactType: 'x/y', config: notaryConfig }),
    ).toBeUndefined();
  });
});
