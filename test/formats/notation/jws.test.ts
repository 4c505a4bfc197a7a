import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { parseJwsEnvelope } from '../../../src/formats/notation/jws.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { signNotation } from '../../helpers/notation/sign.js';
import { envelopeSignatureVerifies } from '../../helpers/notation/verify.js';

const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'cd'.repeat(32)}`,
  size: 321,
};
const PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
const SCHEME = 'io.cncf.notary.signingScheme';

const enc = (s: string) => new TextEncoder().encode(s);
const b64url = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

type JwsJson = { payload: string; protected: string; signature: string; header: Record<string, unknown> };
const signed = signNotation(target, { envelope: 'jws', key: 'p256' });
const parts = (): JwsJson => JSON.parse(new TextDecoder().decode(signed.envelopeBytes)) as JwsJson;
const json = (v: unknown) => enc(JSON.stringify(v));
const withHeader = (h: Record<string, unknown>) => json({ ...parts(), protected: b64url(JSON.stringify(h)) });

function malformedError(fn: () => unknown): SigscanError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('MALFORMED_ENVELOPE');
    return err as SigscanError;
  }
  throw new Error('expected MALFORMED_ENVELOPE');
}
const rejects = (bytes: Uint8Array, pattern: RegExp) =>
  expect(malformedError(() => parseJwsEnvelope(bytes)).message).toMatch(pattern);

describe('parseJwsEnvelope: the envelope text', () => {
  it('rejects bytes that are not UTF-8, keeping the decoder error as the cause', () => {
    const text = JSON.stringify(parts());
    const bytes = new Uint8Array([...enc(text.slice(0, -1)), 0x20, 0xff, 0x7d]);
    const err = malformedError(() => parseJwsEnvelope(bytes));
    expect(err.message).toBe('JWS envelope is not UTF-8 text');
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('detects the compact serialisation after trimming, and only a whole-text match', () => {
    const p = parts();
    rejects(enc(`${p.protected}.${p.payload}.${p.signature}\n`), /compact serialisation/);
    // A dotted tail or head is not a compact JWS: it is broken JSON.
    rejects(enc(`{} ${p.protected}.${p.payload}.${p.signature}`), /JWS envelope is not valid JSON/);
    rejects(enc(`${p.protected}.${p.payload}.${p.signature}!`), /JWS envelope is not valid JSON/);
  });

  it('accepts surrounding whitespace around the JSON', () => {
    const env = parseJwsEnvelope(enc(`\n  ${JSON.stringify(parts())}\n`));
    expect(env.issues).toEqual([]);
    expect(envelopeSignatureVerifies(env)).toBe(true);
  });

  it('rejects JSON that is not an object, and a header that is not an object', () => {
    for (const text of ['null', '[]', '["payload"]', '"x"', '5']) {
      rejects(enc(text), /^JWS envelope is not a JSON object$/);
    }
    for (const header of [null, [], 'x5c', 7]) {
      rejects(json({ ...parts(), header }), /^JWS envelope "header" is not an object$/);
    }
  });
});

describe('parseJwsEnvelope: segments', () => {
  it('rejects an empty signature', () => {
    rejects(json({ ...parts(), signature: '' }), /^JWS signature is empty$/);
  });

  it('accepts a padded signature with a warning, and still verifies it', () => {
    const p = parts();
    expect(p.signature.length % 4).toBe(2); // 64-byte r||s: two padding characters
    const env = parseJwsEnvelope(json({ ...p, signature: `${p.signature}==` }));
    expect(env.issues.map((i) => i.code)).toEqual(['NON_CANONICAL_BASE64']);
    expect(env.signature).toHaveLength(64);
    expect(envelopeSignatureVerifies(env)).toBe(true);
  });

  it('rejects impossible base64 lengths, padded or not', () => {
    rejects(json({ ...parts(), signature: 'A' }), /^JWS signature has an impossible base64 length$/);
    rejects(json({ ...parts(), signature: 'AAAAA==' }), /^JWS signature has an impossible base64 length$/);
  });

  it('rejects a protected header that is not UTF-8', () => {
    const raw = new Uint8Array([...enc('{"alg":"'), 0xff, ...enc('"}')]);
    const err = malformedError(() => parseJwsEnvelope(json({ ...parts(), protected: b64url(raw) })));
    expect(err.message).toBe('JWS protected header is not UTF-8');
    expect(err.cause).toBeInstanceOf(TypeError);
  });
});

describe('parseJwsEnvelope: protected header', () => {
  const header = () =>
    JSON.parse(Buffer.from(parts().protected, 'base64url').toString()) as Record<string, unknown>;

  it('reads a header without crit, cty or times: exact findings, no phantom fields', () => {
    const { crit: _c, cty: _t, 'io.cncf.notary.signingTime': _s, ...bare } = header();
    const env = parseJwsEnvelope(withHeader(bare));
    expect(env.crit).toEqual([]);
    expect(env.issues.map((i) => i.code)).toEqual([
      'UNEXPECTED_CONTENT_TYPE',
      'CRIT_MISSING_SIGNING_SCHEME',
      'MISSING_SIGNING_TIME',
    ]);
    // Optional members are absent, not present-and-undefined.
    for (const k of ['cty', 'signingTime', 'authenticSigningTime', 'expiry', 'timestampToken', 'timestamp']) {
      expect(Object.prototype.hasOwnProperty.call(env, k)).toBe(false);
    }
  });

  it('keeps cty and the times when present', () => {
    const env = parseJwsEnvelope(
      withHeader({
        ...header(),
        crit: [SCHEME, 'io.cncf.notary.expiry'],
        'io.cncf.notary.expiry': '2031-02-03T04:05:06Z',
      }),
    );
    expect(env.cty).toBe(PAYLOAD_TYPE);
    expect(env.expiry?.date.toISOString()).toBe('2031-02-03T04:05:06.000Z');
    expect(env.issues).toEqual([]);
  });

  it('rejects crit that is not an array of strings', () => {
    rejects(withHeader({ ...header(), crit: SCHEME }), /"crit" is not an array of strings/);
    rejects(withHeader({ ...header(), crit: [SCHEME, 2] }), /"crit" is not an array of strings/);
  });
});

describe('parseJwsEnvelope: unprotected header', () => {
  it('rejects an x5c with a non-string entry', () => {
    const p = parts();
    rejects(
      json({ ...p, header: { ...p.header, x5c: [...(p.header.x5c as string[]), 5] } }),
      /"x5c" is missing/,
    );
  });

  it('rejects an empty x5c', () => {
    const p = parts();
    rejects(json({ ...p, header: { ...p.header, x5c: [] } }), /carries no signing certificate/);
  });

  it('reads x5c entries with line breaks, as PEM bodies have', () => {
    const p = parts();
    const x5c = (p.header.x5c as string[]).map((c) => c.replace(/(.{64})/g, '$1\n'));
    const env = parseJwsEnvelope(json({ ...p, header: { ...p.header, x5c } }));
    expect(env.certificates.map((c) => Buffer.from(c.der).toString('hex'))).toEqual(
      parseJwsEnvelope(signed.envelopeBytes).certificates.map((c) => Buffer.from(c.der).toString('hex')),
    );
  });

  it('rejects x5c entries that are not base64 or have an impossible length', () => {
    const p = parts();
    const bad = (x5c0: string) => json({ ...p, header: { ...p.header, x5c: [x5c0] } });
    rejects(bad('!!!!'), /^JWS x5c\[0\] is not base64$/);
    rejects(bad('AAAAA'), /^JWS x5c\[0\] has an impossible base64 length$/);
    rejects(bad('A=='), /^JWS x5c\[0\] has an impossible base64 length$/);
  });

  it('an unreadable timestamp token leaves no timestamp member', () => {
    const p = parts();
    const header = {
      ...p.header,
      'io.cncf.notary.timestampSignature': Buffer.from('junk').toString('base64'),
    };
    const env = parseJwsEnvelope(json({ ...p, header }));
    expect(Buffer.from(env.timestampToken!).toString()).toBe('junk');
    expect(Object.prototype.hasOwnProperty.call(env, 'timestamp')).toBe(false);
  });
});
