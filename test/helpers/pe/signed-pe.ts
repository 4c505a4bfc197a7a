import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { cachedFixtureDir } from '../fixture-cache.js';

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

/** Signs `input` into `output` with osslsigncode and returns `output`. */
export async function makeSignedPe(
  pki: TestPki,
  input: string,
  output: string,
  options: SignOptions = {},
): Promise<string> {
  const signer = options.signer ?? 'rsa';
  const args = ['sign'];
  if (options.nest) args.push('-nest');
  args.push('-certs', signer === 'rsa' ? pki.rsaChainPem : pki.ecChainPem);
  args.push('-key', signer === 'rsa' ? pki.rsaKey : pki.ecKey);
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
  args.push('-in', input, '-out', output);
  await run('osslsigncode', args);
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

/** Runs `osslsigncode verify` offline against the test CA and parses what it prints per signature. */
export async function osslsigncodeVerify(file: string, pki: TestPki): Promise<OsslsigncodeVerifyResult> {
  const args = [
    'verify',
    '-CAfile',
    pki.caPem,
    '-TSA-CAfile',
    pki.caPem,
    '-ignore-cdp',
    '-ignore-crl',
    '-in',
    file,
  ];
  let output: string;
  let exitCode = 0;
  try {
    const { stdout, stderr } = await run('osslsigncode', args);
    output = stdout + stderr;
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string; code?: number };
    output = (failed.stdout ?? '') + (failed.stderr ?? '');
    exitCode = failed.code ?? 1;
  }
  return { exitCode, output, signatures: parseVerifyOutput(output) };
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

/** `osslsigncode verify` offline with the caller's roots and time; passed = exit status 0. */
export async function osslsigncodeVerifyWith(
  file: string,
  opts: VerifyWithOptions,
): Promise<{ exitCode: number; output: string; passed: boolean }> {
  const args = ['verify', '-CAfile', opts.caFile, '-ignore-cdp', '-ignore-crl'];
  if (opts.tsaCaFile) args.push('-TSA-CAfile', opts.tsaCaFile);
  if (opts.time !== undefined) args.push('-time', String(opts.time));
  args.push('-in', file);
  try {
    const { stdout, stderr } = await run('osslsigncode', args);
    return { exitCode: 0, output: stdout + stderr, passed: true };
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string; code?: number };
    const exitCode = typeof failed.code === 'number' ? failed.code : 1;
    return { exitCode, output: (failed.stdout ?? '') + (failed.stderr ?? ''), passed: false };
  }
}
