/**
 * `npm run bench`: builds a registry on loopback (Debian docker-registry) and a file tree, scans both
 * with the built CLI, and prints ratios against floors measured in the same run. Nothing here is a
 * test: figures vary with the machine, which is why each one is a ratio to a baseline taken now.
 *
 * Parameters (environment): BENCH_REPOS (default 40), BENCH_TAGS (10), BENCH_FILES (400),
 * BENCH_CONCURRENCY (8), BENCH_OUT (reports/bench.md), BENCH_ONLY (`registry` or `fs`: run one half, and
 * print without writing BENCH_OUT), BENCH_CPU_PROF (a folder: the full scans write V8 CPU profiles there),
 * BENCH_KEEP=1 (keep the registry data and tree, and print where). BENCH_ONLY=real runs only the real-file
 * and large-file sections (the 12 vendor PEs of the tests, .cache/vendor and the shared corpus; the bench
 * set scripts/fetch-bench-files.sh gathers in .cache/bench-vendor, with the --jobs 1 vs --jobs 2 line on
 * it, BENCH_JOBS_REPEAT copies of it (default 1); the large files cached by
 * test/integration/large-files.test.ts under .cache/large-files). BENCH_ONLY=scale runs only the registry
 * scale section: BENCH_SCALE_TAGS (default 10000) unsigned tags in 100 repositories, scanned at one tenth
 * and in full, for time growing linearly and memory staying flat.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import pLimit from 'p-limit';
import { Agent, request } from 'undici';

import { cosignKeypair, cosignSign, ensureCosign } from '../test/helpers/cosign.js';
import { tarOneFile } from '../test/helpers/images.js';
import { signNotation } from '../test/helpers/notation/sign.js';
import { addReferrerToFallbackIndex, closeAgents, pushBlob, pushManifest } from '../test/helpers/push.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry.js';
import { exportCertPem, genKey, makeJar, signJar } from '../test/helpers/jar/index.js';
import { compileTinyPe, makeSignedPe, makeTestPki } from '../test/helpers/pe/signed-pe.js';
import { defaultJobs } from '../src/scan/pool.js';
import { PROJECT_ROOT } from '../test/helpers/tools.js';

const REPOS = Number(process.env.BENCH_REPOS ?? 40);
const TAGS = Number(process.env.BENCH_TAGS ?? 10);
const FILES = Number(process.env.BENCH_FILES ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const OUT = process.env.BENCH_OUT ?? join(PROJECT_ROOT, 'reports', 'bench.md');
const ONLY = process.env.BENCH_ONLY;
const CPU_PROF = process.env.BENCH_CPU_PROF;
const CLI = join(PROJECT_ROOT, 'bin', 'run.js');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface RunResult {
  ms: number;
  /** User + system CPU time of the process and its children (workers are threads, so included). */
  cpuMs: number;
  peakRssMb: number;
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the CLI under GNU time for the peak RSS; wall time measured here. */
function runCli(args: string[], profile = false): Promise<RunResult> {
  const node =
    profile && CPU_PROF ? [process.execPath, '--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [process.execPath];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M CPU_S=%U+%S', ...node, CLI, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const kb = Number(/PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? 0);
      resolve({ ms, cpuMs: cpuOf(stderr), peakRssMb: kb / 1024, stdout, stderr, code: code ?? -1 });
    });
  });
}

/** CPU milliseconds from GNU time's `CPU_S=<user>+<sys>` line. */
function cpuOf(stderr: string): number {
  const m = /CPU_S=([\d.]+)\+([\d.]+)/.exec(stderr);
  return m ? (Number(m[1]) + Number(m[2])) * 1000 : 0;
}

