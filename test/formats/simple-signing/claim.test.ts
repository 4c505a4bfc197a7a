import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  lookasideSignatureUrl,
  parseClaim,
  parseDockerReference,
  parseExtensionSignatures,
  parseSimpleSigningMessage,
  referenceString,
  sniffSignatureBlob,
} from '../../../src/formats/simple-signing/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import {
  SIGNED_CLAIMS,
  simpleSigningFixtures,
  SSF_DIGEST,
  SSF_REFERENCE,
} from '../../helpers/simple-signing-fixtures.js';

const DIR = join(CORPUS_DIR, 'simple-signing', 'containers-image');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const good = {
  critical: {
    type: 'atomic container signature',
    image: { 'docker-manifest-digest': 'sha256:' + 'a'.repeat(64) },
    identity: { 'docker-reference': 'example.com/a/b:1' },
  },
  optional: { creator: 'me', timestamp: 1483228800, extra: true },
};

describe('parseClaim (strict, formats.md §4.2)', () => {
  it('reads a good claim with unknown optional members', () => {
    const c = parseClaim(enc(JSON.stringify(good)));
    expect(c).toMatchObject({
      manifestDigest: 'sha256:' + 'a'.repeat(64),
      dockerReference: 'example.com/a/b:1',
    });
    expect(c.creator).toBe('me');
    expect(c.timestamp).toBe(1483228800);
  });
  const bad: Array<[string, unknown | string]> = [
    ['extra top-level member', { ...good, more: 1 }],
    ['missing optional', { critical: good.critical }],
    ['extra critical member', { ...good, critical: { ...good.critical, x: 1 } }],
    [
      'extra image member',
      { ...good, critical: { ...good.critical, image: { ...good.critical.image, x: 1 } } },
    ],
    [
      'cosign type string',
      { ...good, critical: { ...good.critical, type: 'cosign container image signature' } },
    ],
    ['string timestamp', { ...good, optional: { timestamp: '1' } }],
    [
      'fractional timestamp',
      '{"critical":' + JSON.stringify(good.critical) + ',"optional":{"timestamp":1.5}}',
    ],
    ['duplicate key', '{"critical":' + JSON.stringify(good.critical) + ',"optional":{},"optional":{}}'],
    ['not JSON', 'This is not JSON\n'],
  ];
  for (const [name, doc] of bad) {
    it(`rejects: ${name}`, () => {
      expect(() => parseClaim(enc(typeof doc === 'string' ? doc : JSON.stringify(doc)))).toThrow(/claim/);
    });
  }
});

describe('signature blobs', () => {
  it('sniffs OpenPGP, self-describing, armored and HTML blobs', () => {
    expect(sniffSignatureBlob(readFileSync(join(DIR, 'image.signature'))).format).toBe('simple-signing');
    expect(sniffSignatureBlob(new Uint8Array([0x90, 1])).format).toBe('simple-signing');
    expect(sniffSignatureBlob(enc('\0simple-signing\n\xa3')).format).toBe('simple-signing');
    expect(sniffSignatureBlob(enc('\0sigstore-json\n{}')).format).toBe('sigstore-json');
    expect(sniffSignatureBlob(enc('-----BEGIN PGP MESSAGE-----\n'))).toMatchObject({ format: 'unknown' });
    expect(sniffSignatureBlob(enc('<html><body>404</body></html>'))).toMatchObject({
      format: 'unknown',
      reason: expect.stringContaining('HTML'),
    });
    expect(sniffSignatureBlob(readFileSync(join(DIR, 'unsigned-encrypted.signature'))).format).toBe(
      'unknown',
    );
  });

  it('parses the corpus message structure and signer facts', async () => {
    const m = await parseSimpleSigningMessage(new Uint8Array(readFileSync(join(DIR, 'expired.signature'))));
    expect(m.structure).toBe('8[4,11]+1sig');
    expect(m.signatures[0]).toMatchObject({
      keyId: 'E932F44B23E8DD43',
      hashAlgorithm: 'SHA-256',
      publicKeyAlgorithm: 'RSA',
    });
    expect(m.signatures[0]!.expires?.toISOString()).toBe('2025-06-24T10:00:00.000Z');
    await expect(
      parseSimpleSigningMessage(new Uint8Array(readFileSync(join(DIR, 'unsigned-literal.signature')))),
    ).rejects.toThrow(/without a signature/);
    await expect(
      parseSimpleSigningMessage(new Uint8Array(readFileSync(join(DIR, 'unsigned-encrypted.signature')))),
    ).rejects.toThrow();
  });

  it('builds lookaside URLs without the registry host, digest colon as =', () => {
    expect(lookasideSignatureUrl('https://example.com/lookaside/', 'library/busybox', 'sha256:817a', 1)).toBe(
      'https://example.com/lookaside/library/busybox@sha256=817a/signature-1',
    );
  });

  it('reads the extension API answer: version 2 atomic entries only', () => {
    const body = enc(
      JSON.stringify({
        signatures: [
          {
            schemaVersion: 2,
            name: 'sha256:x@a',
            type: 'atomic',
            content: Buffer.from('abc').toString('base64'),
          },
          { version: 2, name: 'sha256:x@b', type: 'atomic', content: 'AQI=' },
          { schemaVersion: 1, name: 'old', type: 'atomic', content: 'AQI=' },
          { schemaVersion: 2, name: 'other', type: 'cosign', content: 'AQI=' },
        ],
      }),
    );
    const r = parseExtensionSignatures(body);
    expect(r.signatures.map((s) => s.name)).toEqual(['sha256:x@a', 'sha256:x@b']);
    expect(r.skipped).toBe(2);
  });
});

