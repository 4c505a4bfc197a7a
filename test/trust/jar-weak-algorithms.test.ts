/**
 * Issue #11, weak algorithms (JAR): JDK 17's jdk.jar.disabledAlgorithms ("MD2, MD5, RSA keySize < 1024,
 * DSA keySize < 1024, SHA1 denyAfter 2019-01-01"). JARs signed by jarsigner with each disabled algorithm;
 * jarsigner -verify -strict "treats the jar as unsigned", we answer untrusted/WEAK_ALGORITHM, and
 * --allow-weak-algorithms accepts them with a finding on the signature. Plus the every-vs-some mutant of
 * the entry digest check: a correct SHA-1 digest must not excuse a wrong SHA-256 one.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import type { TrustConfig } from '../../src/trust/config.js';
import {
  exportCertPem,
  genKey,
  jarsignerVerifyStrict,
  makeJar,
  DEFAULT_FILES,
  STOREPASS,
  makeTruststore,
  signJar,
  type StrictVerifyResult,
} from '../helpers/jar/index.js';
import { breathe, cachedFixtureDir } from '../helpers/fixture-cache.js';
import { run } from '../helpers/tools.js';
import { config, evaluateFile } from './helpers.js';

let dir: string;
let caPem: string;
const jars: Record<string, string> = {};
/** jarsigner -verify -strict's answer for each jar, run once on the cached bytes (see buildFixtures). */
let reference: Record<string, StrictVerifyResult>;

const WEAK_SIGNINGS: Array<[name: string, alias: string, opts: { sigalg?: string; digestalg?: string }]> = [
  ['sha256', 'signer', {}],
  ['md5withrsa', 'signer', { sigalg: 'MD5withRSA' }],
  ['md5digest', 'signer', { digestalg: 'MD5' }],
  ['sha1', 'signer', { sigalg: 'SHA1withRSA', digestalg: 'SHA-1' }],
  ['sha1digest', 'signer', { digestalg: 'SHA-1' }],
  ['rsa512', 'small', {}],
];
const CHAIN_LEAVES = ['sha1leaf', 'md5leaf', 'undersha1inter', 'under512', 'under1024', 'undersmallroot'];

/** jar cf, then jarsigner run asynchronously so that the test worker is not blocked while it signs. */
async function sign(
  d: string,
  keystore: string,
  name: string,
  alias: string,
  opts: { sigalg?: string; digestalg?: string } = {},
): Promise<string> {
  const path = makeJar(join(d, name), DEFAULT_FILES);
  const args = ['-keystore', keystore, '-storepass', STOREPASS, '-storetype', 'PKCS12'];
  if (opts.sigalg) args.push('-sigalg', opts.sigalg);
  if (opts.digestalg) args.push('-digestalg', opts.digestalg);
  await run('jarsigner', [...args, path, alias]);
  return path;
}

/**
 * Every tool run of this file (keytool, jar, jarsigner, faketime openssl, and jarsigner -verify -strict on
 * each jar), once per UTC day into the fixture cache: about a minute of JVM starts that Stryker would
 * otherwise rerun for every mutant the file's tests cover. jarsigner's answer is a property of the bytes and
 * the truststore, so it is stored beside them, and each test compares sigscan's live verdict with it.
 * Validity: keytool's certificates last its default 90 days, the openssl ones 20 years from 2017-01-01.
 */
