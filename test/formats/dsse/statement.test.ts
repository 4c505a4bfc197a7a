/**
 * parseInTotoStatement (issue #18). cosign reads a statement with Go's encoding/json
 * (in_toto.Statement, pkg/cosign/verifiers.go IntotoSubjectClaimVerifier), which matches object keys
 * case-insensitively with Unicode simple folding and lets the last variant win; JSON.parse keeps only
 * the exact key. A key that folds to a field name without being it would make sigscan and cosign read
 * different subjects, so it is refused.
 */
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { parseInTotoStatement, predicateKind } from '../../../src/formats/dsse/index.js';

const DIGEST = '732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const BASE = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'registry.example/app', digest: { sha256: DIGEST } }],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: { buildDefinition: {} },
};

const parse = (doc: unknown) => parseInTotoStatement(Buffer.from(JSON.stringify(doc)));
const parseText = (text: string) => parseInTotoStatement(Buffer.from(text));

function refusal(run: () => unknown): [string, string] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return [(err as SigscanError).code, (err as SigscanError).message];
  }
  throw new Error('parsed');
}

describe('parseInTotoStatement', () => {
  it('reads the type, subjects and predicate type', () => {
    expect(parse(BASE)).toEqual({
      type: 'https://in-toto.io/Statement/v1',
      subjects: [{ name: 'registry.example/app', digest: { sha256: DIGEST } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicateKind: 'SLSA provenance',
    });
  });

  it('not JSON, or JSON null: MALFORMED_ENVELOPE, never a TypeError', () => {
    expect(refusal(() => parseText('{"_type":'))).toEqual([
      'MALFORMED_ENVELOPE',
      'in-toto statement is not JSON',
    ]);
    expect(refusal(() => parseText('null'))).toEqual([
      'MALFORMED_ENVELOPE',
      'payload is not an in-toto Statement',
    ]);
    expect(refusal(() => parseText('[]'))).toEqual([
      'MALFORMED_ENVELOPE',
      'payload is not an in-toto Statement',
    ]);
  });

  it('the _type must start with the in-toto Statement URI', () => {
    for (const t of ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']) {
      expect(parse({ ...BASE, _type: t }).type).toBe(t);
    }
    for (const t of ['link', 'xhttps://in-toto.io/Statement/v1', 'http://in-toto.io/Statement/v1', 7]) {
      expect(
        refusal(() => parse({ ...BASE, _type: t })),
        String(t),
      ).toEqual(['MALFORMED_ENVELOPE', 'payload is not an in-toto Statement']);
    }
  });

  it('subject must be a list and predicateType a string', () => {
    const lacks = ['MALFORMED_ENVELOPE', 'in-toto statement lacks "subject" or "predicateType"'];
    expect(refusal(() => parse({ ...BASE, subject: BASE.subject[0] }))).toEqual(lacks);
    expect(refusal(() => parse({ ...BASE, predicateType: undefined }))).toEqual(lacks);
  });

  it('keeps only string digests and names; a null subject or a digest that is no object carries none', () => {
    const s = parse({
      ...BASE,
      subject: [
        null,
        { name: 'a', digest: 'sha256:abc' },
        { name: 7, digest: { sha256: 'ab', sha512: 12, other: null } },
        { digest: ['ab'] },
      ],
    });
    expect(s.subjects).toEqual([
      { name: undefined, digest: {} },
      { name: 'a', digest: {} },
      { name: undefined, digest: { sha256: 'ab' } },
      { name: undefined, digest: { 0: 'ab' } },
    ]);
  });

  it('refuses statement keys Go would read as a field: case variants and Unicode folds', () => {
    const cases: Array<[string, unknown]> = [
      ['Subject', [{ digest: { sha256: '00'.repeat(32) } }]],
      ['SUBJECT', []],
      // U+017F LATIN SMALL LETTER LONG S folds to "s" in Go's EqualFold (and NFKC).
      ['\u017Fubject', [{ digest: { sha256: '00'.repeat(32) } }]],
      ['_TYPE', 'https://in-toto.io/Statement/v1'],
      ['PredicateType', 'https://example.com/other'],
      // Fullwidth letters: NFKC makes them ASCII.
      ['\uFF30redicate', {}],
    ];
    for (const [key, value] of cases) {
      expect(
        refusal(() => parse({ ...BASE, [key]: value })),
        key,
      ).toEqual(['MALFORMED_ENVELOPE', `in-toto statement has a key "${key}" that Go reads as a field`]);
    }
  });

  it('refuses subject keys Go would read as a field', () => {
    for (const key of ['Digest', 'NAME', 'digeſt']) {
      const subject = [{ ...BASE.subject[0], [key]: { sha256: '00'.repeat(32) } }];
      expect(
        refusal(() => parse({ ...BASE, subject })),
        key,
      ).toEqual(['MALFORMED_ENVELOPE', `in-toto subject has a key "${key}" that Go reads as a field`]);
    }
  });

  it('accepts unrelated extra keys, in the statement and its subjects', () => {
    const s = parse({
      ...BASE,
      subject: [{ ...BASE.subject[0], annotations: { x: 'y' }, uri: 'u' }],
      predicateTypes: 'not a field',
      extra: 1,
    });
    expect(s.subjects).toEqual([{ name: 'registry.example/app', digest: { sha256: DIGEST } }]);
  });
});

describe('predicateKind', () => {
  it('names well-known predicate types and calls the rest custom', () => {
    expect(predicateKind('https://slsa.dev/provenance/v0.2')).toBe('SLSA provenance');
    expect(predicateKind('https://spdx.dev/Document')).toBe('SPDX SBOM');
    expect(predicateKind('https://cyclonedx.org/bom')).toBe('CycloneDX SBOM');
    expect(predicateKind('https://cosign.sigstore.dev/attestation/vuln/v1')).toBe('vulnerability scan');
    expect(predicateKind('https://cosign.sigstore.dev/attestation/v1')).toBe('custom (cosign)');
    expect(predicateKind('https://sigstore.dev/cosign/sign/v1')).toBe('cosign signature');
    expect(predicateKind('https://in-toto.io/attestation/link/v0.3')).toBe('in-toto link');
    expect(predicateKind('https://example.com/predicate/v1')).toBe('custom');
    expect(predicateKind('xhttps://slsa.dev/provenance/v1')).toBe('custom');
  });
});
