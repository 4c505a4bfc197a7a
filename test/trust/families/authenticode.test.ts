import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuthenticodeMaterial } from '../../../src/detectors/authenticode.js';
import { parsePeLayout } from '../../../src/formats/pe/pe-file.js';
import type { FileTarget } from '../../../src/model/index.js';
import { authenticodeVerifier, contentsOctets } from '../../../src/trust/families/authenticode.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import {
  compileTinyPe,
  fixtureNow,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../../helpers/pe/signed-pe.js';
import {
  CORPUS_AT,
  config,
  corpusArtifacts,
  corpusRoots,
  detectFile,
  evaluateFile,
  isVerified,
  withoutCertificates,
} from '../helpers.js';

/**
 * Errata: where our verdict differs from expected.json, and why. expected.verifies = true, but the corpus
 * lacks the root those verdicts rest on (the corpus notes say osslsigncode with the corpus roots fails
 * them too). We answer untrusted/CHAIN_UNTRUSTED.
 */
const MISSING_ROOT_EXCEPTIONS: Record<string, string> = {
  'authenticode/spotify_sample.exe':
    'chains to AddTrust External CA Root, which is not in the corpus trust files (expected.json note)',
  'authenticode/SoftwareUpdate.exe':
    'chains to VeriSign Class 3 Public Primary CA, which is not in the corpus trust files (expected.json reason)',
};

/**
 * expected.verifies = false: the exact verdict of each signature ([] when the PE is unsigned), which must
 * name the fault expected.json's reason names.
 */
const FALSE_OUTCOMES: Record<string, Array<[status: string, code: string]>> = {
  // CVE-2020-0601: the spoofed root's key does not verify the intermediate ("self-signed certificate in
  // certificate chain" for osslsigncode); the signature itself is sound, so untrusted, not invalid.
  'authenticode/7z1900-x64_signed.exe': [['untrusted', 'CERT_BAD_SIGNATURE']],
  // "Unable to extract existing signature": no certificate table.
  'authenticode/osslsigncode/unsigned.exe': [],
};