async function buildFixtures(d: string): Promise<void> {
  const keystore = join(d, 'keys.p12');
  genKey(keystore, { alias: 'ca', keyalg: 'RSA', dname: 'CN=Weak Test CA, O=Sigscan Tests' });
  await breathe();
  genKey(keystore, {
    alias: 'signer',
    keyalg: 'RSA',
    dname: 'CN=Weak Test Signer, O=Sigscan Tests',
    issuerAlias: 'ca',
  });
  await breathe();
  genKey(keystore, {
    alias: 'small',
    keyalg: 'RSA',
    keysize: 512,
    dname: 'CN=Small Key Signer, O=Sigscan Tests',
    issuerAlias: 'ca',
  });
  await breathe();
  const ca = exportCertPem(keystore, 'ca', join(d, 'ca.pem'));
  const trust = makeTruststore(join(d, 'trust.p12'), { ca });
  const answers: Record<string, StrictVerifyResult> = {};
  for (const [name, alias, opts] of WEAK_SIGNINGS) {
    await breathe();
    answers[name] = jarsignerVerifyStrict(await sign(d, keystore, `${name}.jar`, alias, opts), trust);
  }
  answers['every'] = jarsignerVerifyStrict(buildEveryDigestJar(d, keystore), trust);
  await buildCertpathPki(d);
  const trustRoot = makeTruststore(join(d, 'cp-trust.p12'), { root: pem(d, 'root') });
  const trustSmallRoot = makeTruststore(join(d, 'cp-trust-small.p12'), { root: pem(d, 'smallroot') });
  for (const leaf of CHAIN_LEAVES) {
    await breathe();
    answers[`cp-${leaf}`] = jarsignerVerifyStrict(
      join(d, `cp-${leaf}.jar`),
      leaf === 'undersmallroot' ? trustSmallRoot : trustRoot,
    );
  }
  writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(answers));
}

/**
 * A manifest with a right SHA-1 and a wrong SHA-256 digest for hello/Hello.txt, then jarsigner
 * -digestalg SHA-512, which adds the right SHA-512 digest beside them (it only writes digests of its
 * own algorithm) and signs the manifest as it is. The strongest digest is right, so nothing is weak:
 * only the every-digest rule stands between this JAR and `verified`.
 */
function buildEveryDigestJar(d: string, keystore: string): string {
  const src = join(d, 'every-src');
  mkdirSync(join(src, 'hello'), { recursive: true });
  writeFileSync(join(src, 'hello', 'Hello.txt'), EVERY_CONTENT);
  const manifest = join(d, 'every-manifest.mf');
  writeFileSync(
    manifest,
    `Manifest-Version: 1.0\r\n\r\nName: hello/Hello.txt\r\nSHA1-Digest: ${EVERY_SHA1}\r\nSHA-256-Digest: ${EVERY_WRONG}\r\n\r\n`,
  );
  const path = join(d, 'every.jar');
  execFileSync('jar', ['cfm', path, manifest, '-C', src, 'hello/Hello.txt']);
  signJar(path, { keystore, alias: 'signer', digestalg: 'SHA-512' });
  return path;
}
const EVERY_CONTENT = 'hello, world\n';
const EVERY_SHA1 = createHash('sha1').update(EVERY_CONTENT).digest('base64');
const EVERY_WRONG = Buffer.alloc(32, 7).toString('base64');

const pem = (d: string, n: string) => join(d, `cp-${n}.pem`);
const keyFile = (d: string, n: string) => join(d, `cp-${n}.key`);

/**
 * jdk.certpath.disabledAlgorithms cases: openssl makes the PKI with the weak link (a certificate signed
 * SHA1withRSA / MD5withRSA, a CA with a 512-bit key; keytool can too, but a dozen JVM starts per run cost
 * minutes on CI), jarsigner signs with SHA-256 digests and a SHA256withRSA signature, so only the chain is
 * weak.
 */
