import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { JarEvidenceMaterial } from '../../../src/detectors/jar.js';
import type { FileTarget } from '../../../src/model/index.js';
import { jarVerifier } from '../../../src/trust/families/jar.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import {
  exportCertPem,
  genKey,
  jarsignerVerifyStrict,
  makeSignedJar,
  makeTruststore,
  putEntries,
  type StrictVerifyResult,
} from '../../helpers/jar/index.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';
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
 * expected.verifies = null: what sigscan answers, and why that is the honest reading of the corpus note.
 */
const NULL_OUTCOMES: Record<string, { status: string; code: string; why: string }> = {
  'jar/equinox/signed_tsa.jar': {
    status: 'untrusted',
    code: 'TSA_CHAIN_UNTRUSTED',
    why: 'signature valid; the Certum TSA chain is not in the corpus roots, and like jarsigner -strict a timestamp that cannot be validated fails the jar',
  },
  'jar/equinox/SHA256withRSA.jar': {
    status: 'unverified',
    code: 'NO_TRUST_ROOT',
    why: 'no trust root listed',
  },
  'jar/equinox/SHA384withRSA.jar': {
    status: 'unverified',
    code: 'NO_TRUST_ROOT',
    why: 'no trust root listed',
  },
  'jar/equinox/SHA512withRSA.jar': {
    status: 'unverified',
    code: 'NO_TRUST_ROOT',
    why: 'no trust root listed',
  },
  'jar/equinox/bundleWithNonAsciiCharsFilename.jar': {
    status: 'unverified',
    code: 'NO_TRUST_ROOT',
    why: 'no trust root listed (self-signed, expired 2016)',
  },
};

/**
 * expected.verifies = false: the exact verdict of each signer ([] when the jar is unsigned), which must
 * name the fault expected.json's reason names (jarsigner's message in quotes).
 */
const FALSE_OUTCOMES: Record<string, Array<[status: string, code: string]>> = {
  // "SHA-256 digest error for org/eclipse/equinox/security/junit/CorruptClass.class"
  'jar/equinox/signed_with_corrupt.jar': [['invalid', 'ENTRY_DIGEST_MISMATCH']],
  // "SHA-256 digest error for META-INF/test/test1.file"
  'jar/equinox/signed_with_metadata_corrupt.jar': [['invalid', 'ENTRY_DIGEST_MISMATCH']],
  // "java.io.IOException: invalid header field (line 2)" in the .SF file
  'jar/equinox/signed_with_sf_corrupted.jar': [['invalid', 'MANIFEST_MALFORMED']],
  // jarsigner -strict: "This jar contains unsigned entries which have not been integrity-checked."
  'jar/equinox/signed_with_metadata_added.jar': [['invalid', 'UNSIGNED_ENTRIES']],
  // MD5withRSA: jarsigner treats the jar as unsigned. The corpus gives no root for it, so trust is not
  // decided (with a root it is untrusted WEAK_ALGORITHM: test/trust/jar-weak-algorithms.test.ts).
  'jar/equinox/test.bug252098.jar': [['unverified', 'NO_TRUST_ROOT']],
  // "jar is unsigned."
  'jar/equinox/unsigned.jar': [],
};

const JDK17_SHA1_CHAIN =
  'SHA1withRSA-signed leaf without timestamp: jarsigner 17 -strict refuses the chain (jdk.certpath.disabledAlgorithms SHA1 usage SignedJAR & denyAfter 2019-01-01)';

/**
 * Where sigscan deliberately departs from expected.json (which records jarsigner's answer), with the
 * reason. Each entry is asserted exactly; everything else follows expected.json.
 */