describe('docker references', () => {
  it('normalises like containers/image', () => {
    expect(referenceString(parseDockerReference('busybox:latest'))).toBe('docker.io/library/busybox:latest');
    expect(referenceString(parseDockerReference('testing/manifest'))).toBe('docker.io/testing/manifest');
    expect(parseDockerReference('127.0.0.1:5000/a/b@sha256:' + 'a'.repeat(64))).toMatchObject({
      domain: '127.0.0.1:5000',
      path: 'a/b',
    });
    expect(() => parseDockerReference('UPPERCASEISINVALID')).toThrow(/lowercase/);
  });
});

/** The exact refusal of parseClaim for this JSON text. */
function claimRefusal(text: string | Uint8Array): string {
  try {
    parseClaim(typeof text === 'string' ? enc(text) : text);
  } catch (e) {
    expect((e as { code?: string }).code).toBe('MALFORMED_SIGNATURE');
    return (e as Error).message;
  }
  throw new Error('accepted');
}
const CRIT = JSON.stringify(good.critical);
const withCritical = (critical: unknown): string => JSON.stringify({ critical, optional: {} });

describe('parseClaim: each structural rule of strictUnmarshalJSON, by its exact message', () => {
  it('the document and "critical"/"optional" must be objects (not arrays, null or scalars)', () => {
    expect(claimRefusal('[]')).toBe('simple-signing claim: not a JSON object');
    expect(claimRefusal('null')).toBe('simple-signing claim: not a JSON object');
    expect(claimRefusal('"abc"')).toBe('simple-signing claim: not a JSON object');
    expect(claimRefusal('{"critical":[],"optional":{}}')).toBe(
      'simple-signing claim: "critical" is not an object',
    );
    expect(claimRefusal('{"critical":null,"optional":{}}')).toBe(
      'simple-signing claim: "critical" is not an object',
    );
    expect(claimRefusal(`{"critical":${CRIT},"optional":[]}`)).toBe(
      'simple-signing claim: "optional" is not an object',
    );
    expect(claimRefusal(`{"critical":${CRIT},"optional":null}`)).toBe(
      'simple-signing claim: "optional" is not an object',
    );
    expect(claimRefusal(withCritical({ ...good.critical, image: ['x'] }))).toBe(
      'simple-signing claim: critical.image is not an object',
    );
    expect(claimRefusal(withCritical({ ...good.critical, identity: null }))).toBe(
      'simple-signing claim: critical.identity is not an object',
    );
  });

  it('names the place of an unknown or a missing member', () => {
    expect(claimRefusal(`{"critical":${CRIT},"optional":{},"x":1,"y":2}`)).toBe(
      'simple-signing claim: unknown member(s) "x", "y" in the top level',
    );
    expect(claimRefusal(`{"critical":${CRIT}}`)).toBe('simple-signing claim: the top level lacks "optional"');
    expect(claimRefusal('{}')).toBe('simple-signing claim: the top level lacks "critical", "optional"');
    expect(claimRefusal(withCritical({ ...good.critical, x: 1 }))).toBe(
      'simple-signing claim: unknown member(s) "x" in "critical"',
    );
    expect(claimRefusal(withCritical({ type: good.critical.type, image: good.critical.image }))).toBe(
      'simple-signing claim: "critical" lacks "identity"',
    );
    expect(claimRefusal(withCritical({ ...good.critical, image: { x: 1 } }))).toBe(
      'simple-signing claim: unknown member(s) "x" in critical.image',
    );
    expect(claimRefusal(withCritical({ ...good.critical, image: {} }))).toBe(
      'simple-signing claim: critical.image lacks "docker-manifest-digest"',
    );
    expect(claimRefusal(withCritical({ ...good.critical, identity: { reference: 'a' } }))).toBe(
      'simple-signing claim: unknown member(s) "reference" in critical.identity',
    );
    expect(claimRefusal(withCritical({ ...good.critical, identity: {} }))).toBe(
      'simple-signing claim: critical.identity lacks "docker-reference"',
    );
  });

  it('the type, digest, reference and creator values', () => {
    expect(claimRefusal(withCritical({ ...good.critical, type: 7 }))).toBe(
      'simple-signing claim: critical.type is 7, not "atomic container signature"',
    );
    expect(claimRefusal(withCritical({ ...good.critical, identity: { 'docker-reference': 1 } }))).toBe(
      'simple-signing claim: critical.identity.docker-reference is not a string',
    );
    expect(claimRefusal(`{"critical":${CRIT},"optional":{"creator":1}}`)).toBe(
      'simple-signing claim: optional.creator is not a string',
    );
  });

  it('bytes that are not UTF-8 (fatal decoding) or not JSON', () => {
    // An invalid byte inside a string: a lenient decoder would turn it into U+FFFD and accept the claim.
    const text = JSON.stringify(good).replace('"me"', '"m\u00ff"');
    const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
    expect(claimRefusal(bytes)).toBe('simple-signing claim: not UTF-8');
    expect(claimRefusal('{"critical":')).toBe('simple-signing claim: not JSON');
    expect(claimRefusal(`{"critical":${CRIT},"optional":{"a":{"b":1,"b":2}}}`)).toBe(
      'simple-signing claim: duplicate key(s) "b"',
    );
  });
});