async function buildCertpathPki(d: string): Promise<void> {
  /** At faketime 2017-01-01, so that certificates (valid 20 years) cover --at dates before 2019. */
  async function openssl(...args: string[]): Promise<void> {
    await run('faketime', ['2017-01-01 00:00:00', 'openssl', ...args]);
  }

  async function root(name: string, cn: string, bits: number): Promise<void> {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      `rsa:${bits}`,
      '-nodes',
      '-keyout',
      keyFile(d, name),
      '-out',
      pem(d, name),
      '-subj',
      `/O=Sigscan Certpath Tests/CN=${cn}`,
      '-days',
      '7300',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
  }

  /** A certificate for `name` issued by `issuer` with digest `md`; its chain file lists it up to the root. */
  async function issue(
    name: string,
    opts: { issuer: string; bits?: number; md?: string; ca?: boolean },
  ): Promise<void> {
    const ext = join(d, `cp-${name}.ext`);
    writeFileSync(
      ext,
      opts.ca
        ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n'
        : 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n',
    );
    await openssl(
      'req',
      '-newkey',
      `rsa:${opts.bits ?? 2048}`,
      '-nodes',
      '-keyout',
      keyFile(d, name),
      '-out',
      join(d, `cp-${name}.csr`),
      '-subj',
      `/O=Sigscan Certpath Tests/CN=${name}`,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      join(d, `cp-${name}.csr`),
      '-CA',
      pem(d, opts.issuer),
      '-CAkey',
      keyFile(d, opts.issuer),
      '-CAcreateserial',
      '-days',
      '7300',
      `-${opts.md ?? 'sha256'}`,
      '-extfile',
      ext,
      '-out',
      join(d, `cp-${name}.cert.pem`),
    );
    const issuerChain = readFileSync(pem(d, opts.issuer), 'utf8');
    writeFileSync(pem(d, name), readFileSync(join(d, `cp-${name}.cert.pem`), 'utf8') + issuerChain);
  }

  /** PKCS #12 of the leaf and its chain (openssl), then jarsigner signs with SHA-256 throughout. */
  async function signWith(name: string): Promise<string> {
    const p12 = join(d, `cp-${name}.p12`);
    await openssl(
      'pkcs12',
      '-export',
      '-in',
      pem(d, name),
      '-inkey',
      keyFile(d, name),
      '-name',
      name,
      '-passout',
      `pass:${STOREPASS}`,
      '-out',
      p12,
    );
    const path = makeJar(join(d, `cp-${name}.jar`), DEFAULT_FILES);
    await run('jarsigner', ['-keystore', p12, '-storepass', STOREPASS, '-storetype', 'PKCS12', path, name]);
    return path;
  }

  await root('root', 'Certpath Root', 2048);
  await root('smallroot', 'Small Root', 512);
  await issue('sha1leaf', { issuer: 'root', md: 'sha1' });
  await issue('md5leaf', { issuer: 'root', md: 'md5' });
  await issue('sha1inter', { issuer: 'root', md: 'sha1', ca: true });
  await issue('undersha1inter', { issuer: 'sha1inter' });
  await issue('inter512', { issuer: 'root', bits: 512, ca: true });
  await issue('under512', { issuer: 'inter512' });
  await issue('inter1024', { issuer: 'root', bits: 1024, ca: true });
  await issue('under1024', { issuer: 'inter1024' });
  await issue('undersmallroot', { issuer: 'smallroot' });
  await Promise.all(CHAIN_LEAVES.map((n) => signWith(n)));
}

beforeAll(async () => {
  dir = await cachedFixtureDir('jar-weak-algorithms-v1', buildFixtures);
  caPem = join(dir, 'ca.pem');
  for (const [name] of WEAK_SIGNINGS) jars[name] = join(dir, `${name}.jar`);
  reference = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as typeof reference;
}, 300_000);