describe('authenticode verifier on the corpus (expected.json, as of 2026-11-21)', () => {
  const artifacts = corpusArtifacts('authenticode-pe');

  it('covers every authenticode-pe artifact, and every table entry names one', () => {
    expect(artifacts.length).toBeGreaterThanOrEqual(9);
    const ids = (v: boolean | null) => artifacts.filter((a) => a.expected.verifies === v).map((a) => a.id);
    expect(ids(true).length).toBeGreaterThanOrEqual(7);
    expect(ids(true)).toEqual(expect.arrayContaining(Object.keys(MISSING_ROOT_EXCEPTIONS)));
    expect(ids(false).sort()).toEqual(Object.keys(FALSE_OUTCOMES).sort());
    expect(ids(null)).toEqual([]);
  });

  it.each(artifacts.map((a) => [a.id, a] as const))('%s', async (_id, a) => {
    const roots = corpusRoots(a);
    // The corpus author verified with -CAfile and -TSA-CAfile set to the same files; so do we.
    const cfg = await config({ roots, tsaRoots: roots, at: CORPUS_AT });
    const outcomes = await evaluateFile(join(CORPUS_DIR, a.files['pe']!), 'pe', cfg);
    const verdicts = outcomes.map((o) => o.verdict);
    if (a.expected.verifies === true && MISSING_ROOT_EXCEPTIONS[a.id]) {
      expect(verdicts.length).toBeGreaterThan(0);
      for (const v of verdicts) {
        expect(v, MISSING_ROOT_EXCEPTIONS[a.id]).toMatchObject({
          status: 'untrusted',
          code: 'CHAIN_UNTRUSTED',
        });
      }
    } else if (a.expected.verifies === true) {
      expect(verdicts.length).toBeGreaterThan(0);
      for (const v of verdicts)
        expect(v, v.message).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    } else if (a.expected.verifies === false) {
      const got = verdicts.map((v) => [v.status, v.code]);
      expect(got, verdicts.map((v) => v.message).join('; ')).toEqual(FALSE_OUTCOMES[a.id]);
    } else {
      throw new Error(`document the outcome of ${a.id} (expected.verifies null)`);
    }
  });

  it('CVE-2020-0601: the CurveBall chain does not verify (the spoofed root is not signed by the real key)', async () => {
    const roots = [join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem')];
    const [o] = await evaluateFile(
      join(CORPUS_DIR, 'authenticode/signify/7z1900-x64_signed.exe'),
      'pe',
      await config({ roots, tsaRoots: roots, at: CORPUS_AT }),
    );
    expect(o!.verdict.status).toBe('untrusted');
    expect(o!.verdict.code).toBe('CERT_BAD_SIGNATURE');
  });

  it('pciide.sys: signer expired 2010, verified through the PKCS #9 countersignature time', async () => {
    const roots = [join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem')];
    const file = join(CORPUS_DIR, 'authenticode/signify/pciide.sys');
    const [withTsa] = await evaluateFile(file, 'pe', await config({ roots, tsaRoots: roots, at: CORPUS_AT }));
    expect(withTsa!.verdict.status).toBe('verified');
    expect(withTsa!.verdict.message).toContain('at the timestamp 2009-07-14T01:45:55');
    // Without a TSA root the timestamp cannot be trusted, and it is needed: not verified.
    const [noTsa] = await evaluateFile(file, 'pe', await config({ roots, at: CORPUS_AT }));
    expect(noTsa!.verdict).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
    expect(noTsa!.verdict.message).toContain('a timestamp exists but could not be used (TSA_NO_TRUST_ROOT');
  });

  it('kdbazis.dll: lifetime signing means the timestamp never extends validity', async () => {
    const roots = [join(CORPUS_DIR, 'authenticode/signify/kdbazis.dll.crt')];
    const file = join(CORPUS_DIR, 'authenticode/signify/kdbazis.dll');
    const [at2024] = await evaluateFile(file, 'pe', await config({ roots, at: '2024-01-01T00:00:00Z' }));
    expect(at2024!.verdict.status).toBe('verified');
    const [at2060] = await evaluateFile(file, 'pe', await config({ roots, at: '2060-01-01T00:00:00Z' }));
    expect(at2060!.verdict).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
  });

  it('the messageDigest covers the SpcIndirectDataContent contents octets, not its full DER', async () => {
    const [e] = await detectFile(join(CORPUS_DIR, 'authenticode/signify/whois.exe'), 'pe');
    const m = e!.material as AuthenticodeMaterial;
    const inner = contentsOctets(m.spcIndirectDataDer);
    expect(inner.length).toBeLessThan(m.spcIndirectDataDer.length);
    expect(m.spcIndirectDataDer.subarray(m.spcIndirectDataDer.length - inner.length)).toEqual(inner);
  });
});

describe('authenticode verifier against osslsigncode verify (openssl PKI, mingw PE)', () => {
  let dir: string;
  let pki: TestPki;
  let other: TestPki;
  let plain: string;
  let ec: string;
  let stamped: string;
  let tampered: string;
  let nested: string;
  // From the day's fixture clock (set in beforeAll), not Date.now(): the signed files and osslsigncode's
  // answers are cached by content, and must be the same in every run.
  let now: number;
  let later: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-petrust-'));
    pki = await makeTestPki(dir);
    now = await fixtureNow();
    // The test certificates live 365 days; two years on they have expired.
    later = now + 2 * 365 * 86400;
    const otherDir = join(dir, 'other');
    await import('node:fs/promises').then((fs) => fs.mkdir(otherDir));
    other = await makeTestPki(otherDir);
    const exe = await compileTinyPe(dir);
    plain = await makeSignedPe(pki, exe, join(dir, 'plain.exe'));
    ec = await makeSignedPe(pki, exe, join(dir, 'ec.exe'), { signer: 'ec', hash: 'sha384' });
    // An hour on: inside every test certificate's validity (their notBefore is "now" at creation).
    stamped = await makeSignedPe(pki, exe, join(dir, 'stamped.exe'), { timestampUnixTime: now + 3600 });
    nested = await makeSignedPe(pki, plain, join(dir, 'nested.exe'), {
      nest: true,
      hash: 'sha512',
      signer: 'ec',
    });
    // Flip one byte inside the first section: the image hash no longer matches.
    const bytes = new Uint8Array(readFileSync(plain));
    const layout = parsePeLayout(bytes);
    const offset = layout.sections[0]!.pointerToRawData + 16;
    bytes[offset] = bytes[offset]! ^ 0xff;
    tampered = join(dir, 'tampered.exe');
    writeFileSync(tampered, bytes);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  interface Case {
    name: string;
    file: () => string;
    root: 'own' | 'other';
    tsaRoot?: 'own' | 'other';
    at?: 'later';
    status: string;
    code: string;
  }
  const cases: Case[] = [
    { name: 'good RSA', file: () => plain, root: 'own', status: 'verified', code: 'CHAIN_VALID' },
    { name: 'good EC SHA-384', file: () => ec, root: 'own', status: 'verified', code: 'CHAIN_VALID' },
    {
      name: 'tampered after signing',
      file: () => tampered,
      root: 'own',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
    },
    // The other PKI's CA has the same DN but another key: exactly the name-only match that must not anchor.
    {
      name: 'wrong root (same DN)',
      file: () => plain,
      root: 'other',
      status: 'untrusted',
      code: 'CERT_BAD_SIGNATURE',
    },
    {
      name: 'expired, no timestamp',
      file: () => plain,
      root: 'own',
      at: 'later',
      status: 'untrusted',
      code: 'CERT_EXPIRED',
    },
    {
      name: 'expired, timestamp inside validity',
      file: () => stamped,
      root: 'own',
      tsaRoot: 'own',
      at: 'later',
      status: 'verified',
      code: 'CHAIN_VALID',
    },
    {
      name: 'expired, timestamp by an untrusted TSA',
      file: () => stamped,
      root: 'own',
      tsaRoot: 'other',
      at: 'later',
      status: 'untrusted',
      code: 'CERT_EXPIRED',
    },
    {
      name: 'valid now, timestamp by an untrusted TSA (not needed)',
      file: () => stamped,
      root: 'own',
      tsaRoot: 'other',
      status: 'verified',
      code: 'CHAIN_VALID',
    },
  ];

  it.each(cases)('$name: sigscan and osslsigncode agree', async (c) => {
    const caFile = c.root === 'own' ? pki.caPem : other.caPem;
    const tsaCaFile = c.tsaRoot ? (c.tsaRoot === 'own' ? pki.caPem : other.caPem) : undefined;
    const at = c.at === 'later' ? later : undefined;
    const tool = await osslsigncodeVerifyWith(c.file(), { caFile, tsaCaFile, time: at });
    const cfg = await config({
      roots: [caFile],
      tsaRoots: tsaCaFile ? [tsaCaFile] : [],
      at: at === undefined ? undefined : new Date(at * 1000).toISOString(),
    });
    const outcomes = await evaluateFile(c.file(), 'pe', cfg);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.verdict, outcomes[0]!.verdict.message).toMatchObject({
      status: c.status,
      code: c.code,
    });
    expect(isVerified(outcomes[0]!.verdict), tool.output).toBe(tool.passed);
  });

  it('nested signatures are verified one by one (SHA-256 RSA primary, SHA-512 EC nested)', async () => {
    const tool = await osslsigncodeVerifyWith(nested, { caFile: pki.caPem });
    const outcomes = await evaluateFile(nested, 'pe', await config({ roots: [pki.caPem] }));
    expect(outcomes.map((o) => o.evidence.location)).toEqual([
      'certificate-table[0]',
      'certificate-table[0]/nested[0]',
    ]);
    for (const o of outcomes) expect(o.verdict.status, o.verdict.message).toBe('verified');
    expect(tool.passed, tool.output).toBe(true);
  });

  describe('removing one input at a time never leaves `verified` (timestamp needed: as of two years on)', () => {
    const at = () => new Date(later * 1000).toISOString();

    it('all inputs: verified through the timestamp', async () => {
      const [o] = await evaluateFile(
        stamped,
        'pe',
        await config({ roots: [pki.caPem], tsaRoots: [pki.caPem], at: at() }),
      );
      expect(o!.verdict.status).toBe('verified');
    });

    it('no trust roots: unverified/NO_TRUST_ROOT', async () => {
      const [o] = await evaluateFile(stamped, 'pe', await config({ tsaRoots: [pki.caPem], at: at() }));
      expect(o!.verdict).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
    });

    it('no TSA root: untrusted/CERT_EXPIRED, saying the timestamp could not be used', async () => {
      const [o] = await evaluateFile(stamped, 'pe', await config({ roots: [pki.caPem], at: at() }));
      expect(o!.verdict).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
      expect(o!.verdict.message).toContain('TSA_NO_TRUST_ROOT');
    });

    it('signer certificate missing: invalid/SIGNER_CERTIFICATE_MISSING', async () => {
      const [e] = await detectFile(stamped, 'pe');
      const m = e!.material as AuthenticodeMaterial;
      const v = await authenticodeVerifier(
        { ...e!, findings: [], material: { ...m, signedDataDer: withoutCertificates(m.signedDataDer) } },
        target(stamped),
        { config: await config({ roots: [pki.caPem], tsaRoots: [pki.caPem] }), now: new Date(later * 1000) },
      );
      expect(v).toMatchObject({ status: 'invalid', code: 'SIGNER_CERTIFICATE_MISSING' });
    });

    it('image hash not checked: never verified', async () => {
      const [e] = await detectFile(stamped, 'pe');
      const v = await authenticodeVerifier(
        { ...e!, details: { ...e!.details, imageHashMatches: false } },
        target(stamped),
        { config: await config({ roots: [pki.caPem], tsaRoots: [pki.caPem] }), now: new Date() },
      );
      expect(v).toMatchObject({ status: 'error', code: 'UNSUPPORTED_DIGEST' });
    });

    it('no roots does not hide a bad signature: invalid', async () => {
      const [e] = await detectFile(plain, 'pe');
      const m = e!.material as AuthenticodeMaterial;
      // The SignerInfo's messageDigest covers these bytes; change one and the CMS check must fail.
      const spc = new Uint8Array(m.spcIndirectDataDer);
      spc[spc.length - 1] = spc[spc.length - 1]! ^ 1;
      const v = await authenticodeVerifier(
        { ...e!, material: { ...m, spcIndirectDataDer: spc } },
        target(plain),
        {
          config: await config({}),
          now: new Date(),
        },
      );
      expect(v).toMatchObject({ status: 'invalid', code: 'CMS_DIGEST_MISMATCH' });
    });
  });
});

function target(path: string): FileTarget {
  return { kind: 'file', path, size: readFileSync(path).length, digest: 'sha256:00', format: 'pe' };
}