const ERRATA: Record<string, { outcomes: Array<[status: string, code: string]>; why: string }> = {
  'jar/equinox/signed_with_metadata_removed.jar': {
    outcomes: [['invalid', 'ENTRY_MISSING']],
    why: 'a signed entry is missing from the archive: jarsigner only warns, issue #11 makes it invalid (the artifact is not what was signed)',
  },
  // jarsigner 17 -verify -strict with ca1_root/ca2_root in its truststore exits 4: "certificate chain is
  // invalid. Reason: denyAfter constraint check failed: SHA1 used with Constraint date: 2019-01-01" (the
  // leaves are SHA1withRSA, jdk.certpath.disabledAlgorithms "SHA1 usage SignedJAR & denyAfter 2019-01-01",
  // and no timestamp). expected.json's "jar verified" predates that rule (JDK 17.0.x).
  ...Object.fromEntries(
    ['signed.jar', 'signedJava16.jar', 'signed_with_metadata.jar'].map((n) => [
      `jar/equinox/${n}`,
      { outcomes: [['untrusted', 'WEAK_ALGORITHM']], why: JDK17_SHA1_CHAIN },
    ]),
  ),
  'jar/equinox/multiply_signed.jar': {
    outcomes: [
      ['untrusted', 'WEAK_ALGORITHM'],
      ['untrusted', 'WEAK_ALGORITHM'],
    ],
    why: JDK17_SHA1_CHAIN,
  },
};

