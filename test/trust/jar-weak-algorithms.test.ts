/**
 * Issue #11, weak algorithms (JAR): JDK 17's jdk.jar.disabledAlgorithms ("MD2, MD5, RSA keySize < 1024,
 * DSA keySize < 1024, SHA1 denyAfter 2019-01-01"). JARs signed by jarsigner with each disabled algorithm;
 * jarsigner -verify -strict "treats the jar as unsigned", we answer untrusted/WEAK_ALGORITHM, and
 * --allow-weak-algorithms accepts them with a finding on the signature. Plus the every-vs-some mutant of
 * the entry digest check: a correct SHA-1 digest must not excuse a wrong SHA-256 one.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TrustConfig } from '../../src/trust/config.js';
import {
  exportCertPem,
  genKey,
  jarsignerVerifyStrict,
  makeJar,
  DEFAULT_FILES,
  STOREPASS,
  makeTruststore,
  removeDir,
  signJar,
  tempDir,
} from '../helpers/jar/index.js';
import { run } from '../helpers/tools.js';
import { config, evaluateFile } from './helpers.js';

let dir: string;
let keystore: string;
let caPem: string;
let trust: string;
const jars: Record<string, string> = {};

/** jar cf, then jarsigner run asynchronously so that the test worker is not blocked while it signs. */
async function sign(
  name: string,
  alias: string,
  opts: { sigalg?: string; digestalg?: string } = {},
): Promise<string> {
  const path = makeJar(join(dir, name), DEFAULT_FILES);
  const args = ['-keystore', keystore, '-storepass', STOREPASS, '-storetype', 'PKCS12'];
  if (opts.sigalg) args.push('-sigalg', opts.sigalg);
  if (opts.digestalg) args.push('-digestalg', opts.digestalg);
  await run('jarsigner', [...args, path, alias]);
  return path;
}

beforeAll(async () => {
  dir = tempDir('sigscan-jar-weak-');
  keystore = join(dir, 'keys.p12');
  genKey(keystore, { alias: 'ca', keyalg: 'RSA', dname: 'CN=Weak Test CA, O=Sigscan Tests' });
  genKey(keystore, {
    alias: 'signer',
    keyalg: 'RSA',
    dname: 'CN=Weak Test Signer, O=Sigscan Tests',
    issuerAlias: 'ca',
  });
  genKey(keystore, {
    alias: 'small',
    keyalg: 'RSA',
    keysize: 512,
    dname: 'CN=Small Key Signer, O=Sigscan Tests',
    issuerAlias: 'ca',
  });
  caPem = exportCertPem(keystore, 'ca', join(dir, 'ca.pem'));
  trust = makeTruststore(join(dir, 'trust.p12'), { ca: caPem });
  jars['sha256'] = await sign('sha256.jar', 'signer');
  jars['md5withrsa'] = await sign('md5withrsa.jar', 'signer', { sigalg: 'MD5withRSA' });
  jars['md5digest'] = await sign('md5digest.jar', 'signer', { digestalg: 'MD5' });
  jars['sha1'] = await sign('sha1.jar', 'signer', { sigalg: 'SHA1withRSA', digestalg: 'SHA-1' });
  jars['sha1digest'] = await sign('sha1digest.jar', 'signer', { digestalg: 'SHA-1' });
  jars['rsa512'] = await sign('rsa512.jar', 'small');
}, 120_000);

afterAll(() => removeDir(dir));

async function evaluate(path: string, allowWeak = false) {
  const cfg: TrustConfig = { ...(await config({ roots: [caPem] })), allowWeakAlgorithms: allowWeak };
  const outcomes = await evaluateFile(path, 'jar', cfg);
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

describe('jdk.jar.disabledAlgorithms (JDK 17)', () => {
  it('SHA-256 throughout: verified, as jarsigner -strict', async () => {
    expect(jarsignerVerifyStrict(jars['sha256']!, trust).passed).toBe(true);
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
    const tool = jarsignerVerifyStrict(jars[c.jar]!, trust);
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

describe('every digest of an entry must match (kills `every` -> `some`)', () => {
  let path: string;
  beforeAll(() => {
    // A manifest with a right SHA-1 and a wrong SHA-256 digest for hello/Hello.txt, then jarsigner
    // -digestalg SHA-512, which adds the right SHA-512 digest beside them (it only writes digests of its
    // own algorithm) and signs the manifest as it is. The strongest digest is right, so nothing is weak:
    // only the every-digest rule stands between this JAR and `verified`.
    const content = 'hello, world\n';
    const src = join(dir, 'every-src');
    mkdirSync(join(src, 'hello'), { recursive: true });
    writeFileSync(join(src, 'hello', 'Hello.txt'), content);
    const manifest = join(dir, 'every-manifest.mf');
    const sha1 = createHash('sha1').update(content).digest('base64');
    const wrong = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(
      manifest,
      `Manifest-Version: 1.0\r\n\r\nName: hello/Hello.txt\r\nSHA1-Digest: ${sha1}\r\nSHA-256-Digest: ${wrong}\r\n\r\n`,
    );
    path = join(dir, 'every.jar');
    execFileSync('jar', ['cfm', path, manifest, '-C', src, 'hello/Hello.txt']);
    signJar(path, { keystore, alias: 'signer', digestalg: 'SHA-512' });
    const mf = execFileSync('unzip', ['-p', path, 'META-INF/MANIFEST.MF'], { encoding: 'utf8' });
    expect(mf).toContain(`SHA1-Digest: ${sha1}`);
    expect(mf).toContain(`SHA-256-Digest: ${wrong}`);
    expect(mf).toContain('SHA-512-Digest: ');
  });

  it('the JDK rejects the entry (SHA-256 digest error); sigscan: invalid/ENTRY_DIGEST_MISMATCH', async () => {
    const tool = jarsignerVerifyStrict(path, trust);
    expect(tool.passed).toBe(false);
    expect(tool.output).toMatch(/SHA-256 digest error for hello\/Hello.txt/);
    expect((await evaluate(path)).verdict).toMatchObject({
      status: 'invalid',
      code: 'ENTRY_DIGEST_MISMATCH',
    });
  });
});
