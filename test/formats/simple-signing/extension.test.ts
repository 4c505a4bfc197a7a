/**
 * The registry signature extension answer (formats.md §4.6; containers/image docker_image_src.go
 * `getSignaturesFromAPIExtension`): a JSON object whose `signatures` list holds base64 blobs, of which
 * only version-2 `atomic` entries are signatures. The blobs are real `skopeo standalone-sign` output.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { parseExtensionSignatures } from '../../../src/formats/simple-signing/extension.js';
import { simpleSigningFixtures } from '../../helpers/simple-signing-fixtures.js';

const enc = (v: unknown): Uint8Array =>
  new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

function refusal(body: Uint8Array): { code: string; message: string } {
  try {
    parseExtensionSignatures(body);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error('accepted');
}

describe('parseExtensionSignatures', () => {
  let sig: Uint8Array;
  let b64: string;
  beforeAll(async () => {
    sig = await (await simpleSigningFixtures()).file('standalone.sig');
    b64 = Buffer.from(sig).toString('base64');
  });

  it('decodes each atomic version-2 entry to the exact blob, named by the registry or by position', () => {
    const r = parseExtensionSignatures(
      enc({
        signatures: [
          { schemaVersion: 2, name: 'sha256:1@a', type: 'atomic', content: b64 },
          { version: 2, type: 'atomic', content: b64 },
        ],
      }),
    );
    expect(r.skipped).toBe(0);
    expect(r.signatures.map((s) => s.name)).toEqual(['sha256:1@a', '#1']);
    expect(Buffer.from(r.signatures[0]!.blob).equals(Buffer.from(sig))).toBe(true);
    expect(Buffer.from(r.signatures[1]!.blob).equals(Buffer.from(sig))).toBe(true);
  });

  it('base64 wrapped over lines (white space anywhere) decodes to the same blob', () => {
    const wrapped = (b64.match(/.{1,60}/g) ?? []).join('\r\n ') + '\n';
    const r = parseExtensionSignatures(
      enc({ signatures: [{ schemaVersion: 2, name: 'w', type: 'atomic', content: wrapped }] }),
    );
    expect(Buffer.from(r.signatures[0]!.blob).equals(Buffer.from(sig))).toBe(true);
    expect(
      parseExtensionSignatures(enc({ signatures: [{ version: 2, type: 'atomic', content: 'AQ I=' }] }))
        .signatures[0]!.blob,
    ).toEqual(new Uint8Array([1, 2]));
  });

  it('skips other versions, types, non-string content and null entries, counting them', () => {
    const r = parseExtensionSignatures(
      enc({
        signatures: [
          { schemaVersion: 1, type: 'atomic', content: 'AQI=' },
          { schemaVersion: 2, type: 'cosign', content: 'AQI=' },
          { schemaVersion: 2, type: 'atomic', content: 5 },
          { schemaVersion: '2', type: 'atomic', content: 'AQI=' },
          null,
          { schemaVersion: 2, type: 'atomic', content: 'AQI=' },
        ],
      }),
    );
    expect(r.skipped).toBe(5);
    expect(r.signatures).toEqual([{ name: '#5', blob: new Uint8Array([1, 2]) }]);
  });

  it('no list (absent, null, or a JSON null body) is no signatures', () => {
    expect(parseExtensionSignatures(enc({}))).toEqual({ signatures: [], skipped: 0 });
    expect(parseExtensionSignatures(enc({ signatures: null }))).toEqual({ signatures: [], skipped: 0 });
    expect(parseExtensionSignatures(enc('null'))).toEqual({ signatures: [], skipped: 0 });
    expect(parseExtensionSignatures(enc({ signatures: [] }))).toEqual({ signatures: [], skipped: 0 });
  });

  it('refuses a body that is not JSON, a list that is not an array, content that is not base64', () => {
    expect(refusal(enc('<html>502</html>'))).toEqual({
      code: 'MALFORMED_ENVELOPE',
      message: 'signature extension answer is not JSON',
    });
    expect(refusal(enc({ signatures: { a: 1 } }))).toEqual({
      code: 'MALFORMED_ENVELOPE',
      message: '"signatures" is not an array',
    });
    const bad = (content: string): Uint8Array =>
      enc({ signatures: [{ schemaVersion: 1 }, { schemaVersion: 2, type: 'atomic', content }] });
    const notB64 = { code: 'MALFORMED_ENVELOPE', message: 'signature 1: content is not base64' };
    // Anchored at both ends: a bad character first or last is caught, and so is padding inside.
    expect(refusal(bad('!AQI='))).toEqual(notB64);
    expect(refusal(bad('AQI=!'))).toEqual(notB64);
    expect(refusal(bad('AQ=I'))).toEqual(notB64);
    expect(refusal(bad('AQI==='))).toEqual(notB64);
    expect(refusal(bad('AQ-_'))).toEqual(notB64);
  });
});
