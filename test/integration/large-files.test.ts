/**
 * Memory stays flat in the size of the largest file: a 1 GiB signed PE and a 500+ MB signed JAR are
 * scanned by the built CLI in a child process whose peak resident set (GNU time) must stay under 300 MB,
 * with the verdict the reference tool gives the same file. The files are made by real tools (mingw-w64,
 * then 1 GiB of overlay appended before osslsigncode signs it, so the image hash covers all of it; `jar`
 * deflating a 520 MiB entry, then jarsigner) and cached under .cache/large-files, so only the first run
 * pays for writing them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { CLI, type JsonReport } from '../helpers/cli.js';
import { exportCertPem, genKey, jarsignerVerify, signJar } from '../helpers/jar/index.js';
import {
  compileTinyPe,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerify,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const CACHE = join(PROJECT_ROOT, '.cache', 'large-files');
const GIB = 1024 * 1024 * 1024;
const PEAK_RSS_LIMIT = 300 * 1000 * 1000;

let pki: TestPki;
let bigPe: string;
const JAR_DIR = join(CACHE, 'jar');
const bigJar = join(JAR_DIR, 'big-signed.jar');
const jarRoot = join(JAR_DIR, 'signer.pem');

/** `jar` deflates a 520 MiB entry of random bytes (so the archive stays that large), then jarsigner signs it. */
async function makeBigJar(): Promise<void> {
  await rm(JAR_DIR, { recursive: true, force: true });
  const src = join(JAR_DIR, 'src');
  await mkdir(join(src, 'data'), { recursive: true });
  await writeFile(join(src, 'hello.txt'), 'hello, world\n');
  const out = await open(join(src, 'data', 'big.bin'), 'w');
  try {
    for (let i = 0; i < 65; i++) await out.write(randomBytes(8 * 1024 * 1024));
  } finally {
    await out.close();
  }
  const partial = join(JAR_DIR, 'big.jar.partial');
  await run('jar', ['cf', partial, '-C', src, '.'], { timeoutMs: 600_000 });
  await rm(src, { recursive: true });
  const keystore = join(JAR_DIR, 'keystore.p12');
  genKey(keystore, {
    alias: 'signer',
    keyalg: 'RSA',
    dname: 'CN=Sigscan Large JAR Signer,O=Sigscan Test,C=DE',
  });
  signJar(partial, { keystore, alias: 'signer' });
  exportCertPem(keystore, 'signer', jarRoot);
  await rename(partial, bigJar);
}

/** A tiny PE with `bytes` of overlay (written, not sparse: the signer and the scan read real blocks). */
async function padded(tiny: string, output: string, bytes: number): Promise<void> {
  const out = await open(output, 'w');
  try {
    const head = await readFile(tiny);
    await out.write(head, 0, head.length, 0);
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
    for (let at = 0; at < bytes; at += chunk.length) {
      await out.write(chunk, 0, Math.min(chunk.length, bytes - at), head.length + at);
    }
  } finally {
    await out.close();
  }
}

beforeAll(async () => {
  const pkiDir = join(CACHE, 'pki');
  bigPe = join(CACHE, 'big-signed.exe');
  if (!existsSync(join(pkiDir, 'ca.pem')) || !existsSync(bigPe)) {
    await rm(CACHE, { recursive: true, force: true });
    await mkdir(pkiDir, { recursive: true });
    pki = await makeTestPki(pkiDir);
    const tiny = await compileTinyPe(CACHE);
    const unsigned = join(CACHE, 'big-unsigned.exe');
    await padded(tiny, unsigned, GIB);
    await makeSignedPe(pki, unsigned, `${bigPe}.partial`, {
      hash: 'sha256',
      timestampUnixTime: 1_760_000_000,
    });
    await rm(unsigned);
    // Only a complete file is ever cached.
    await rename(`${bigPe}.partial`, bigPe);
  } else {
    pki = {
      dir: pkiDir,
      caPem: join(pkiDir, 'ca.pem'),
      rsaChainPem: join(pkiDir, 'rsa-chain.pem'),
      rsaKey: join(pkiDir, 'rsa.key'),
      ecChainPem: join(pkiDir, 'ec-chain.pem'),
      ecKey: join(pkiDir, 'ec.key'),
      tsaChainPem: join(pkiDir, 'tsa-chain.pem'),
      tsaKey: join(pkiDir, 'tsa.key'),
    };
  }
  if (!existsSync(bigJar) || !existsSync(jarRoot)) await makeBigJar();
}, 900_000);

/** Scans `path` with the built CLI under GNU time; returns the report and the peak RSS in bytes. */
async function scanMeasured(
  path: string,
  extra: string[] = [],
): Promise<{ report: JsonReport; maxRss: number }> {
  const res = await run('/usr/bin/time', ['-v', process.execPath, CLI, 'fs', path, '-o', 'json', ...extra], {
    check: false,
    env: { NO_COLOR: '1' },
    timeoutMs: 600_000,
  });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr);
  expect(rss, res.stderr).not.toBeNull();
  return { report: JSON.parse(res.stdout) as JsonReport, maxRss: Number(rss![1]) * 1024 };
}

describe('large files', () => {
  it('a 1 GiB signed PE: verified as osslsigncode says, peak RSS under 300 MB', async () => {
    const oracle = await osslsigncodeVerify(bigPe, pki);
    expect(oracle.exitCode, oracle.output).toBe(0);
    expect(oracle.output).toContain('Signature verification: ok');

    const { report, maxRss } = await scanMeasured(bigPe, [
      '--trust-root',
      pki.caPem,
      '--tsa-root',
      pki.caPem,
    ]);
    expect(report.targets).toHaveLength(1);
    const [target] = report.targets;
    expect((target as unknown as { size: number }).size).toBeGreaterThan(GIB);
    expect(target!.errors).toEqual([]);
    expect(target!.signatures.map((s) => [s.family, s.verdict.status, s.details.imageHashMatches])).toEqual([
      ['authenticode', 'verified', true],
    ]);
    expect(target!.signatures[0]!.details.imageHash).toBe(
      oracle.signatures[0]!.calculatedDigest?.toLowerCase(),
    );
    expect(maxRss).toBeLessThan(PEAK_RSS_LIMIT);
  }, 600_000);

  it('a 500+ MB signed JAR with one deflated entry of 520 MiB: verified as jarsigner says, peak RSS under 300 MB', async () => {
    const oracle = jarsignerVerify(bigJar);
    expect(oracle.verified, oracle.output).toBe(true);

    const { report, maxRss } = await scanMeasured(bigJar, ['--trust-root', jarRoot]);
    expect(report.targets).toHaveLength(1);
    const [target] = report.targets;
    expect((target as unknown as { size: number }).size).toBeGreaterThan(500 * 1000 * 1000);
    expect(target!.format).toBe('jar');
    expect(target!.errors).toEqual([]);
    expect(target!.signatures.map((s) => [s.family, s.location, s.verdict.status])).toEqual([
      ['jar', 'META-INF/SIGNER.RSA', 'verified'],
    ]);
    expect(maxRss).toBeLessThan(PEAK_RSS_LIMIT);
  }, 600_000);
});