async function evaluate(path: string, allowWeak = false) {
  const cfg: TrustConfig = { ...(await config({ roots: [caPem] })), allowWeakAlgorithms: allowWeak };
  const outcomes = await evaluateFile(path, 'jar', cfg);
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

describe('jdk.jar.disabledAlgorithms (JDK 17)', () => {
  it('SHA-256 throughout: verified, as jarsigner -strict', async () => {
    expect(reference['sha256']!.passed).toBe(true);
    expect((await evaluate(jars['sha256']!)).verdict).toMatchObject({
      status: 'verified',
      code: 'CHAIN_VALID',
    });
  });

  const weak: Array<{ jar: string; what: string; names: RegExp }> = [
    { jar: 'md5withrsa', what: 'MD5withRSA signature', names: /relies on MD5,/ },
    { jar: 'md5digest', what: 'MD5 manifest and entry digests', names: /relies on MD5,/ },
    {
      jar: 'sha1',
      what: 'SHA-1 throughout, no timestamp',
      names: /relies on SHA-1 \(at .*2019-01-01 cut-off\)/,
    },
    { jar: 'sha1digest', what: 'SHA-1 entry and .SF digests, SHA-256 CMS', names: /relies on SHA-1 \(at / },
    { jar: 'rsa512', what: 'a 512-bit RSA key', names: /relies on RSA 512-bit key/ },
  ];

  it.each(weak)('$what: jarsigner treats the jar as unsigned; untrusted/WEAK_ALGORITHM', async (c) => {
    const tool = reference[c.jar]!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('treated as unsigned');
    const { verdict } = await evaluate(jars[c.jar]!);
    expect(verdict).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
    expect(verdict.message).toMatch(c.names);
  });

  it.each(weak)(
    '$what with --allow-weak-algorithms: verified, and the signature carries a finding saying so',
    async (c) => {
      const { verdict, evidence } = await evaluate(jars[c.jar]!, true);
      expect(verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
      expect(verdict.message).toContain('because of --allow-weak-algorithms');
      expect(evidence.findings).toContainEqual(
        expect.objectContaining({ code: 'WEAK_ALGORITHM_ALLOWED', severity: 'warning' }),
      );
    },
  );
});

describe('weak manifest and .SF digests are named even when the CMS signature is strong', () => {
  it.each([
    ['sha1digest', 'SHA-1'],
    ['md5digest', 'MD5'],
  ])('%s with --allow-weak-algorithms: the verdict lists %s among the weak algorithms', async (name, alg) => {
    // The CMS signature is SHA256withRSA: only the entry and .SF digests (the detector's digestAlgorithms) are weak.
    const { verdict } = await evaluate(jars[name]!, true);
    expect(verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(verdict.message).toMatch(
      new RegExp(`\\(checked at [^)]+\\); weak algorithms: ${alg}; accepted despite ${alg}`),
    );
  });
});

describe('every digest of an entry must match (kills `every` -> `some`)', () => {
  let path: string;
  beforeAll(() => {
    // Built by buildEveryDigestJar; checked here that jarsigner kept the manifest's digests as written.
    path = join(dir, 'every.jar');
    const mf = execFileSync('unzip', ['-p', path, 'META-INF/MANIFEST.MF'], { encoding: 'utf8' });
    expect(mf).toContain(`SHA1-Digest: ${EVERY_SHA1}`);
    expect(mf).toContain(`SHA-256-Digest: ${EVERY_WRONG}`);
    expect(mf).toContain('SHA-512-Digest: ');
  });

  it('the JDK rejects the entry (SHA-256 digest error); sigscan: invalid/ENTRY_DIGEST_MISMATCH', async () => {
    const tool = reference['every']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toMatch(/SHA-256 digest error for hello\/Hello.txt/);
    expect((await evaluate(path)).verdict).toMatchObject({
      status: 'invalid',
      code: 'ENTRY_DIGEST_MISMATCH',
    });
  });
});

/**
 * jdk.certpath.disabledAlgorithms (JDK 17: "MD2, MD5, ..., RSA keySize < 1024, DSA keySize < 1024,
 * EC keySize < 224, SHA1 usage SignedJAR & denyAfter 2019-01-01") on the signer's chain (the PKI:
 * buildCertpathPki); jarsigner -verify -strict against a truststore holding the root is asserted beside
 * our verdict.
 */
describe('jdk.certpath.disabledAlgorithms on the signer chain (JDK 17)', () => {
  let rootPem: string;
  let smallRootPem: string;
  const chainJars: Record<string, string> = {};

  beforeAll(() => {
    rootPem = pem(dir, 'root');
    smallRootPem = pem(dir, 'smallroot');
    for (const leaf of CHAIN_LEAVES) chainJars[leaf] = join(dir, `cp-${leaf}.jar`);
  });

  async function chainVerdict(alias: string, opts: { allowWeak?: boolean; at?: string } = {}) {
    const roots = alias === 'undersmallroot' ? [smallRootPem] : [rootPem];
    const cfg: TrustConfig = {
      ...(await config({ roots, at: opts.at })),
      allowWeakAlgorithms: opts.allowWeak ?? false,
    };
    const outcomes = await evaluateFile(chainJars[alias]!, 'jar', cfg);
    expect(outcomes).toHaveLength(1);
    return outcomes[0]!;
  }

  const refused: Array<{ alias: string; what: string; tool: RegExp; names: string }> = [
    {
      alias: 'sha1leaf',
      what: 'leaf certificate signed SHA1withRSA',
      tool: /denyAfter constraint check failed: SHA1/,
      names:
        'certificate CN=sha1leaf,O=Sigscan Certpath Tests is signed with SHA-1 (rule "SHA1 usage SignedJAR & denyAfter 2019-01-01", checked at ',
    },
    {
      alias: 'md5leaf',
      what: 'leaf certificate signed MD5withRSA',
      tool: /Algorithm constraints check failed on signature algorithm: MD5withRSA/,
      names: 'certificate CN=md5leaf,O=Sigscan Certpath Tests is signed with MD5 (rule "MD2, MD5")',
    },
    {
      alias: 'undersha1inter',
      what: 'intermediate CA signed SHA1withRSA',
      tool: /denyAfter constraint check failed: SHA1/,
      names: 'certificate CN=sha1inter,O=Sigscan Certpath Tests is signed with SHA-1',
    },
    {
      alias: 'under512',
      what: 'intermediate CA with a 512-bit RSA key',
      tool: /Algorithm constraints check failed on keysize limits/,
      names:
        'certificate CN=inter512,O=Sigscan Certpath Tests has a 512-bit RSA key (rule "RSA keySize < 1024")',
    },
    {
      alias: 'undersmallroot',
      what: 'trust anchor with a 512-bit RSA key',
      // AlgorithmChecker checks the anchor's key with the first signature it verifies.
      tool: /Algorithm constraints check failed on signature algorithm: SHA256withRSA/,
      names:
        'trust anchor CN=Small Root,O=Sigscan Certpath Tests has a 512-bit RSA key (rule "RSA keySize < 1024")',
    },
  ];

  it.each(refused)(
    '$what: jarsigner -strict refuses the chain; untrusted/WEAK_ALGORITHM naming it',
    async (c) => {
      const tool = reference[`cp-${c.alias}`]!;
      expect(tool.passed).toBe(false);
      expect(tool.output).toMatch(/certificate chain is invalid/);
      expect(tool.output).toMatch(c.tool);
      const { verdict } = await chainVerdict(c.alias);
      expect(verdict).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
      expect(verdict.message).toContain(c.names);
      expect(verdict.message).toContain('jdk.certpath.disabledAlgorithms refuses');
    },
  );

  it.each(refused)('$what with --allow-weak-algorithms: verified, with a finding', async (c) => {
    const { verdict, evidence } = await chainVerdict(c.alias, { allowWeak: true });
    expect(verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(verdict.message).toContain(`accepted despite ${c.names}`);
    expect(evidence.findings).toContainEqual(
      expect.objectContaining({ code: 'WEAK_ALGORITHM_ALLOWED', severity: 'warning' }),
    );
  });

  it('an intermediate with a 1024-bit key is allowed (keySize < 1024): verified, as jarsigner -strict', async () => {
    const tool = reference['cp-under1024']!;
    expect(tool.passed, tool.output).toBe(true);
    expect((await chainVerdict('under1024')).verdict).toMatchObject({
      status: 'verified',
      code: 'CHAIN_VALID',
    });
  });

  it('the SHA-1 chains as of 2018-12-31: allowed before the denyAfter date; verified', async () => {
    for (const alias of ['sha1leaf', 'undersha1inter']) {
      const { verdict } = await chainVerdict(alias, { at: '2018-12-31T23:59:59Z' });
      expect(verdict, verdict.message).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    }
  });
});