describe('parseClaim: the manifest digest (go-digest grammar)', () => {
  const withDigest = (d: unknown): string =>
    withCritical({ ...good.critical, image: { 'docker-manifest-digest': d } });
  const accepted = ['sha256:' + 'a'.repeat(64), 'a.bc:x', 'a+b_c-d.ef:AZaz09=_-', 'sha256:ABC'];
  for (const d of accepted) {
    it(`takes ${d}`, () => {
      expect(parseClaim(enc(withDigest(d))).manifestDigest).toBe(d);
    });
  }
  // Anchored both ends, each separator followed by one or more [a-z0-9], no other characters.
  const refused: unknown[] = [
    'Sha256:abc',
    'sha256:abc!',
    'a..b:x',
    'a.:x',
    'sha256:',
    ':abc',
    'sha256:a b',
    5,
  ];
  for (const d of refused) {
    it(`refuses ${JSON.stringify(d)}`, () => {
      expect(claimRefusal(withDigest(d))).toBe(
        `simple-signing claim: critical.image.docker-manifest-digest ${JSON.stringify(d)} is not a digest`,
      );
    });
  }
});

describe('parseClaim: optional.timestamp must be written as an integer', () => {
  const TS = 'simple-signing claim: optional.timestamp is not an integer number of seconds';
  const withTs = (raw: string): string => `{"critical":${CRIT},"optional":{"timestamp"${raw}}}`;
  it('takes integers, negative ones included, with white space around the colon', () => {
    expect(parseClaim(enc(withTs(':1700000000'))).timestamp).toBe(1700000000);
    expect(parseClaim(enc(withTs(' : -5'))).timestamp).toBe(-5);
    expect(parseClaim(enc(withTs(':\n\t10'))).timestamp).toBe(10);
  });
  // JSON.parse reads 10.0 and 1e3 as integers; the text shows they were not written so.
  const refused = [
    ':1.0',
    ':10.0',
    ' :10.0',
    ': 10.0',
    ':\n 1.0',
    ':-1.0',
    ':1e3',
    ':12E1',
    ':1.5',
    ':"1"',
    ':null',
  ];
  for (const raw of refused) {
    it(`refuses "timestamp"${JSON.stringify(raw).slice(1, -1)}`, () => {
      expect(claimRefusal(withTs(raw))).toBe(TS);
    });
  }
  it('refuses integers beyond 2^53, which a double cannot hold exactly', () => {
    expect(claimRefusal(withTs(':9007199254740993'))).toBe(TS);
    expect(parseClaim(enc(withTs(':9007199254740991'))).timestamp).toBe(9007199254740991);
  });
});