describe('jar verifier on the corpus (expected.json, as of 2026-11-21)', () => {
  const artifacts = corpusArtifacts('signed-jar');

  it('covers every signed-jar artifact, and every table entry names one', () => {
    expect(artifacts.length).toBeGreaterThanOrEqual(16);
    const ids = (v: boolean | null) => artifacts.filter((a) => a.expected.verifies === v).map((a) => a.id);
    expect(ids(true).length).toBeGreaterThanOrEqual(5);
    expect(ids(false).sort()).toEqual(Object.keys(FALSE_OUTCOMES).sort());
    expect(ids(null).sort()).toEqual(Object.keys(NULL_OUTCOMES).sort());
  });

  it.each(artifacts.map((a) => [a.id, a] as const))('%s', async (_id, a) => {
    const roots = corpusRoots(a);
    const outcomes = await evaluateFile(
      join(CORPUS_DIR, a.files['jar']!),
      'jar',
      await config({ roots, at: CORPUS_AT }),
    );
    const verdicts = outcomes.map((o) => o.verdict);
    const erratum = ERRATA[a.id];
    if (erratum) {
      expect(
        verdicts.map((v) => [v.status, v.code]),
        erratum.why,
      ).toEqual(erratum.outcomes);
    } else if (a.expected.verifies === true) {
      expect(verdicts.length).toBeGreaterThan(0);
      for (const v of verdicts)
        expect(v, v.message).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    } else if (a.expected.verifies === false) {
      const got = verdicts.map((v) => [v.status, v.code]);
      expect(got, verdicts.map((v) => v.message).join('; ')).toEqual(FALSE_OUTCOMES[a.id]);
    } else {
      const want = NULL_OUTCOMES[a.id];
      expect(want, `document the outcome of ${a.id}`).toBeDefined();
      expect(verdicts.length).toBeGreaterThan(0);
      for (const v of verdicts)
        expect(v, want!.why).toMatchObject({ status: want!.status, code: want!.code });
    }
  });

  it('names the SHA-1 certificate and the JDK rule it breaks', async () => {
    const a = artifacts.find((x) => x.id === 'jar/equinox/signed.jar')!;
    const [o] = await evaluateFile(
      join(CORPUS_DIR, a.files['jar']!),
      'jar',
      await config({ roots: corpusRoots(a), at: CORPUS_AT }),
    );
    expect(o!.verdict.message).toBe(
      "the JAR signature META-INF/CA1_LEAF.RSA by CN=CA1 LeafA,O=CA1,L=Boston,ST=Massachusetts,C=US has a certificate path the JDK's jdk.certpath.disabledAlgorithms refuses: " +
        'certificate CN=CA1 LeafA,O=CA1,L=Boston,ST=Massachusetts,C=US is signed with SHA-1 (rule "SHA1 usage SignedJAR & denyAfter 2019-01-01", checked at 2026-11-21T00:00:00.000Z); ' +
        'jarsigner -strict rejects the jar (--allow-weak-algorithms accepts it)',
    );
  });

  it.each(['signed.jar', 'multiply_signed.jar', 'signedJava16.jar', 'signed_with_metadata.jar'])(
    '%s with --allow-weak-algorithms: verified, naming signer and anchor, and flagging SHA-1',
    async (name) => {
      const a = artifacts.find((x) => x.id === `jar/equinox/${name}`)!;
      const cfg = { ...(await config({ roots: corpusRoots(a), at: CORPUS_AT })), allowWeakAlgorithms: true };
      const outcomes = await evaluateFile(join(CORPUS_DIR, a.files['jar']!), 'jar', cfg);
      expect(outcomes.length).toBe(name === 'multiply_signed.jar' ? 2 : 1);
      for (const o of outcomes) {
        expect(o.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
        expect(o.verdict.message).toMatch(/chains to trusted CN=CA[12]( Root)?,O=CA[12]/);
        expect(o.verdict.message).toContain('weak algorithms: SHA1withRSA');
        expect(o.verdict.message).toMatch(
          /accepted despite certificate CN=CA[12] LeafA,.* is signed with SHA-1 .* because of --allow-weak-algorithms(;|$)/,
        );
        expect(o.evidence.findings).toContainEqual(
          expect.objectContaining({ code: 'WEAK_ALGORITHM_ALLOWED', severity: 'warning' }),
        );
      }
    },
  );

  it('as of 2018-12-31 the SHA-1 chain is still allowed (denyAfter 2019-01-01): verified', async () => {
    const a = artifacts.find((x) => x.id === 'jar/equinox/signed.jar')!;
    const [o] = await evaluateFile(
      join(CORPUS_DIR, a.files['jar']!),
      'jar',
      await config({ roots: corpusRoots(a), at: '2018-12-31T23:59:59Z' }),
    );
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('the self-signed AppSigner jars are untrusted against the equinox roots, naming the signer', async () => {
    const roots = corpusRoots(artifacts.find((x) => x.id === 'jar/equinox/signed.jar')!);
    const [o] = await evaluateFile(
      join(CORPUS_DIR, 'jar/equinox/SHA256withRSA.jar'),
      'jar',
      await config({ roots, at: CORPUS_AT }),
    );
    expect(o!.verdict.status).toBe('untrusted');
    expect(o!.verdict.code).toBe('CHAIN_UNTRUSTED');
    expect(o!.verdict.message).toBe(
      'signature valid but signer CN=AppSigner,OU=Me,O=IBM,L=Austin,C=US does not chain to a supplied trust root',
    );
  });

  it('unsigned entries make the jar invalid/UNSIGNED_ENTRIES (jarsigner -strict fails it)', async () => {
    const a = artifacts.find((x) => x.id === 'jar/equinox/signed_with_metadata_added.jar')!;
    const [o] = await evaluateFile(
      join(CORPUS_DIR, a.files['jar']!),
      'jar',
      await config({ roots: corpusRoots(a), at: CORPUS_AT }),
    );
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'UNSIGNED_ENTRIES' });
  });

  it('the SHA-1 TSA-stamped jar verifies once its TSA is trusted... but not here: the Certum root is absent', async () => {
    const a = artifacts.find((x) => x.id === 'jar/equinox/signed_tsa.jar')!;
    // Removing the trust roots: the crypto still passes, so the answer is NO_TRUST_ROOT, never verified.
    const [o] = await evaluateFile(join(CORPUS_DIR, a.files['jar']!), 'jar', await config({ at: CORPUS_AT }));
    expect(o!.verdict).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
  });
});

/** The jars of the keytool-made PKI, and what both sigscan and jarsigner -verify -strict say of each. */
const CASES: Array<{ name: string; jar: string; wrongRoot?: boolean; status: string; code: string }> = [
  { name: 'good RSA', jar: 'good', status: 'verified', code: 'CHAIN_VALID' },
  { name: 'good EC', jar: 'ec', status: 'verified', code: 'CHAIN_VALID' },
  {
    name: 'entry tampered after signing',
    jar: 'tampered',
    status: 'invalid',
    code: 'ENTRY_DIGEST_MISMATCH',
  },
  { name: 'entry added after signing', jar: 'added', status: 'invalid', code: 'UNSIGNED_ENTRIES' },
  { name: 'wrong root', jar: 'good', wrongRoot: true, status: 'untrusted', code: 'CHAIN_UNTRUSTED' },
  { name: 'expired, no timestamp', jar: 'expired', status: 'untrusted', code: 'CERT_EXPIRED' },
];

describe('jar verifier against jarsigner -verify -strict (keytool-made PKI)', () => {
  let caPem: string;
  let otherPem: string;
  /** jarsigner -verify -strict's answer for each case, run once on the cached bytes (see the build). */
  let reference: Record<string, StrictVerifyResult>;
  const jars: Record<string, string> = {};

  beforeAll(async () => {
    // keytool, jarsigner and jarsigner -verify (a JVM each, about 20 s in all) run once per UTC day into the
    // fixture cache: Stryker reruns this hook for every mutant the file's tests cover. The reference tool's
    // verdict is a property of the bytes and the truststore, so it is stored beside them and each test
    // compares sigscan's live verdict with it. Validity: the signer certificates are valid for keytool's
    // default 90 days, the expired one ended two years ago, so neither changes within the cache's day.
    const dir = await cachedFixtureDir('jar-family-keytool-v1', async (d) => {
      const keystore = join(d, 'keys.p12');
      await breathe();
      genKey(keystore, { alias: 'ca', keyalg: 'RSA', dname: 'CN=Jar Trust Test CA, O=Sigscan Tests' });
      await breathe();
      genKey(keystore, { alias: 'other', keyalg: 'RSA', dname: 'CN=Unrelated CA, O=Sigscan Tests' });
      await breathe();
      genKey(keystore, {
        alias: 'signer',
        keyalg: 'RSA',
        dname: 'CN=Jar Signer, O=Sigscan Tests',
        issuerAlias: 'ca',
      });
      await breathe();
      genKey(keystore, {
        alias: 'ecsigner',
        keyalg: 'EC',
        dname: 'CN=EC Jar Signer, O=Sigscan Tests',
        issuerAlias: 'ca',
      });
      await breathe();
      genKey(keystore, {
        alias: 'expired',
        keyalg: 'RSA',
        dname: 'CN=Expired Jar Signer, O=Sigscan Tests',
        issuerAlias: 'ca',
        startdate: '-3y',
        validity: 365,
      });
      await breathe();
      const ca = exportCertPem(keystore, 'ca', join(d, 'ca.pem'));
      const other = exportCertPem(keystore, 'other', join(d, 'other.pem'));
      const trust = makeTruststore(join(d, 'trust.p12'), { ca });
      const otherTrust = makeTruststore(join(d, 'other-trust.p12'), { other });

      await breathe();
      const sign = async (name: string, alias: string, keyalg: 'RSA' | 'EC') => {
        await breathe();
        makeSignedJar(d, { name, alias, keyalg, dname: '', keystore, skipKeygen: true });
      };
      await sign('good.jar', 'signer', 'RSA');
      await sign('ec.jar', 'ecsigner', 'EC');
      await sign('expired.jar', 'expired', 'RSA');
      copyFileSync(join(d, 'good.jar'), join(d, 'tampered.jar'));
      putEntries(join(d, 'tampered.jar'), { 'hello/Hello.txt': 'hello, mallory\n' });
      copyFileSync(join(d, 'good.jar'), join(d, 'added.jar'));
      putEntries(join(d, 'added.jar'), { 'hello/Extra.txt': 'added after signing\n' });
      const answers = Object.fromEntries(
        CASES.map((c) => [
          c.name,
          jarsignerVerifyStrict(join(d, `${c.jar}.jar`), c.wrongRoot ? otherTrust : trust),
        ]),
      );
      writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(answers));
    });
    caPem = join(dir, 'ca.pem');
    otherPem = join(dir, 'other.pem');
    reference = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as typeof reference;
    for (const name of ['good', 'ec', 'expired', 'tampered', 'added']) jars[name] = join(dir, `${name}.jar`);
  });

  it.each(CASES)('$name: sigscan and jarsigner agree', async (c) => {
    const path = jars[c.jar]!;
    const tool = reference[c.name]!;
    const [o] = await evaluateFile(path, 'jar', await config({ roots: [c.wrongRoot ? otherPem : caPem] }));
    expect(o!.verdict, o!.verdict.message).toMatchObject({ status: c.status, code: c.code });
    expect(isVerified(o!.verdict), tool.output).toBe(tool.passed);
  });

  it('expired without timestamp says so', async () => {
    const [o] = await evaluateFile(jars['expired']!, 'jar', await config({ roots: [caPem] }));
    expect(o!.verdict.message).toContain('CN=Expired Jar Signer,O=Sigscan Tests expired on');
    expect(o!.verdict.message).toContain('the signature has no timestamp');
  });

  it('a certificate valid now is expired at a later --at', async () => {
    const [o] = await evaluateFile(
      jars['good']!,
      'jar',
      await config({ roots: [caPem], at: '2040-01-01T00:00:00Z' }),
    );
    expect(o!.verdict).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
  });

  describe('removing one input at a time never leaves `verified`', () => {
    it('all inputs: verified', async () => {
      const [o] = await evaluateFile(jars['good']!, 'jar', await config({ roots: [caPem] }));
      expect(o!.verdict.status).toBe('verified');
    });

    it('no trust roots: unverified/NO_TRUST_ROOT, after the signature was checked', async () => {
      const [o] = await evaluateFile(jars['good']!, 'jar', await config({}));
      expect(o!.verdict).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
      expect(o!.verdict.message).toContain('is cryptographically valid');
    });

    it('no roots does not hide a bad signature: invalid', async () => {
      const [e] = await detectFile(jars['good']!, 'jar');
      const m = e!.material as JarEvidenceMaterial;
      const sf = new Uint8Array(m.signatureFileBytes!);
      sf[sf.length - 3] = sf[sf.length - 3]! ^ 1;
      const v = await jarVerifier(
        { ...e!, material: { ...m, signatureFileBytes: sf } },
        target(jars['good']!),
        {
          config: await config({}),
          now: new Date(),
        },
      );
      // JDK 17 jarsigner writes signed attributes, so the messageDigest check is what catches it.
      expect(v.status).toBe('invalid');
      expect(['CMS_SIGNATURE_INVALID', 'CMS_DIGEST_MISMATCH']).toContain(v.code);
    });

    it('signer certificate missing from the block: invalid/SIGNER_CERTIFICATE_MISSING', async () => {
      const [e] = await detectFile(jars['good']!, 'jar');
      const m = e!.material as JarEvidenceMaterial;
      const stripped = { ...m, blockDer: withoutCertificates(m.blockDer), certificatesDer: [] };
      const v = await jarVerifier({ ...e!, material: stripped }, target(jars['good']!), {
        config: await config({ roots: [caPem] }),
        now: new Date(),
      });
      expect(v).toMatchObject({ status: 'invalid', code: 'SIGNER_CERTIFICATE_MISSING' });
    });

    it('.SF bytes missing: invalid', async () => {
      const [e] = await detectFile(jars['good']!, 'jar');
      const m = e!.material as JarEvidenceMaterial;
      const v = await jarVerifier(
        { ...e!, material: { ...m, signatureFileBytes: undefined } },
        target(jars['good']!),
        { config: await config({ roots: [caPem] }), now: new Date() },
      );
      // jarsigner's block is detached: without the .SF there is nothing the signature covers.
      expect(v).toMatchObject({ status: 'invalid', code: 'SIGNATURE_FILE_MISSING' });
    });
  });
});

function target(path: string): FileTarget {
  const size = readFileSync(path).length;
  return { kind: 'file', path, size, digest: 'sha256:00', format: 'jar' };
}
