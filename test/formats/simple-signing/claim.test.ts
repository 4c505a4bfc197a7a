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