describe('parseClaim beside skopeo standalone-verify (containers/image) on gpg-signed claims', () => {
  /**
   * skopeo exit status and sigscan's answer for each claim. containers/image decodes the timestamp as a
   * float64 and only checks it has no fraction, and Go's decoder leaves a value untouched on JSON null:
   * it accepts 1.0, 1e3 and null where sigscan refuses. sigscan is stricter there, never looser.
   */
  const expected: Record<string, { skopeo: number; sigscan: string }> = {
    'claim-good': { skopeo: 0, sigscan: 'ok' },
    'claim-ts-1.0': { skopeo: 0, sigscan: 'optional.timestamp is not an integer number of seconds' },
    'claim-ts-1e3': { skopeo: 0, sigscan: 'optional.timestamp is not an integer number of seconds' },
    'claim-ts-null': { skopeo: 0, sigscan: 'optional.timestamp is not an integer number of seconds' },
    'claim-ts-1.5': { skopeo: 1, sigscan: 'optional.timestamp is not an integer number of seconds' },
    'claim-optional-array': { skopeo: 1, sigscan: '"optional" is not an object' },
    // Upper-case hex passes the grammar here and is then refused as another image's digest (by skopeo too).
    'claim-digest-upper': { skopeo: 1, sigscan: 'ok' },
    // The claim is well-formed; its reference is not (reference.test.ts), which skopeo finds here.
    'claim-ref-bad-digest': { skopeo: 1, sigscan: 'ok' },
  };
  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: skopeo exit ${want.skopeo}, sigscan ${want.sigscan}`, async () => {
      const f = await simpleSigningFixtures();
      expect(f.skopeo[`${name}.sig`]!.code).toBe(want.skopeo);
      expect(f.gpg[`${name}.sig`]!.code).toBe(0);
      const m = await parseSimpleSigningMessage(await f.file(`${name}.sig`));
      expect(Buffer.from(m.literal).toString('utf8')).toBe(SIGNED_CLAIMS[name]);
      let sigscan = 'ok';
      try {
        parseClaim(m.literal);
      } catch (e) {
        sigscan = (e as Error).message.replace('simple-signing claim: ', '');
      }
      expect(sigscan).toBe(want.sigscan);
    });
  }
  it('claim-ref-bad-digest: skopeo refuses the reference, and so does parseDockerReference', async () => {
    const f = await simpleSigningFixtures();
    expect(f.skopeo['claim-ref-bad-digest.sig']!.said).toContain(
      'Invalid docker reference example.com/ssf/app@foo:bar in signature',
    );
    const c = parseClaim((await parseSimpleSigningMessage(await f.file('claim-ref-bad-digest.sig'))).literal);
    expect(c.dockerReference).toBe('example.com/ssf/app@foo:bar');
    expect(() => parseDockerReference(c.dockerReference)).toThrow(
      '"example.com/ssf/app@foo:bar" is not a valid docker reference: invalid digest',
    );
  });

  it('the skopeo standalone-sign claim: digest, reference, creator and an integer timestamp', async () => {
    const f = await simpleSigningFixtures();
    const m = await parseSimpleSigningMessage(await f.file('standalone.sig'));
    const c = parseClaim(m.literal);
    expect(c.manifestDigest).toBe(SSF_DIGEST);
    expect(c.dockerReference).toBe(SSF_REFERENCE);
    expect(c.creator).toMatch(/^atomic /);
    expect(Number.isSafeInteger(c.timestamp)).toBe(true);
    expect(Object.keys(c.optional).sort()).toEqual(['creator', 'timestamp']);
  });
});
