/**
 * Every code a verdict can carry has a test that makes an input yielding exactly that code (issue #18).
 *
 * The vocabulary is read from src/, so a new code cannot slip in untested: every UPPER_SNAKE string
 * literal in src/trust/ (verdict constructors, chain, timestamp, policy and TUF problem codes, which the
 * families pass on as verdict codes), plus the codes of `integrity` findings in src/detectors/ and
 * src/formats/ (the evaluator turns those into `invalid` verdicts with the same code).
 *
 * A code counts as produced when a test file (not this one, not a comment) names it as a string literal
 * and asserts with expect(): the tests here assert codes as `code: 'X'`, `toBe('X')` or in outcome tables.
 * This is a coarse gate, not a proof; the mutation report (reports/mutation.md) is the finer one, since
 * Stryker blanks each code literal and fails when no test notices.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PROJECT_ROOT } from '../helpers/tools.js';

/** Literals in src/trust/ that look like codes but never reach a Verdict. */
const NOT_VERDICT_CODES: Record<string, string> = {
  SHA2_256: 'a protobuf HashAlgorithm name (sigstore bundles), not a code',
  SIGNING_TIME_VALID: 'a passed notation check: the verdict is SIGNATURE_VERIFIED / the failing check code',
  CERTS_VALID_NOW: 'a passed notation check: the verdict is SIGNATURE_VERIFIED / the failing check code',
  NOT_EXPIRED: 'a passed notation check: the verdict is SIGNATURE_VERIFIED / the failing check code',
  SIGSCAN_CACHE_DIR: 'an environment variable naming the TUF cache directory',
  XDG_CACHE_HOME: 'an environment variable naming the TUF cache directory',
};

/**
 * Codes with no producing test yet, each with what it takes. This list may only shrink: an entry whose code
 * gains a test fails below, so remove it then. Owners: x509-chain codes and the JAR digest codes are
 * being written by the "pe" and "jar" engineers (test/trust/x509-chain-codes.test.ts and the
 * SHA-1-right/SHA-256-wrong JAR); the rest are open (reports/mutation.md lists them).
 */
const UNTESTED: Record<string, string> = {
  SF_DIGEST_MISMATCH: 'jar: .SF digest of the manifest wrong (jar engineer)',
  AMBIGUOUS_SIGNATURE_FILE: 'jar: two .SF files for one block name, differing in case',
  DUPLICATE_MANIFEST_SECTION: 'jar: a manifest with the same Name: twice',
  SIGNATURE_BLOCK_MALFORMED: 'jar: a .RSA block that is not CMS',
  SIGNATURE_FILE_MALFORMED: 'jar: a .SF file that is not a manifest',
  ANNOTATION_MALFORMED: 'ir-sign: annotation that is not base64',
  ANNOTATION_MISSING: 'ir-sign: manifest without the signature annotation',
  CONFIG_DIGEST_MISMATCH: 'ir-sign: config blob altered',
  CONFIG_MISSING: 'ir-sign: config blob absent',
  ARTIFACT_UNAVAILABLE: 'sigstore bundle whose artifact could not be read',
  CERTIFICATE_ERROR: '@sigstore/verify certificate failure mapping',
  KEY_UNSUPPORTED: 'notation: signing key type outside the spec',
  MALFORMED_DIGEST: 'sigstore bundle with a bad message digest',
  MALFORMED_LAYOUT: 'in-toto: layout that does not parse',
  MULTIPLE_SIGNATURES: 'simple signing: OpenPGP message with two signatures',
  MULTIPLE_SIGNER_INFOS: 'authenticode: SignedData with two SignerInfos',
  NOT_PE_IMAGE_DATA: 'authenticode: SpcIndirectDataContent of another type',
  NO_SIGNATURES: 'cosign attestation layer without signatures',
  PUBLIC_KEY_ERROR: '@sigstore/verify public key failure mapping',
  REFERRER_SUBJECT_MISMATCH: 'sigstore bundle referrer naming another subject',
  SIGNATURE_ERROR: '@sigstore/verify signature failure mapping',
  SIGNATURE_REJECTED: 'simple signing: policy rejection fallback',
  SIGSTORE_VERIFY_FAILED: '@sigstore/verify generic failure mapping',
  TIMESTAMP_ERROR: '@sigstore/verify timestamp failure mapping',
  TIMESTAMP_INVALID: 'notation/cms-signer: timestamp token that does not verify',
  TLOG_BODY_ERROR: '@sigstore/verify tlog failure mapping',
  TLOG_ERROR: '@sigstore/verify tlog failure mapping',
  TLOG_INCLUSION_PROMISE_ERROR: '@sigstore/verify SET failure mapping',
  TLOG_INCLUSION_PROOF_ERROR: '@sigstore/verify inclusion proof failure mapping',
  TLOG_MISSING_INCLUSION_ERROR: '@sigstore/verify failure mapping',
  TUF_ROOT_CN_MISMATCH: 'notary: root certificate CN other than the GUN',
  VENDOR_KEY_INVALID: 'OCI annotation vendor key that does not parse',
  VERIFICATION_PLUGIN_REQUIRED: 'notation: envelope naming a verification plugin',
};

