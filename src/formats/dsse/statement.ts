import { SigscanError } from '../../errors.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** An in-toto Statement (v0.1 or v1): what it is about and which predicate it carries. */
export interface InTotoStatement {
  type: string;
  subjects: Array<{ name?: string; digest: Record<string, string> }>;
  predicateType: string;
  /** A readable name for well-known predicate types. */
  predicateKind: string;
}

const PREDICATE_KINDS: Array<[RegExp, string]> = [
  [/^https:\/\/slsa\.dev\/provenance\//, 'SLSA provenance'],
  [/^https:\/\/spdx\.dev\/Document/, 'SPDX SBOM'],
  [/^https:\/\/cyclonedx\.org\/bom/, 'CycloneDX SBOM'],
  [/^https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\//, 'vulnerability scan'],
  [/^https:\/\/openvex\.dev\/ns/, 'OpenVEX'],
  [/^https:\/\/cosign\.sigstore\.dev\/attestation\/v1$/, 'custom (cosign)'],
  [/^https:\/\/sigstore\.dev\/cosign\/sign\//, 'cosign signature'],
  [/^https:\/\/in-toto\.io\/attestation\/link\//, 'in-toto link'],
];

export function predicateKind(predicateType: string): string {
  return PREDICATE_KINDS.find(([re]) => re.test(predicateType))?.[1] ?? 'custom';
}

/** Parsed for reporting; trust decisions use only what the verified payload bytes say. */
export function parseInTotoStatement(payload: Uint8Array): InTotoStatement {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new SigscanError('MALFORMED_ENVELOPE', 'in-toto statement is not JSON');
  }
  refuseFoldedKeys(doc, ['_type', 'subject', 'predicateType', 'predicate'], 'statement');
  const s = doc as { _type?: unknown; subject?: unknown; predicateType?: unknown };
  if (!s || typeof s._type !== 'string' || !/^https:\/\/in-toto\.io\/Statement\/v/.test(s._type)) {
    throw new SigscanError('MALFORMED_ENVELOPE', 'payload is not an in-toto Statement');
  }
  if (!Array.isArray(s.subject) || typeof s.predicateType !== 'string') {
    throw new SigscanError('MALFORMED_ENVELOPE', 'in-toto statement lacks "subject" or "predicateType"');
  }
  return {
    type: s._type,
    subjects: s.subject.map((x: unknown) => {
      refuseFoldedKeys(x, ['name', 'digest'], 'subject');
      const sub = x as { name?: unknown; digest?: unknown };
      const digest: Record<string, string> = {};
      if (sub?.digest && typeof sub.digest === 'object') {
        for (const [k, v] of Object.entries(sub.digest as Record<string, unknown>))
          if (typeof v === 'string') digest[k] = v;
      }
      return { name: typeof sub?.name === 'string' ? sub.name : undefined, digest };
    }),
    predicateType: s.predicateType,
    predicateKind: predicateKind(s.predicateType),
  };
}

/**
 * cosign reads statements with Go's encoding/json (in_toto.Statement in IntotoSubjectClaimVerifier,
 * pkg/cosign/verifiers.go), which matches keys case-insensitively (with Unicode folding: `ſubject`)
 * and lets the last variant win; JSON.parse keeps only the exact key. A key that folds to a field name
 * without being it would make the two read different subjects, so it is refused.
 */
function refuseFoldedKeys(value: unknown, fields: readonly string[], what: string): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (fields.includes(key)) continue;
    const folded = key.normalize('NFKC').toLowerCase();
    if (fields.some((f) => f.toLowerCase() === folded)) {
      throw new SigscanError(
        'MALFORMED_ENVELOPE',
        `in-toto ${what} has a key "${key}" that Go reads as a field`,
      );
    }
  }
}
