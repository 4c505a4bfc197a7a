import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { parseNotationPayload } from '../../../src/formats/notation/payload.js';

const enc = (s: string) => new TextEncoder().encode(s);
const payload = (t: unknown) => enc(JSON.stringify({ targetArtifact: t }));
const good = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:ab', size: 1 };

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

describe('parseNotationPayload', () => {
  it('rejects bytes that are not UTF-8, with the decoder error as cause', () => {
    const bytes = new Uint8Array([
      ...enc('{"targetArtifact":{"mediaType":"a'),
      0xff,
      ...enc('","digest":"sha256:ab","size":1}}'),
    ]);
    const err = malformedError(() => parseNotationPayload(bytes));
    expect(err.message).toMatch(/^notation payload is not valid JSON: /);
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('rejects text that is not JSON, keeping the parse error', () => {
    const err = malformedError(() => parseNotationPayload(enc('{"targetArtifact":')));
    expect(err.message).toMatch(/^notation payload is not valid JSON: /);
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects a payload or target that is not an object', () => {
    for (const text of [
      'null',
      '[]',
      '{"targetArtifact":null}',
      '{"targetArtifact":"x"}',
      '{"targetArtifact":[1]}',
    ]) {
      expect(malformedError(() => parseNotationPayload(enc(text))).message).toBe(
        'notation payload has no targetArtifact object',
      );
    }
  });

  it('requires a non-empty media type', () => {
    const { mediaType: _m, ...noType } = good;
    for (const t of [noType, { ...good, mediaType: '' }, { ...good, mediaType: 3 }]) {
      expect(malformedError(() => parseNotationPayload(payload(t))).message).toBe(
        'notation payload targetArtifact.mediaType is missing',
      );
    }
  });

  it('accepts size 0 and drops non-string annotation values', () => {
    expect(parseNotationPayload(payload({ ...good, size: 0, annotations: { a: 'b', n: 1 } }))).toEqual({
      targetArtifact: { ...good, size: 0, annotations: { a: 'b' } },
    });
  });
});
