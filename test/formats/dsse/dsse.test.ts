import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  pae,
  parseDsseEnvelope,
  parseInTotoStatement,
  predicateKind,
} from '../../../src/formats/dsse/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

describe('DSSE', () => {
  it('encodes PAE exactly as the spec example, counting bytes not characters', () => {
    expect(Buffer.from(pae('http://example.com/HelloWorld', Buffer.from('hello world'))).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    expect(Buffer.from(pae('t', new Uint8Array())).toString()).toBe('DSSEv1 1 t 0 ');
    expect(Buffer.from(pae('é', Buffer.from('ü'))).toString()).toBe('DSSEv1 2 é 2 ü');
  });

  it('reads real in-toto DSSE envelopes from the corpus', async () => {
    const env = parseDsseEnvelope(
      new Uint8Array(
        await readFile(join(CORPUS_DIR, 'dsse', 'in-toto-golang', 'package-dsse.2f89b927.link')),
      ),
    );
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    expect(env.signatures).toHaveLength(1);
    expect(env.signatures[0]!.keyid).toMatch(/^2f89b927/);
    // in-toto-golang wraps a classic link metablock body, not a Statement.
    expect(JSON.parse(Buffer.from(env.payload).toString())._type).toBe('link');
  });

  it('parses statements and names well-known predicates', () => {
    const s = parseInTotoStatement(
      Buffer.from(
        JSON.stringify({
          _type: 'https://in-toto.io/Statement/v0.1',
          subject: [{ name: 'img', digest: { sha256: 'ab' } }],
          predicateType: 'https://slsa.dev/provenance/v1',
          predicate: {},
        }),
      ),
    );
    expect(s).toMatchObject({
      predicateKind: 'SLSA provenance',
      subjects: [{ name: 'img', digest: { sha256: 'ab' } }],
    });
    expect(predicateKind('https://openvex.dev/ns/v0.2.0')).toBe('OpenVEX');
    expect(() => parseDsseEnvelope(Buffer.from('{"payload":1}'))).toThrow(/payload/);
    expect(() => parseInTotoStatement(Buffer.from('{"_type":"x"}'))).toThrow(/in-toto/);
  });
});