async function timeCommand(cmd: string, args: string[], runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    execFileSync(cmd, args, { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function pushImage(
  reg: TestRegistry,
  repo: string,
  tag: string,
  seed: string,
  platforms = 1,
): Promise<string> {
  const children: Array<{ digest: string; size: number; arch: string }> = [];
  for (let p = 0; p < platforms; p++) {
    const arch = p === 0 ? 'amd64' : 'arm64';
    const layer = await pushBlob(reg, repo, tarOneFile('seed.txt', `${seed}/${arch}\n`));
    const config = await pushBlob(
      reg,
      repo,
      JSON.stringify({
        architecture: arch,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    );
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    });
    const digest = await pushManifest(
      reg,
      repo,
      platforms === 1 ? tag : `${tag}-${arch}`,
      manifest,
      OCI_MANIFEST,
    );
    children.push({ digest, size: Buffer.byteLength(manifest), arch });
  }
  if (platforms === 1) return children[0]!.digest;
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: children.map((c) => ({
      mediaType: OCI_MANIFEST,
      digest: c.digest,
      size: c.size,
      platform: { os: 'linux', architecture: c.arch },
    })),
  });
  return pushManifest(reg, repo, tag, index, OCI_INDEX);
}

/** Bare concurrent HEAD requests for every tag: the network floor a scan cannot beat. */
async function headFloor(
  reg: TestRegistry,
  refs: Array<[string, string]>,
): Promise<{ ms: number; requests: number }> {
  const agent = new Agent({ connections: CONCURRENCY });
  const limit = pLimit(CONCURRENCY);
  const started = process.hrtime.bigint();
  await Promise.all(
    refs.map(([repo, tag]) =>
      limit(async () => {
        const res = await request(`${reg.url}/v2/${repo}/manifests/${tag}`, {
          method: 'HEAD',
          dispatcher: agent,
          headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` },
        });
        await res.body.dump();
      }),
    ),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await agent.close();
  return { ms, requests: refs.length };
}

/** The run with the median wall time. */
function median<T extends { run: RunResult }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.run.ms - b.run.ms)[Math.floor(runs.length / 2)]!;
}

interface ScanStats {
  requests: number;
}

async function scan(
  reg: TestRegistry,
  extra: string[],
  profile = false,
): Promise<{ run: RunResult; targets: number; stats: ScanStats }> {
  const run = await runCli(
    [
      'repo',
      reg.host,
      '--plain-http',
      '--stats',
      '-o',
      'json',
      '--concurrency',
      String(CONCURRENCY),
      ...extra,
    ],
    profile,
  );
  const doc = JSON.parse(run.stdout) as { targets: unknown[]; stats: ScanStats };
  return { run, targets: doc.targets.length, stats: doc.stats };
}

async function registryBench(work: string): Promise<string[]> {
  await ensureCosign();
  const reg = await startRegistry();
  const rows: string[] = [];
  try {
    const keys = await cosignKeypair(work);
    const signedRepos = Math.max(1, Math.round(REPOS * 0.3));
    const refs: Array<[string, string]> = [];
    const signedRefs: Array<[string, string]> = [];
    const unsignedRefs: Array<[string, string]> = [];
    const build = pLimit(8);
    const sign = pLimit(4);
    const jobs: Array<Promise<void>> = [];
    for (let r = 0; r < REPOS; r++) {
      const signed = r < signedRepos;
      const repo = `bench/${signed ? 's' : 'u'}${String(r).padStart(3, '0')}`;
      for (let t = 0; t < TAGS; t++) {
        const tag = `v${t}`;
        refs.push([repo, tag]);
        (signed ? signedRefs : unsignedRefs).push([repo, tag]);
        jobs.push(
          build(async () => {
            // A few multi-arch images in signed repositories.
            const platforms = signed && t === 0 && r % 3 === 0 ? 2 : 1;
            const digest = await pushImage(reg, repo, tag, `${repo}:${tag}`, platforms);
            if (!signed) return;
            if (t === 1) {
              // Notary referrers through the tag fallback (distribution 2.8 has no referrers API).
              const sig = signNotation({ mediaType: OCI_MANIFEST, digest, size: 0 }, { envelope: 'jws' });
              for (const blob of sig.blobs) await pushBlob(reg, repo, blob.bytes);
              await pushManifest(
                reg,
                repo,
                sig.manifestDigest,
                sig.manifestBytes,
                sig.manifestDescriptor.mediaType,
              );
              await addReferrerToFallbackIndex(reg, repo, digest, sig.manifestDescriptor as never);
            } else {
              await sign(() => cosignSign(reg, `${repo}@${digest}`, keys.key));
            }
          }),
        );
      }
    }
    await Promise.all(jobs);

    // Timed figures are medians of three runs: the registry shares the machine's cores with the scan.
    const all = median([await scan(reg, [], true), await scan(reg, []), await scan(reg, [])]);
    // The same command matching no repository: process start-up, module loads, ping and catalog.
    const noMatch = () => scan(reg, ['--repos', 'none/matches-this']);
    const empty = median([await noMatch(), await noMatch(), await noMatch()]);
    const unsigned = await scan(reg, ['--repos', 'bench/u*']);
    const cosignTags = Array.from({ length: Math.max(0, TAGS - 2) }, (_, i) => String(i + 2));
    // One --tags per value: the flag splits on commas, so a `{a,b}` glob cannot be passed whole.
    const signedOnly = await scan(reg, [
      '--repos',
      'bench/s*',
      ...cosignTags.flatMap((t) => ['--tags', `v${t}`]),
    ]);
    const tenth = await scan(reg, ['--repos', `bench/u00*`]);
    const floors = [await headFloor(reg, refs), await headFloor(reg, refs), await headFloor(reg, refs)];
    const floor = floors.sort((a, b) => a.ms - b.ms)[1]!;

    const unsignedTags = unsignedRefs.length;
    const signedCosignTags = signedRefs.filter(([, tag]) => tag !== 'v0' && tag !== 'v1').length;
    // Scans of a subset pay a fixed cost (ping, catalog, one referrers probe) that is not per tag.
    const fixed = 3;
    const unsignedRepos = REPOS - signedRepos;
    const perUnsigned = (unsigned.stats.requests - fixed - unsignedRepos) / unsignedTags;
    const perUnsignedAmortised = unsigned.stats.requests / unsignedTags;
    const perSigned = (signedOnly.stats.requests - fixed - signedRepos) / signedCosignTags;
    // The CLI's own start-up (node, oclif, parsers, ping, catalog) is paid once per run, not per
    // request: the marginal cost per request is measured against a run that matches no repository.
    const scanPerRequest = all.run.ms / all.stats.requests;
    const scanPerRequestCorrected = (all.run.ms - empty.run.ms) / (all.stats.requests - empty.stats.requests);
    const floorPerRequest = floor.ms / floor.requests;
    rows.push(
      `| registry: ${REPOS} repos x ${TAGS} tags (${refs.length} tags, ${all.targets} targets), ${signedRepos} signed repos | | |`,
      `| requests per unsigned tag (no referrers API): per tag / with tag lists and probes amortised | ${perUnsigned.toFixed(2)} / ${perUnsignedAmortised.toFixed(2)} | target <= 1.1 |`,
      `| requests per cosign-signed tag (tag lists excluded) | ${perSigned.toFixed(2)} | target <= 3.2 |`,
      `| full scan: wall time, requests, tags/s | ${all.run.ms.toFixed(0)} ms, ${all.stats.requests} req, ${((refs.length * 1000) / all.run.ms).toFixed(0)} tags/s | |`,
      `| HEAD floor: ${floor.requests} concurrent HEADs | ${floor.ms.toFixed(0)} ms | |`,
      `| scan time per request / floor time per request (raw; marginal, a no-match scan subtracted) | ${(scanPerRequest / floorPerRequest).toFixed(2)}x; ${(scanPerRequestCorrected / floorPerRequest).toFixed(2)}x | target <= 1.3x |`,
      `| peak RSS: full scan / one-tenth scan | ${all.run.peakRssMb.toFixed(0)} MB / ${tenth.run.peakRssMb.toFixed(0)} MB | target <= 300 MB, flat |`,
    );
  } finally {
    await reg.stop();
    await closeAgents();
  }
  return rows;
}

/**
 * Registry scale: many unsigned tags (each a distinct manifest sharing one config and layer per
 * repository, so pushing 10,000 stays cheap), scanned at one tenth and in full. Unsigned tags are the
 * common case in a fleet and the one whose request count must stay at one per tag.
 */
async function scaleBench(): Promise<string[]> {
  const total = Number(process.env.BENCH_SCALE_TAGS ?? 10_000);
  const repos = 100;
  const perRepo = Math.max(1, Math.round(total / repos));
  const reg = await startRegistry();
  try {
    const push = pLimit(16);
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: repos }, async (_, r) => {
        const repo = `scale/r${String(r).padStart(3, '0')}`;
        const layer = await pushBlob(reg, repo, tarOneFile('seed.txt', `${repo}\n`));
        const config = await pushBlob(
          reg,
          repo,
          JSON.stringify({
            architecture: 'amd64',
            os: 'linux',
            rootfs: { type: 'layers', diff_ids: [layer.digest] },
          }),
        );
        await Promise.all(
          Array.from({ length: perRepo }, (_, t) =>
            push(() =>
              pushManifest(
                reg,
                repo,
                `v${t}`,
                JSON.stringify({
                  schemaVersion: 2,
                  mediaType: OCI_MANIFEST,
                  config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
                  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
                  annotations: { 'bench.tag': `${repo}:v${t}` },
                }),
                OCI_MANIFEST,
              ),
            ),
          ),
        );
      }),
    );
    const pushMs = Number(process.hrtime.bigint() - started) / 1e6;
    const tenth = await scan(reg, ['--repos', 'scale/r00*']);
    const full = await scan(reg, []);
    const tenthTags = tenth.targets;
    const fullTags = full.targets;
    const row = (name: string, r: Awaited<ReturnType<typeof scan>>) =>
      `| ${name}: ${r.targets} tags: wall time, tags/s, requests per tag, peak RSS | ${r.run.ms.toFixed(0)} ms, ${((r.targets * 1000) / r.run.ms).toFixed(0)} tags/s, ${(r.stats.requests / r.targets).toFixed(2)}, ${r.run.peakRssMb.toFixed(0)} MB | |`;
    return [
      `| registry scale: ${repos * perRepo} unsigned tags in ${repos} repositories (pushed in ${(pushMs / 1000).toFixed(0)} s) | | |`,
      row('one tenth', tenth),
      row('full', full),
      `| full / one tenth: tags; time; peak RSS | ${(fullTags / tenthTags).toFixed(1)}x; ${(full.run.ms / tenth.run.ms).toFixed(1)}x; ${(full.run.peakRssMb / tenth.run.peakRssMb).toFixed(2)}x | time linear (<= tags ratio), RSS flat (target <= 300 MB) |`,
    ];
  } finally {
    await reg.stop();
    await closeAgents();
  }
}

/** Bytes that differ per file, so that no two files share an image hash or a signature. */
function filler(bytes: number): Buffer {
  return randomBytes(bytes);
}

/**
 * A tree of distinct, really signed files of realistic sizes among noise: PEs from mingw-w64 padded to
 * 64 KiB-1 MiB and signed by osslsigncode with an RFC 3161 timestamp; JARs of 20-200 entries signed by
 * jarsigner; half of each unsigned. Every signature is different (no parse cache can help), and the
 * scan gets the roots, so each one is verified down to its anchor, as a user would run it.
 */
async function buildTree(
  work: string,
): Promise<{ tree: string; jars: string[]; pes: string[]; roots: string[] }> {
  const tree = join(work, 'tree');
  const pki = await makeTestPki(await mkdtemp(join(work, 'pki-')));
  const tinyPe = await compileTinyPe(await mkdtemp(join(work, 'pe-')));
  const keyDir = await mkdtemp(join(work, 'jarkey-'));
  const keystore = join(keyDir, 'keystore.p12');
  genKey(keystore, { alias: 'bench', keyalg: 'RSA', dname: 'CN=Sigscan Bench JAR Signer,O=Sigscan Bench' });
  const jarRoot = exportCertPem(keystore, 'bench', join(keyDir, 'jar-signer.pem'));
  const jars: string[] = [];
  const pes: string[] = [];
  const candidates = Math.round(FILES * 0.4);
  const tools = pLimit(2);
  const work2: Array<Promise<void>> = [];
  for (let i = 0; i < FILES; i++) {
    const dir = join(tree, `d${i % 20}`);
    await mkdir(dir, { recursive: true });
    const signed = i % 2 === 1;
    if (i < candidates / 2) {
      const path = join(dir, `lib${i}.jar`);
      const entries = 20 + ((i * 37) % 180);
      const files: Record<string, Uint8Array> = {};
      for (let e = 0; e < entries; e++)
        files[`com/example/lib${i}/C${e}.class`] = filler(512 + ((e * 131) % 8192));
      makeJar(path, files);
      jars.push(path);
      if (signed) signJar(path, { keystore, alias: 'bench' });
    } else if (i < candidates) {
      const path = join(dir, `tool${i}.exe`);
      const unsigned = join(dir, `tool${i}.unsigned`);
      // Overlay bytes make each image (and so each signed hash) unique and give a realistic size.
      await writeFile(
        unsigned,
        Buffer.concat([await readFile(tinyPe), filler(64 * 1024 + ((i * 7919) % (960 * 1024)))]),
      );
      pes.push(path);
      work2.push(
        tools(async () => {
          if (signed) await makeSignedPe(pki, unsigned, path, { timestampUnixTime: 1_767_225_600 });
          else await copyFile(unsigned, path);
          await rm(unsigned);
        }),
      );
    } else {
      await writeFile(join(dir, `noise${i}.bin`), randomBytes(16 * 1024));
    }
  }
  await Promise.all(work2);
  return { tree, jars, pes, roots: [pki.caPem, jarRoot] };
}

async function fsBench(work: string): Promise<string[]> {
  const { tree, jars, pes, roots } = await buildTree(work);
  const args = [
    'fs',
    tree,
    '-o',
    'json',
    '--concurrency',
    String(CONCURRENCY),
    ...roots.flatMap((r) => ['--trust-root', r]),
  ];
  const scanRun = median([
    { run: await runCli(args, true) },
    { run: await runCli(args) },
    { run: await runCli(args) },
  ]).run;
  // The same scan on the main thread alone (--jobs 1) beside the default pool (one worker per core).
  const jobsN = defaultJobs();
  const oneRun = median([
    { run: await runCli([...args, '--jobs', '1']) },
    { run: await runCli([...args, '--jobs', '1']) },
    { run: await runCli([...args, '--jobs', '1']) },
  ]).run;
  const loadDuringScans = loadavg()[0]!;
  // Untimed, with -v: files and certificate-chain cache hits per thread (each worker has its own caches).
  const perThread = (await runCli([...args, '-v'])).stderr
    .split('\n')
    .filter((l) => l.startsWith('--jobs '))
    .map((l) =>
      l
        .replace(/^--jobs /, '')
        .replace(/chain path cache hits/, 'path')
        .replace(/signature check cache hits/, 'signature'),
    )
    .join('; ');
  const doc = JSON.parse(scanRun.stdout) as {
    targets: Array<{ signatures: Array<{ verdict: { status: string } }> }>;
  };
  const verdicts = doc.targets.flatMap((t) => t.signatures.map((s) => s.verdict.status));
  const verified = verdicts.filter((v) => v === 'verified').length;
  // The same command on an empty directory: process start-up and module loads, paid once per run.
  const empty = await mkdtemp(join(work, 'empty-'));
  const emptyArgs = ['fs', empty, '-o', 'json', ...roots.flatMap((r) => ['--trust-root', r])];
  const emptyRun = median([
    { run: await runCli(emptyArgs) },
    { run: await runCli(emptyArgs) },
    { run: await runCli(emptyArgs) },
  ]).run;

  // Floor: read and SHA-256 every candidate file, in a fresh node process like the scan.
  const floorScript = `const fs=require('fs'),c=require('crypto');const files=JSON.parse(process.argv[1]);for(const f of files){c.createHash('sha256').update(fs.readFileSync(f)).digest('hex')}`;
  const list = JSON.stringify([...jars, ...pes]);
  const floorOnce = () => {
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, ['-e', floorScript, list]);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const floorMs = [floorOnce(), floorOnce(), floorOnce()].sort((a, b) => a - b)[1]!;
  const nodeMs = await timeCommand(process.execPath, ['-e', '0'], 5);

  // Reference tools, per file, on a sample.
  const sample = 5;
  const jarsignerMs =
    (
      await Promise.all(jars.slice(0, sample).map(async (j) => timeCommand('jarsigner', ['-verify', j], 1)))
    ).reduce((a, b) => a + b, 0) / sample;
  const osslMs =
    (
      await Promise.all(
        pes
          .slice(0, sample)
          .map(async (p) =>
            timeCommand(
              'sh',
              ['-c', `osslsigncode verify -CAfile "${roots[0]}" -in "${p}" >/dev/null 2>&1 || true`],
              1,
            ),
          ),
      )
    ).reduce((a, b) => a + b, 0) / sample;
  const toolsTotal = jarsignerMs * jars.length + osslMs * pes.length;
  // The JARs alone, for the per-JAR figure issue #14 sets a target for (jarsigner is a JVM start per file).
  const jarTree = await mkdtemp(join(work, 'jars-'));
  for (const [i, j] of jars.entries()) await copyFile(j, join(jarTree, `${i}.jar`));
  const jarArgs = ['fs', jarTree, '-o', 'json', '--trust-root', roots[1]!];
  const jarRun = median([
    { run: await runCli(jarArgs) },
    { run: await runCli(jarArgs) },
    { run: await runCli(jarArgs) },
  ]).run;
  const bytes = (await Promise.all([...jars, ...pes].map(async (f) => (await readFile(f)).length))).reduce(
    (a, b) => a + b,
    0,
  );
  const scanWork = scanRun.ms - emptyRun.ms;
  const floorWork = floorMs - nodeMs;
  return [
    `| fs: ${FILES} files (${jars.length} JARs, ${pes.length} PEs, half of each signed, every signature distinct; the rest noise), ${(bytes / 1e6).toFixed(0)} MB of candidates, ${doc.targets.length} targets, ${verified} of ${verdicts.length} signatures verified | | |`,
    `| fs scan wall time; MB/s and files/s | ${scanRun.ms.toFixed(0)} ms; ${(bytes / 1e6 / (scanRun.ms / 1000)).toFixed(1)} MB/s, ${((FILES * 1000) / scanRun.ms).toFixed(0)} files/s | |`,
    `| read+SHA-256 floor (same candidate files, fresh node) | ${floorMs.toFixed(0)} ms | |`,
    `| scan / floor: whole processes; start-up (empty tree ${emptyRun.ms.toFixed(0)} ms, node -e 0 ${nodeMs.toFixed(0)} ms) subtracted from each | ${(scanRun.ms / floorMs).toFixed(2)}x; ${(scanWork / floorWork).toFixed(2)}x | target <= 2x |`,
    `| per-file tools (jarsigner -verify ${jarsignerMs.toFixed(0)} ms, osslsigncode verify ${osslMs.toFixed(0)} ms per file) / scan | ${(toolsTotal / scanRun.ms).toFixed(0)}x faster | target >= 50x |`,
    `| JARs alone: ${jars.length} JARs, sigscan whole process ${jarRun.ms.toFixed(0)} ms (CPU ${jarRun.cpuMs.toFixed(0)} ms) = ${(jarRun.ms / jars.length).toFixed(1)} ms per JAR (${((jarRun.ms - emptyRun.ms) / jars.length).toFixed(1)} ms with start-up subtracted); jarsigner -verify ${jarsignerMs.toFixed(0)} ms per JAR | ${((jarsignerMs * jars.length) / jarRun.ms).toFixed(0)}x faster (${((jarsignerMs * jars.length) / (jarRun.ms - emptyRun.ms)).toFixed(0)}x start-up subtracted) | target >= 50x |`,
    `| fs scan peak RSS | ${scanRun.peakRssMb.toFixed(0)} MB | |`,
    `| fs --jobs 1 vs --jobs ${jobsN} (default, ${availableParallelism()} cores; 1-min load average ${loadDuringScans.toFixed(1)}): wall time; scan / floor, start-up subtracted | ${oneRun.ms.toFixed(0)} ms vs ${scanRun.ms.toFixed(0)} ms = ${(oneRun.ms / scanRun.ms).toFixed(2)}x faster; ${((oneRun.ms - emptyRun.ms) / floorWork).toFixed(2)}x vs ${(scanWork / floorWork).toFixed(2)}x | target <= 2x |`,
    `| fs --jobs ${jobsN} peak RSS (main thread + workers) vs --jobs 1 | ${scanRun.peakRssMb.toFixed(0)} MB vs ${oneRun.peakRssMb.toFixed(0)} MB | |`,
    `| fs --jobs ${jobsN} per thread: files; chain cache hits (path searches, signature checks) | ${perThread || 'no worker started'} | |`,
  ];
}

/** The vendor-signed PEs of the test set: Debian's signed EFI binaries, npm's signtool.exe, the signify corpus. */
function realPes(): string[] {
  const dirs = [
    join(PROJECT_ROOT, '.cache', 'vendor'),
    join(PROJECT_ROOT, '..', 'shared', 'corpus', 'authenticode', 'signify'),
  ];
  return dirs
    .filter((d) => existsSync(d))
    .flatMap((d) =>
      readdirSync(d)
        .filter((n) => /\.(exe|dll|sys|efi\.signed)$/.test(n))
        .map((n) => join(d, n)),
    );
}

/** The bench set scripts/fetch-bench-files.sh gathers: every file it kept is a signed PE (kernels have no suffix). */
function benchPes(): string[] {
  const dir = join(PROJECT_ROOT, '.cache', 'bench-vendor');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name))
    .sort();
}

interface Timed {
  ms: number;
  cpuMs: number;
}

/**
 * `command "$file"` once per file in one shell loop under GNU time: what a user of a per-file tool pays,
 * without a node spawn per file. CPU is the shell's and its children's.
 */
function perFileLoop(files: string[], command: string): Promise<Timed> {
  const loop = `for f do ${command} "$f" >/dev/null 2>&1; done`;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'CPU_S=%U+%S', 'sh', '-c', loop, 'sh', ...files]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', () =>
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: cpuOf(stderr) }),
    );
  });
}

/**
 * Runs every case once per round, `rounds` rounds, so that load which comes and goes falls on all of them
 * alike; returns each case's run with the median wall time.
 */
async function interleaved<C extends Record<string, () => Promise<Timed>>>(
  rounds: number,
  cases: C,
): Promise<{ [K in keyof C]: Awaited<ReturnType<C[K]>> }> {
  const keys = Object.keys(cases);
  const all = new Map<string, Timed[]>(keys.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const k of keys) all.get(k)!.push(await cases[k]!());
  return Object.fromEntries(
    keys.map((k) => [k, [...all.get(k)!].sort((a, b) => a.ms - b.ms)[Math.floor(rounds / 2)]!]),
  ) as { [K in keyof C]: Awaited<ReturnType<C[K]>> };
}

const ratio = (a: Timed, b: Timed) => `${(a.ms / b.ms).toFixed(2)}x / ${(a.cpuMs / b.cpuMs).toFixed(2)}x`;
const wallCpu = (t: Timed) => `${t.ms.toFixed(0)} / ${t.cpuMs.toFixed(0)} ms`;

/** Trees already made, so that the --jobs line reuses the real-file section's copy of the bench set. */
const trees = new Map<string, string>();

/** Copies `files` into a fresh tree `copies` times over (copy i in its own folder), so the scan sees only them. */
async function treeOf(work: string, files: string[], copies = 1): Promise<string> {
  const key = `${copies}\0${files.join('\0')}`;
  const made = trees.get(key);
  if (made) return made;
  const tree = await mkdtemp(join(work, 'real-'));
  trees.set(key, tree);
  for (let c = 0; c < copies; c++) {
    const dir = copies === 1 ? tree : join(tree, `copy${c}`);
    await mkdir(dir, { recursive: true });
    for (const [i, p] of files.entries()) await copyFile(p, join(dir, `${i}-${p.split('/').pop()!}`));
  }
  return tree;
}

/**
 * One real-file set: the whole sigscan process (--jobs 1 and the default pool) against osslsigncode verify
 * and sbverify --list run once per file, medians of three interleaved rounds, wall and CPU time.
 */
async function realSetRows(work: string, label: string, files: string[]): Promise<string[]> {
  const tree = await treeOf(work, files);
  const args = ['fs', tree, '-o', 'json'];
  const jobsN = defaultJobs();
  const t = await interleaved(3, {
    one: () => runCli([...args, '--jobs', '1']),
    pool: () => runCli(args),
    ossl: () => perFileLoop(files, 'osslsigncode verify -ignore-cdp -ignore-crl -in'),
    sb: () => perFileLoop(files, 'sbverify --list'),
  });
  const doc = JSON.parse(t.one.stdout) as {
    targets: Array<{ signatures: Array<{ verdict: { status: string } }> }>;
  };
  const statuses = new Map<string, number>();
  for (const s of doc.targets.flatMap((x) => x.signatures))
    statuses.set(s.verdict.status, (statuses.get(s.verdict.status) ?? 0) + 1);
  const verdicts = [...statuses].map(([k, n]) => `${n} ${k}`).join(', ');
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
  const { one, pool } = t;
  return [
    `| real files, ${label}: ${files.length} vendor-signed PEs, ${(bytes / 1e6).toFixed(0)} MB, ${doc.targets.length} targets, ${statuses.size ? verdicts : 'no'} signatures (no trust roots) | | |`,
    `| osslsigncode verify once per file; sbverify --list once per file (lists, does not verify): wall / CPU | ${wallCpu(t.ossl)}; ${wallCpu(t.sb)} | |`,
    `| sigscan --jobs 1; --jobs ${jobsN} (default): wall / CPU, peak RSS | ${wallCpu(one)}, ${one.peakRssMb.toFixed(0)} MB; ${wallCpu(pool)}, ${pool.peakRssMb.toFixed(0)} MB | |`,
    `| sigscan whole process / osslsigncode once per file (wall / CPU): --jobs 1; --jobs ${jobsN} | ${ratio(one, t.ossl)}; ${ratio(pool, t.ossl)} | target <= 0.33x |`,
    `| sigscan whole process / sbverify --list once per file (wall / CPU): --jobs 1; --jobs ${jobsN} | ${ratio(one, t.sb)}; ${ratio(pool, t.sb)} | |`,
  ];
}

/**
 * What a second core does: --jobs 1 against --jobs 2 on the bench set, repeated BENCH_JOBS_REPEAT times
 * (default 1; copies repeat signatures, so per-worker certificate caches hit more often than on distinct files).
 */
async function jobsRows(work: string, files: string[]): Promise<string[]> {
  const copies = Math.max(1, Number(process.env.BENCH_JOBS_REPEAT ?? 1));
  const tree = await treeOf(work, files, copies);
  const args = ['fs', tree, '-o', 'json'];
  const t = await interleaved(3, {
    one: () => runCli([...args, '--jobs', '1']),
    two: () => runCli([...args, '--jobs', '2']),
  });
  const load = loadavg()[0]!;
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0) * copies;
  return [
    `| --jobs 1 vs --jobs 2 on ${files.length * copies} real PEs (${(bytes / 1e6).toFixed(0)} MB; ${availableParallelism()} cores, 1-min load ${load.toFixed(1)}): wall / CPU | ${wallCpu(t.one)} vs ${wallCpu(t.two)}: --jobs 2 ${(t.one.ms / t.two.ms).toFixed(2)}x as fast, ${(t.two.cpuMs / t.one.cpuMs).toFixed(2)}x the CPU | faster with a second core |`,
  ];
}

async function realFileBench(work: string): Promise<string[]> {
  const testSet = realPes();
  const benchSet = benchPes();
  const rows: string[] = [];
  if (testSet.length === 0)
    rows.push('| real files: no test-set PEs (.cache/vendor, ../shared/corpus) | | |');
  else rows.push(...(await realSetRows(work, 'test set (.cache/vendor + shared corpus)', testSet)));
  if (benchSet.length === 0) {
    rows.push(
      '| real files: no bench set (run scripts/fetch-bench-files.sh to fetch it into .cache/bench-vendor) | | |',
    );
  } else {
    rows.push(...(await realSetRows(work, 'bench set (.cache/bench-vendor)', benchSet)));
    rows.push(...(await jobsRows(work, benchSet)));
  }
  const nodeMs = await timeCommand(process.execPath, ['-e', '0'], 5);
  const one = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe');
  const oneMs = await timeCommand(process.execPath, [CLI, 'fs', one, '-o', 'json'], 7);
  return [
    ...rows,
    `| startup: sigscan fs one-signed.exe / node -e 0 | ${oneMs.toFixed(0)} ms / ${nodeMs.toFixed(0)} ms = ${(oneMs / nodeMs).toFixed(2)}x | target <= 3x + work |`,
    ...(await largeFileBench()),
  ];
}

/** The files test/integration/large-files.test.ts caches: peak RSS and time against sha256sum of the same bytes. */
async function largeFileBench(): Promise<string[]> {
  const cache = join(PROJECT_ROOT, '.cache', 'large-files');
  const files = [
    { path: join(cache, 'big-signed.exe'), root: join(cache, 'pki', 'ca.pem') },
    { path: join(cache, 'jar', 'big-signed.jar'), root: join(cache, 'jar', 'signer.pem') },
  ].filter((f) => existsSync(f.path));
  if (files.length === 0) {
    return ['| large files: none cached (run test/integration/large-files.test.ts once to make them) | | |'];
  }
  const rows: string[] = [];
  for (const f of files) {
    const size = statSync(f.path).size;
    const scanRun = await runCli(['fs', f.path, '-o', 'json', '--trust-root', f.root]);
    const doc = JSON.parse(scanRun.stdout) as {
      targets: Array<{ signatures: Array<{ verdict: { status: string } }> }>;
    };
    const verdicts = doc.targets.flatMap((t) => t.signatures.map((s) => s.verdict.status)).join(', ');
    const floorMs = await timeCommand('sha256sum', [f.path], 3);
    rows.push(
      `| large file ${f.path.split('/').pop()} (${(size / 2 ** 20).toFixed(0)} MiB; ${verdicts}): peak RSS; time / sha256sum ${floorMs.toFixed(0)} ms | ${scanRun.peakRssMb.toFixed(0)} MB; ${scanRun.ms.toFixed(0)} ms = ${(scanRun.ms / floorMs).toFixed(2)}x | RSS <= 300 MB flat |`,
    );
  }
  return rows;
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  const work = await mkdtemp(join(tmpdir(), 'sigscan-bench-'));
  try {
    const version = await timeCommand(process.execPath, [CLI, '--version'], 7);
    const node = await timeCommand(process.execPath, ['-e', '0'], 7);
    const rows = [
      '| measure | value | target |',
      '|---|---|---|',
      `| startup: sigscan --version / node -e 0 | ${version.toFixed(0)} ms / ${node.toFixed(0)} ms = ${(version / node).toFixed(2)}x | target <= 3x |`,
      ...(ONLY && ONLY !== 'registry' ? [] : await registryBench(work)),
      ...(ONLY && ONLY !== 'fs' ? [] : await fsBench(work)),
      ...(ONLY && ONLY !== 'real' ? [] : await realFileBench(work)),
      ...(ONLY && ONLY !== 'scale' ? [] : await scaleBench()),
    ];
    const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const text = [
      '# sigscan benchmark',
      '',
      `Run: ${new Date().toISOString()} on ${machine}; load average at the end ${load}; concurrency ${CONCURRENCY}. Produced by \`npm run bench\`;`,
      'every figure is a ratio to a floor measured in the same run.',
      '',
      ...rows,
      '',
    ].join('\n');
    process.stdout.write(`${text}\n`);
    if (!ONLY) {
      await mkdir(join(PROJECT_ROOT, 'reports'), { recursive: true });
      await writeFile(OUT, text);
    }
  } finally {
    if (process.env.BENCH_KEEP === '1') console.error(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

await main();