const CODE = /'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g;
const INTEGRITY_FINDING =
  /code:\s*'([A-Z][A-Z0-9_]+)'[^}]{0,200}?severity:\s*'integrity'|severity:\s*'integrity'[^}]{0,200}?code:\s*'([A-Z][A-Z0-9_]+)'/gs;
const THIS_FILE = relative(PROJECT_ROOT, import.meta.filename);

function files(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(PROJECT_ROOT, join(e.parentPath, e.name)))
    .sort();
}

/** Source text without comments, so a code named only in prose does not count. */
function code(path: string): string {
  return readFileSync(join(PROJECT_ROOT, path), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Code -> the src files it appears in. */
function verdictVocabulary(): Map<string, string[]> {
  const vocabulary = new Map<string, string[]>();
  const add = (c: string, f: string) => {
    if (NOT_VERDICT_CODES[c]) return;
    const at = vocabulary.get(c) ?? [];
    if (!at.includes(f)) at.push(f);
    vocabulary.set(c, at);
  };
  for (const f of files('src/trust')) for (const m of code(f).matchAll(CODE)) add(m[1]!, f);
  for (const f of [...files('src/detectors'), ...files('src/formats')]) {
    for (const m of code(f).matchAll(INTEGRITY_FINDING)) add((m[1] ?? m[2])!, f);
  }
  return vocabulary;
}

/** Code -> the test files that name it and assert. */
function producers(codes: Iterable<string>): Map<string, string[]> {
  const tests = files('test')
    .filter((f) => f !== THIS_FILE)
    .map((f) => ({ f, text: code(f) }))
    .filter(({ text }) => text.includes('expect('));
  const found = new Map<string, string[]>();
  for (const c of codes) {
    const literal = new RegExp(`['"\`]${c}['"\`]`);
    found.set(
      c,
      tests.filter(({ text }) => literal.test(text)).map(({ f }) => f),
    );
  }
  return found;
}

describe('verdict codes', () => {
  const vocabulary = verdictVocabulary();
  const tested = producers(vocabulary.keys());

  it('reads a vocabulary that holds the codes issue #18 names', () => {
    expect(vocabulary.size).toBeGreaterThanOrEqual(150);
    for (const c of ['CA_CONSTRAINT_VIOLATED', 'EKU_NOT_ALLOWED', 'CERT_NOT_YET_VALID', 'CHAIN_VALID']) {
      expect(vocabulary.get(c), c).toContain('src/trust/x509-chain.ts');
    }
    // An integrity finding from a detector: the evaluator makes it the verdict code.
    expect(vocabulary.get('NOT_PE_IMAGE_DATA')).toEqual(['src/detectors/authenticode.ts']);
  });

  it('every code has a test that produces it, or is listed as a known gap', () => {
    const missing = [...vocabulary.keys()].filter((c) => tested.get(c)!.length === 0 && !UNTESTED[c]).sort();
    expect(
      missing,
      'codes in src/ with no test (write one; listing it in UNTESTED is the last resort)',
    ).toEqual([]);
  });

  it('the gap list only shrinks: a listed code that gained a test, or left src/, is removed from it', () => {
    const stale = Object.keys(UNTESTED)
      .filter((c) => !vocabulary.has(c) || tested.get(c)!.length > 0)
      .sort();
    expect(stale).toEqual([]);
  });

  it('the exclusions are literals that exist in src/trust', () => {
    const all = files('src/trust').map(code).join('\n');
    for (const c of Object.keys(NOT_VERDICT_CODES)) expect(all, c).toContain(`'${c}'`);
  });
});
