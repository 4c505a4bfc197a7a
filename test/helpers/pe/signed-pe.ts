import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';

import { cachedFixtureDir } from '../fixture-cache.js';
import { answerFile, cachedToolRun, readAnswer, type KeyPart, type ToolAnswer } from '../tool-answers.js';

/**
 * Authenticode fixtures made with real tools: a tiny PE from mingw-w64, a throwaway PKI from openssl
 * and signatures from osslsigncode. Everything is written under the caller's temp dir (the PE and the PKI
 * copied from a daily cache, see cachedFixtureDir).
 */

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  caPem: string;
  /** RSA code-signing leaf followed by the CA. */
  rsaChainPem: string;
  rsaKey: string;
  /** P-256 code-signing leaf followed by the CA. */
  ecChainPem: string;
  ecKey: string;
  /** TSA certificate (critical EKU timeStamping) followed by the CA. */
  tsaChainPem: string;
  tsaKey: string;
}

export const TEST_SUBJECTS = {
  ca: '/C=DE/O=Sigscan Test/CN=Sigscan Test CA',
  rsa: '/C=DE/L=Berlin/O=Sigscan Test/OU=Builds/CN=Sigscan RSA Code Signer',
  ec: '/C=DE/O=Sigscan Test/CN=Sigscan EC Code Signer',
  tsa: '/C=DE/O=Sigscan Test/CN=Sigscan Test TSA',
} as const;

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[codesign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** Compiles `int main(){return 0;}` for x86-64 Windows, stripped. */
export async function compileTinyPe(dir: string, name = 'tiny.exe'): Promise<string> {
  const built = await cachedFixtureDir('pe-tiny-v1', async (d) => {
    const source = join(d, 'tiny.c');
    await writeFile(source, 'int main(void) { return 0; }\n');
    await run('x86_64-w64-mingw32-gcc', ['-s', '-O2', '-o', join(d, 'tiny.exe'), source]);
  });
  const output = join(dir, name);
  copyFileSync(join(built, 'tiny.exe'), output);
  return output;
}

/** PKIs made before the day clock is read, so that its `now` is after every one of their notBefore times. */
const CLOCKED_PKIS = 4;

/**
 * "Now" for fixtures, in UNIX seconds: the time this day's fixture clock was made, right after the first
 * CLOCKED_PKIS test PKIs. Timestamps and `--at` times derived from it give the same signatures (and the same
 * cached osslsigncode answers) in every test process of the day, where Date.now() would give new ones each run.
 */
export async function fixtureNow(): Promise<number> {
  const dir = await cachedFixtureDir('pe-clock-v1', async (d) => {
    for (let i = 0; i < CLOCKED_PKIS; i++) await cachedFixtureDir(`pe-pki-v1-${i}`, buildTestPki);
    await writeFile(join(d, 'now'), String(Math.floor(Date.now() / 1000)));
  });
  return Number(readFileSync(join(dir, 'now'), 'utf8'));
}

/**
 * Runs `cmd args` once a day for the given content key, and returns its answer; `outputs` (names relative to
 * the build dir, which `args` receive as `out(name)`) are kept in the cache dir.
 */
export async function cachedProcess(
  recipe: string,
  parts: readonly KeyPart[],
  cmd: string,
  args: (out: (name: string) => string) => string[],
): Promise<{ dir: string; answer: ToolAnswer }> {
  const dir = await cachedToolRun(recipe, [cmd, ...parts], async (d) => {
    let answer: ToolAnswer;
    try {
      const { stdout, stderr } = await run(
        cmd,
        args((name) => join(d, name)),
        { maxBuffer: 64 << 20 },
      );
      answer = { exitCode: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { stdout?: string; stderr?: string; code?: unknown };
      // A spawn failure (ENOENT) is not an answer of the tool's: never cache it.
      if (typeof failed.code !== 'number') throw err;
      answer = { exitCode: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
    await writeFile(answerFile(d), JSON.stringify(answer));
  });
  return { dir, answer: readAnswer(dir) };
}

/** How many PKIs this process made: the n-th call gets the n-th cached PKI, so "another CA" stays another. */
let pkiCalls = 0;

/**
 * A test CA with RSA and P-256 code-signing leaves and a TSA, copied into `dir` from a cache made once a
 * day (cachedFixtureDir). The first call of a process gets PKI 0, the second PKI 1, and so on: distinct
 * CAs within a test file, shared across files.
 */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const built = await cachedFixtureDir(`pe-pki-v1-${pkiCalls++}`, buildTestPki);
  mkdirSync(dir, { recursive: true });
  cpSync(built, dir, { recursive: true });
  const p = (name: string) => join(dir, name);
  return {
    dir,
    caPem: p('ca.pem'),
    rsaChainPem: p('rsa-chain.pem'),
    rsaKey: p('rsa.key'),
    ecChainPem: p('ec-chain.pem'),
    ecKey: p('ec.key'),
    tsaChainPem: p('tsa-chain.pem'),
    tsaKey: p('tsa.key'),
  };
}

async function buildTestPki(dir: string): Promise<TestPki> {
  const p = (name: string) => join(dir, name);
  const config = p('openssl.cnf');
  await writeFile(config, OPENSSL_CONFIG);
  const openssl = (...args: string[]) => run('openssl', args);

  await openssl(
    'req',
    '-x509',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-days',
    '3650',
    '-subj',
    TEST_SUBJECTS.ca,
    '-config',
    config,
    '-extensions',
    'ca',
  );
  const leaf = async (name: string, subject: string, keyArgs: string[], extensions: string) => {
    await openssl(
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
      '-subj',
      subject,
      '-config',
      config,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-out',
      p(`${name}.pem`),
      '-days',
      '365',
      '-extfile',
      config,
      '-extensions',
      extensions,
    );
    const chain = (await readFile(p(`${name}.pem`), 'utf8')) + (await readFile(p('ca.pem'), 'utf8'));
    await writeFile(p(`${name}-chain.pem`), chain);
  };
  await leaf('rsa', TEST_SUBJECTS.rsa, ['-newkey', 'rsa:2048'], 'codesign');
  await leaf('ec', TEST_SUBJECTS.ec, ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'codesign');
  await leaf('tsa', TEST_SUBJECTS.tsa, ['-newkey', 'rsa:2048'], 'tsa');

  return {
    dir,
    caPem: p('ca.pem'),
    rsaChainPem: p('rsa-chain.pem'),
    rsaKey: p('rsa.key'),
    ecChainPem: p('ec-chain.pem'),
    ecKey: p('ec.key'),
    tsaChainPem: p('tsa-chain.pem'),
    tsaKey: p('tsa.key'),
  };
}

export interface SignOptions {
  /** osslsigncode `-h`. */
  hash?: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
  signer?: 'rsa' | 'ec';
  /** Adds an RFC 3161 timestamp made locally by the test TSA at this UNIX time (no network). */
  timestampUnixTime?: number;
  /** Adds the signature as a nested signature of the input's existing one. */
  nest?: boolean;
  programName?: string;
  url?: string;
  pageHashes?: boolean;
  /** MSI only: osslsigncode `-add-msi-dse` (MsiDigitalSignatureEx). */
  msiDse?: boolean;
}

/**
 * Signs `input` into `output` with osslsigncode and returns `output`. The signature is made once a day for the
 * same input, keys and options (cachedProcess): osslsigncode puts a signingTime in, and an ECDSA signature is
 * randomised, so a fresh one each run would never hit the cached osslsigncode verify answers.
 */
export async function makeSignedPe(
  pki: TestPki,
  input: string,
  output: string,
  options: SignOptions = {},
): Promise<string> {
  const signer = options.signer ?? 'rsa';
  const certs = signer === 'rsa' ? pki.rsaChainPem : pki.ecChainPem;
  const key = signer === 'rsa' ? pki.rsaKey : pki.ecKey;
  const stamped = options.timestampUnixTime !== undefined;
  const { dir, answer } = await cachedProcess(
    'osslsigncode-sign-v1',
    [
      JSON.stringify(options),
      // The extension picks the format for scripts.
      extname(output),
      { file: input },
      { file: certs },
      { file: key },
      stamped ? { file: pki.tsaChainPem } : undefined,
      stamped ? { file: pki.tsaKey } : undefined,
    ],
    'osslsigncode',
    (out) => {
      const args = ['sign'];
      if (options.nest) args.push('-nest');
      args.push('-certs', certs);
      args.push('-key', key);
      args.push('-h', options.hash ?? 'sha256');
      if (options.programName) args.push('-n', options.programName);
      if (options.url) args.push('-i', options.url);
      if (options.pageHashes) args.push('-ph');
      if (options.msiDse) args.push('-add-msi-dse');
      if (options.timestampUnixTime !== undefined) {
        args.push(
          '-TSA-certs',
          pki.tsaChainPem,
          '-TSA-key',
          pki.tsaKey,
          '-TSA-time',
          String(options.timestampUnixTime),
        );
      }
      args.push('-in', input, '-out', out(`signed${extname(output)}`));
      return args;
    },
  );
  if (answer.exitCode !== 0) {
    throw new Error(`osslsigncode sign exited with ${answer.exitCode}\n${answer.stderr}`);
  }
  copyFileSync(join(dir, `signed${extname(output)}`), output);
  return output;
}

export interface OsslsigncodeSignature {
  index: number;
  digestAlgorithm?: string;
  currentDigest?: string;
  calculatedDigest?: string;
  signerSubject?: string;
  signerIssuer?: string;
  /** "Timestamp time:" (RFC 3161) or the countersignature's signing time, as osslsigncode prints it. */
  timestampTime?: Date;
  countersignerIssuer?: string;
  countersignerSerial?: string;
  /** Subject of the TSA certificate: "Signer #0" of the timestamp chain osslsigncode printed. */
  countersignerSubject?: string;
}

export interface OsslsigncodeVerifyResult {
  exitCode: number;
  output: string;
  signatures: OsslsigncodeSignature[];
}

/**
 * Runs `osslsigncode verify` offline against the test CA and parses what it prints per signature. The answer is
 * osslsigncode's for these exact bytes, cached for the day (cachedProcess).
 */
export async function osslsigncodeVerify(file: string, pki: TestPki): Promise<OsslsigncodeVerifyResult> {
  const { answer } = await cachedProcess(
    'osslsigncode-verify-v1',
    ['pki', { file }, { file: pki.caPem }],
    'osslsigncode',
    () => [
      'verify',
      '-CAfile',
      pki.caPem,
      '-TSA-CAfile',
      pki.caPem,
      '-ignore-cdp',
      '-ignore-crl',
      '-in',
      file,
    ],
  );
  const output = answer.stdout + answer.stderr;
  return { exitCode: answer.exitCode, output, signatures: parseVerifyOutput(output) };
}

export function parseVerifyOutput(output: string): OsslsigncodeSignature[] {
  const blocks = output.split(/^Signature Index: /m).slice(1);
  return blocks.map((block) => {
    const index = Number(/^(\d+)/.exec(block)?.[1]);
    const line = (re: RegExp) => re.exec(block)?.[1]?.trim();
    const signerSection = block.split(/^Signer's certificate:/m)[1] ?? '';
    const counterSection = block.split(/^Countersignatures:/m)[1]?.split(/\n\s*\n/)[0] ?? '';
    const timestampChain =
      block.split(/^(?:Timestamp verified using|Failed timestamp certificate chain[^\n]*):/m)[1] ?? '';
    const time =
      /Timestamp time: (.+)/.exec(counterSection)?.[1] ?? /Signing time: (.+)/.exec(counterSection)?.[1];
    const tsaSigner = /Signer #0:\s*\n\s*Subject: (.+)/.exec(timestampChain)?.[1];
    return {
      index,
      digestAlgorithm: line(/^Message digest algorithm\s*: (\S+)/m),
      currentDigest: line(/^Current message digest\s*: (\S+)/m)?.toLowerCase(),
      calculatedDigest: line(/^Calculated message digest\s*: (\S+)/m)?.toLowerCase(),
      signerSubject: /Subject: (.+)/.exec(signerSection)?.[1]?.trim(),
      signerIssuer: /Issuer : (.+)/.exec(signerSection)?.[1]?.trim(),
      timestampTime: time ? new Date(time.trim()) : undefined,
      countersignerIssuer: /Issuer: (.+)/.exec(counterSection)?.[1]?.trim(),
      countersignerSerial: /Serial: (.+)/.exec(counterSection)?.[1]?.trim().toLowerCase(),
      countersignerSubject: tsaSigner?.trim(),
    };
  });
}

export interface VerifyWithOptions {
  /** -CAfile: the roots the signer must chain to. */
  caFile: string;
  /** -TSA-CAfile; when absent the timestamp is checked against -CAfile's roots only if osslsigncode does. */
  tsaCaFile?: string;
  /** -time: verify as of this UNIX time (what `--at` means for sigscan). */
  time?: number;
}

/**
 * `osslsigncode verify` offline with the caller's roots and time; passed = exit status 0. Cached for the day
 * by the content of the file and the roots (cachedProcess).
 */
export async function osslsigncodeVerifyWith(
  file: string,
  opts: VerifyWithOptions,
): Promise<{ exitCode: number; output: string; passed: boolean }> {
  const { answer } = await cachedProcess(
    'osslsigncode-verify-v1',
    [
      'with',
      { file },
      { file: opts.caFile },
      opts.tsaCaFile === undefined ? undefined : { file: opts.tsaCaFile },
      opts.time,
    ],
    'osslsigncode',
    () => {
      const args = ['verify', '-CAfile', opts.caFile, '-ignore-cdp', '-ignore-crl'];
      if (opts.tsaCaFile) args.push('-TSA-CAfile', opts.tsaCaFile);
      if (opts.time !== undefined) args.push('-time', String(opts.time));
      args.push('-in', file);
      return args;
    },
  );
  return { exitCode: answer.exitCode, output: answer.stdout + answer.stderr, passed: answer.exitCode === 0 };
}
