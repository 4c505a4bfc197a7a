import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { dnSet } from '../dn.js';
import { CORPUS_DIR } from '../corpus.js';

/** The shared, read-only Authenticode corpus and what expected.json says about each PE in it. */

export { CORPUS_DIR };
export const SIGNIFY_DIR = join(CORPUS_DIR, 'authenticode/signify');
export const UNSIGNED_PE = join(CORPUS_DIR, 'authenticode/osslsigncode/unsigned.exe');
export const CATALOG_FILE = join(
  SIGNIFY_DIR,
  '115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat',
);

export const SIGNED_CORPUS_FILES = [
  'whois.exe',
  'sigcheck.exe',
  'pciide.sys',
  'DXCore.dll',
  'spotify_sample.exe',
  'SoftwareUpdate.exe',
  'kdbazis.dll',
  '7z1900-x64_signed.exe',
] as const;

export interface ExpectedSigner {
  index?: number;
  nested?: boolean;
  subject: string;
  issuer?: string;
  certSha256?: string;
  digest?: string;
}

export interface ExpectedCountersignature {
  index?: number;
  type?: string;
  tsaSubject?: string;
  tsaIssuer?: string;
  time?: string;
  present?: boolean;
}

export interface ExpectedAuthenticodePe {
  id: string;
  file: string;
  /** Primary first, then nested, as expected.json indexes them. */
  signers: ExpectedSigner[];
  countersignatures: ExpectedCountersignature[];
}

interface RawEntry {
  id: string;
  kind: string;
  files: { pe?: string };
  signer: (ExpectedSigner & { signatures?: ExpectedSigner[] }) | null;
  countersignature?: ExpectedCountersignature | ExpectedCountersignature[];
}

/**
 * Places where expected.json disagrees with the file itself, checked with
 * `openssl pkcs7 -print_certs` on the extracted signature and `osslsigncode verify`.
 */
const ERRATA: Record<string, (e: ExpectedAuthenticodePe) => void> = {
  // The only timestamp certificate in pciide.sys has no OU=MOPR (that OU belongs to the signer).
  'pciide.sys': (e) => {
    e.countersignatures[0]!.tsaSubject =
      'CN=Microsoft Time-Stamp Service,OU=nCipher DSE ESN:A5B0-CDE0-DC94,O=Microsoft Corporation,...';
  },
  // Listed as RFC 3161; the file carries a PKCS #9 countersignature (1.2.840.113549.1.9.6).
  'kdbazis.dll': (e) => {
    e.countersignatures[0]!.type = 'Authenticode (PKCS#9) countersignature';
  },
};

export function expectedAuthenticodePe(fileName: string): ExpectedAuthenticodePe {
  const doc = JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as {
    artifacts: RawEntry[];
  };
  const entry = doc.artifacts.find(
    (a) => a.kind === 'authenticode-pe' && a.files.pe?.endsWith(`/${fileName}`),
  );
  if (!entry) throw new Error(`expected.json has no authenticode-pe entry for ${fileName}`);
  const signers = !entry.signer ? [] : (entry.signer.signatures ?? [entry.signer]);
  const counter = entry.countersignature;
  const countersignatures = (Array.isArray(counter) ? counter : counter ? [counter] : []).filter(
    (c) => c.present !== false,
  );
  const expected = { id: entry.id, file: join(CORPUS_DIR, entry.files.pe!), signers, countersignatures };
  ERRATA[fileName]?.(expected);
  return expected;
}

/**
 * expected.json writes DNs in Python's RFC 4514 order, sometimes cut short with `,...` and without
 * escaping commas inside values ("O=VeriSign, Inc."). The listed attributes must all be in `actual`;
 * without the `...` the sets must be equal. Issuers there list only the CN, so callers pass `partial`.
 */
export function dnMatchesExpected(actual: string | undefined, expected: string, partial = false): boolean {
  if (actual === undefined) return false;
  const truncated = partial || expected.endsWith(',...');
  const body = (expected.endsWith(',...') ? expected.slice(0, -4) : expected).replace(
    /,(?!\s*[A-Za-z][A-Za-z0-9.-]*=)/g,
    '\\,',
  );
  const want = dnSet(body);
  const have = dnSet(actual);
  return truncated ? want.every((a) => have.includes(a)) : JSON.stringify(want) === JSON.stringify(have);
}

/** expected.json times are whole seconds; ours keep the token's fraction. */
export function sameSecond(actualIso: string | undefined, expectedIso: string): boolean {
  if (!actualIso) return false;
  return Math.floor(Date.parse(actualIso) / 1000) === Math.floor(Date.parse(expectedIso) / 1000);
}
