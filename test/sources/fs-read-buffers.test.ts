/**
 * ZIPs and JARs are read into buffers that the next files reuse (src/sources/read-buffers.ts). The rule
 * that makes that safe: nothing keeps a view of a file's bytes after its job ends. Here real jarsigner
 * JARs (one verified, one altered after signing, one signed library inside a WAR) are scanned, then every
 * spare buffer is overwritten and another tree is scanned through the same buffers; every field of every
 * result, signature material included, must be what it was.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TargetResult } from '../../src/model/index.js';
import type { ScanReport } from '../../src/scan/report-model.js';
import { runFsScan } from '../../src/scan/run.js';
import { overwriteSpareReadBuffers } from '../../src/sources/read-buffers.js';
import { emptyTrustConfig, readCertificates } from '../../src/trust/config.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { sameDn } from '../helpers/dn.js';
import {
  exportCertPem,
  makeJar,
  makeSignedJar,
  putEntries,
  removeDir,
  tempDir,
} from '../helpers/jar/index.js';
import { NESTED_SIGNER_DN, sha256File } from './nested-fixtures.js';

const SIGNER_DN = 'CN=Read Buffer Signer, O=Sigscan Tests, C=US';

let work: string;
let tree: string;
let other: string;
let rootPem: string;
const at = new Date(Date.now() + 3600_000);

beforeAll(() => {
  work = tempDir('sigscan-readbuf-');
  tree = join(work, 'tree');
  other = join(work, 'other');
  const libs = join(work, 'libs');
  for (const dir of [tree, other, libs]) mkdirSync(dir, { recursive: true });
  const signed = makeSignedJar(libs, {
    name: 'signed.jar',
    alias: 'rb',
    keyalg: 'RSA',
    dname: SIGNER_DN,
    files: { 'app/Main.txt': 'main class\n', 'app/data.bin': 'x'.repeat(70_000) },
  });
  rootPem = exportCertPem(signed.keystore, 'rb', join(work, 'root.pem'));
  copyFileSync(signed.path, join(tree, 'signed.jar'));
  // jarsigner's output with one signed entry replaced afterwards (Info-ZIP zip; the signature stays).
  copyFileSync(signed.path, join(tree, 'altered.jar'));
  putEntries(join(tree, 'altered.jar'), { 'app/Main.txt': 'main class, altered\n' });
  // The same signed content with every entry stored (Info-ZIP zip -0): stored entries are read as slices
  // of the file's bytes, so a view kept of them would be a view of the reused buffer.
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('unzip', ['-q', signed.path, '-d', unpacked]);
  execFileSync(
    'zip',
    [
      '-q',
      '-0',
      '-X',
      join(tree, 'stored.jar'),
      'META-INF/MANIFEST.MF',
      'META-INF/RB.SF',
      'META-INF/RB.RSA',
      'app/Main.txt',
      'app/data.bin',
    ],
    { cwd: unpacked },
  );
  const lib = makeSignedJar(libs, {
    name: 'lib.jar',
    alias: 'nested',
    keyalg: 'EC',
    dname: NESTED_SIGNER_DN,
    files: { 'lib/Lib.txt': 'library\n' },
  });
  makeJar(join(tree, 'app.war'), {
    'WEB-INF/lib/lib.jar': readFileSync(lib.path),
    'WEB-INF/web.xml': '<web-app/>\n',
  });
  // Other files, read into the same buffers afterwards.
  for (let i = 0; i < 6; i++) {
    makeJar(join(other, `other-${i}.jar`), { [`o/${i}.txt`]: `${i}`.repeat(50_000 + i) });
  }
}, 120_000);
afterAll(() => {
  if (work) removeDir(work);
});

async function scan(root: string): Promise<ScanReport> {
  return runFsScan({
    roots: [root],
    concurrency: 4,
    log: silentLogger,
    limits: DEFAULT_LIMITS,
    // One verification time for every scan: verdict messages name it.
    trust: { ...emptyTrustConfig(), roots: await readCertificates(rootPem, 'trust root'), at },
  });
}

/** Every field of the results as text, byte arrays (signature material) as hex, in path order. */
function snapshot(results: TargetResult[]): string {
  const path = (r: TargetResult) => (r.target.kind === 'file' ? r.target.path : '');
  return JSON.stringify(
    [...results].sort((a, b) => path(a).localeCompare(path(b))),
    (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value),
  );
}

describe('reused read buffers', () => {
  let results: TargetResult[];
  let before: string;
  beforeAll(async () => {
    results = (await scan(tree)).results;
    before = snapshot(results);
  });

  const byPath = (suffix: string) =>
    results.find((r) => r.target.kind === 'file' && r.target.path.endsWith(suffix));

  it('scans the tree with real verdicts (the inputs are what the test relies on)', () => {
    const signed = byPath('/signed.jar')!;
    expect(signed.target).toMatchObject({ format: 'jar', digest: sha256File(join(tree, 'signed.jar')) });
    expect(signed.signatures.map((s) => s.verdict.status)).toEqual(['verified']);
    expect(sameDn(signed.signatures[0]!.evidence.signer.subject!, SIGNER_DN)).toBe(true);
    expect(signed.signatures[0]!.evidence.details).toMatchObject({ entriesSigned: 2, entriesTotal: 2 });
    const stored = byPath('/stored.jar')!;
    expect(stored.signatures.map((s) => s.verdict.status)).toEqual(['verified']);
    expect(stored.signatures[0]!.evidence.details).toMatchObject({ entriesSigned: 2, entriesTotal: 2 });
    const altered = byPath('/altered.jar')!;
    expect(altered.signatures.map((s) => s.verdict.status)).toEqual(['invalid']);
    expect(altered.signatures[0]!.evidence.details).toMatchObject({ mismatchedEntries: ['app/Main.txt'] });
    const nested = byPath('app.war!/WEB-INF/lib/lib.jar')!;
    expect(sameDn(nested.signatures[0]!.evidence.signer.subject!, NESTED_SIGNER_DN)).toBe(true);
    expect(nested.signatures[0]!.verdict.status).toBe('untrusted');
    // Signature material is carried to the trust layer: a view of the file would show in it.
    const material = signed.signatures[0]!.evidence.material as {
      blockDer: Uint8Array;
      signatureFileBytes: Uint8Array;
    };
    expect(material.blockDer[0]).toBe(0x30);
    expect(Buffer.from(material.signatureFileBytes).toString('latin1')).toMatch(/^Signature-Version: 1.0/);
  });

  it('keeps no view of a file after its job: overwriting the spare buffers changes no result', async () => {
    // The buffers were used and given back: there is something to overwrite.
    expect(overwriteSpareReadBuffers(0xa5)).toBeGreaterThanOrEqual(1024 * 1024);
    expect(snapshot(results)).toBe(before);
    const others = (await scan(other)).results;
    expect(others.map((r) => r.target.kind === 'file' && r.target.format)).toEqual(Array(6).fill('jar'));
    expect(overwriteSpareReadBuffers(0x5a)).toBeGreaterThanOrEqual(1024 * 1024);
    expect(snapshot(results)).toBe(before);
  });

  it('gives the same results scanning again through the reused buffers', async () => {
    expect(snapshot((await scan(tree)).results)).toBe(before);
  });
});
