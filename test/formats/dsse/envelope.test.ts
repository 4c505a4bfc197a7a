/**
 * parseDsseEnvelope on the corpus' real envelopes and byte-edited copies of them (issue #18): every shape
 * the DSSE spec (secure-systems-lab/dsse, envelope.md) does not allow is refused with MALFORMED_ENVELOPE,
 * never a TypeError, and the payload is kept as the exact decoded bytes that PAE covers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { pae, parseDsseEnvelope } from '../../../src/formats/dsse/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const REAL = readFileSync(join(CORPUS_DIR, 'dsse', 'in-toto-golang', 'package-dsse.2f89b927.link'), 'utf8');
type Json = Record<string, unknown>;
const edited = (edit: (e: Json) => unknown): Uint8Array => {
  const e = JSON.parse(REAL) as Json;
  const out = edit(e);
  return Buffer.from(JSON.stringify(out === undefined ? e : out));
};

/** [code, message] of what parseDsseEnvelope throws: a SigscanError, not a TypeError. */
function refusal(bytes: Uint8Array): [string, string] {
  try {
    parseDsseEnvelope(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return [(err as SigscanError).code, (err as SigscanError).message];
  }
  throw new Error('parsed');
}

const NEEDS_STRINGS = 'DSSE envelope needs string "payload" and "payloadType"';

describe('parseDsseEnvelope', () => {
  it('keeps the decoded payload bytes, the payload type and the key id as in-toto-golang wrote them', () => {
    const doc = JSON.parse(REAL) as { payload: string; payloadType: string; signatures: Json[] };
    const env = parseDsseEnvelope(Buffer.from(REAL));
    expect(Buffer.from(env.payload)).toEqual(Buffer.from(doc.payload, 'base64'));
    expect(env.payloadType).toBe(doc.payloadType);
    expect(env.signatures).toEqual([
      {
        keyid: doc.signatures[0]!['keyid'],
        sig: new Uint8Array(Buffer.from(String(doc.signatures[0]!['sig']), 'base64')),
      },
    ]);
    // What the signature covers is PAE(type, payload), not the payload.
    expect(Buffer.from(pae(env.payloadType, env.payload)).toString()).toBe(
      `DSSEv1 ${doc.payloadType.length} ${doc.payloadType} ${env.payload.length} ${Buffer.from(env.payload).toString()}`,
    );
  });

  it('an empty key id is no key id', () => {
    const env = parseDsseEnvelope(
      edited((e) => {
        (e['signatures'] as Json[])[0]!['keyid'] = '';
      }),
    );
    expect(env.signatures[0]!.keyid).toBeUndefined();
    const none = parseDsseEnvelope(
      edited((e) => {
        delete (e['signatures'] as Json[])[0]!['keyid'];
      }),
    );
    expect(none.signatures[0]!.keyid).toBeUndefined();
  });

  it('not JSON: MALFORMED_ENVELOPE', () => {
    expect(refusal(Buffer.from(REAL.slice(0, -2)))).toEqual([
      'MALFORMED_ENVELOPE',
      'DSSE envelope is not JSON',
    ]);
  });

  it('JSON that is not an object, or lacks a string payload or payloadType: MALFORMED_ENVELOPE', () => {
    for (const doc of ['null', '0', '"x"', 'true']) {
      expect(refusal(Buffer.from(doc)), doc).toEqual(['MALFORMED_ENVELOPE', NEEDS_STRINGS]);
    }
    expect(refusal(edited((e) => void delete e['payload']))).toEqual(['MALFORMED_ENVELOPE', NEEDS_STRINGS]);
    expect(refusal(edited((e) => void (e['payload'] = 7)))).toEqual(['MALFORMED_ENVELOPE', NEEDS_STRINGS]);
    expect(refusal(edited((e) => void delete e['payloadType']))).toEqual([
      'MALFORMED_ENVELOPE',
      NEEDS_STRINGS,
    ]);
    expect(refusal(edited((e) => void (e['payloadType'] = ['application/vnd.in-toto+json'])))).toEqual([
      'MALFORMED_ENVELOPE',
      NEEDS_STRINGS,
    ]);
  });

  it('no signature list, or a signature without a string sig: MALFORMED_ENVELOPE', () => {
    expect(refusal(edited((e) => void delete e['signatures']))).toEqual([
      'MALFORMED_ENVELOPE',
      'DSSE envelope has no "signatures" list',
    ]);
    expect(refusal(edited((e) => void (e['signatures'] = (e['signatures'] as Json[])[0])))).toEqual([
      'MALFORMED_ENVELOPE',
      'DSSE envelope has no "signatures" list',
    ]);
    expect(refusal(edited((e) => void (e['signatures'] = [...(e['signatures'] as Json[]), null])))).toEqual([
      'MALFORMED_ENVELOPE',
      'DSSE signature 1 has no "sig"',
    ]);
    expect(refusal(edited((e) => void ((e['signatures'] as Json[])[0]!['sig'] = 1)))).toEqual([
      'MALFORMED_ENVELOPE',
      'DSSE signature 0 has no "sig"',
    ]);
  });

  it('an envelope with no signatures parses (the verifiers refuse it, not the parser)', () => {
    expect(parseDsseEnvelope(edited((e) => void (e['signatures'] = []))).signatures).toEqual([]);
  });
});
