/**
 * `npx tsx scripts/bench-parse.ts [srcDir]`: warm milliseconds per signed PE (readPeAuthenticode, the
 * detector's evidence and the trust verdict) and per signed JAR (analyzeJar, evidence, verdict), as a
 * scan of many files from one vendor pays them. Not a test: figures depend on the machine.
 *
 * The per-file SignedData parse cache is cleared before every iteration, since a real tree holds a
 * different signature in every file; certificate and chain caches stay warm, since a vendor's files
 * share them. `srcDir` (default ./src) lets the same script time an older copy of the sources.
 * Environment: BENCH_ITERATIONS (default 200), BENCH_WARMUP (default 30), BENCH_JARS (extra signed JARs,
 * separated by `:`, e.g. a jarsigner-signed JAR with thousands of entries; verified against no root, so
 * their verdict is `untrusted`: the time is what matters).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = resolve(process.argv[2] ?? join(ROOT, 'src'));
const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 200);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 30);
const CORPUS = resolve(ROOT, '..', 'shared', 'corpus');

const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(join(SRC, rel)).href)) as T;

interface Case {
  name: string;
  path: string;
  format: 'pe' | 'jar';
  roots: string[];
  at: string;
}

const CASES: Case[] = [
  {
    name: 'fixtures/pe/hello-signed.exe',
    path: join(ROOT, 'fixtures/pe/hello-signed.exe'),
    format: 'pe',
    roots: [join(ROOT, 'fixtures/fixture-root-ca.pem')],
    at: '2026-11-21T00:00:00Z',
  },
  {
    name: 'fixtures/jar/hello-signed.jar',
    path: join(ROOT, 'fixtures/jar/hello-signed.jar'),
    format: 'jar',
    roots: [join(ROOT, 'fixtures/fixture-root-ca.pem')],
    at: '2026-11-21T00:00:00Z',
  },
  {
    name: 'corpus authenticode/signify/whois.exe',
    path: join(CORPUS, 'authenticode/signify/whois.exe'),
    format: 'pe',
    roots: [join(CORPUS, 'authenticode/trust/signify-legacy-certs.pem')],
    at: '2026-11-21T00:00:00Z',
  },
  {
    name: 'corpus authenticode/signify/sigcheck.exe (nested)',
    path: join(CORPUS, 'authenticode/signify/sigcheck.exe'),
    format: 'pe',
    roots: [join(CORPUS, 'authenticode/trust/signify-legacy-certs.pem')],
    at: '2026-11-21T00:00:00Z',
  },
  {
    name: 'corpus jar/equinox/signed_tsa.jar',
    path: join(CORPUS, 'jar/equinox/signed_tsa.jar'),
    format: 'jar',
    roots: [join(CORPUS, 'jar/equinox/ca1_root.pem'), join(CORPUS, 'jar/equinox/ca2_root.pem')],
    at: '2026-11-21T00:00:00Z',
  },
  ...(process.env['BENCH_JARS'] ?? '')
    .split(':')
    .filter(Boolean)
    .map((path) => ({
      name: path,
      path: resolve(path),
      format: 'jar' as const,
      roots: [join(ROOT, 'fixtures/fixture-root-ca.pem')],
      at: '2026-11-21T00:00:00Z',
    })),
];

type Detect = (target: unknown, ctx: unknown) => AsyncIterable<{ family: string; location: string }>;

async function main(): Promise<void> {
  const { authenticodeDetector } = await load<{ authenticodeDetector: { detect: Detect } }>(
    'detectors/authenticode.ts',
  );
  const { jarDetector } = await load<{ jarDetector: { detect: Detect } }>('detectors/jar.ts');
  const { loadTrustConfig } = await load<{
    loadTrustConfig: (o: { trustRoot: string[]; tsaRoot: string[]; at: string }) => Promise<unknown>;
  }>('trust/config.ts');
  const { TrustEvaluator } = await load<{
    TrustEvaluator: new (c: unknown) => { evaluate(e: unknown, t: unknown): Promise<{ status: string }> };
  }>('trust/evaluator.ts');
  const { DEFAULT_LIMITS } = await load<{ DEFAULT_LIMITS: unknown }>('util/limits.ts');
  const { silentLogger } = await load<{ silentLogger: unknown }>('util/logger.ts');
  const cms = await load<{
    clearSignedDataCache?: () => void;
    parseSignedData: (der: Uint8Array) => { signers: unknown[]; certificates: unknown[] };
    signerTimestamps: (signer: unknown, certificates: unknown[]) => unknown[];
  }>('formats/cms.ts');

  const jar = await load<{ analyzeJar: (b: Uint8Array, l: unknown) => Promise<unknown> }>(
    'formats/jar/index.ts',
  );

  console.log(`sources: ${SRC}; ${ITERATIONS} iterations after ${WARMUP} warm-up; node ${process.version}`);
  for (const c of CASES) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(c.path));
    } catch {
      console.log(`${c.name}: missing, skipped`);
      continue;
    }
    const evaluator = new TrustEvaluator(
      await loadTrustConfig({ trustRoot: c.roots, tsaRoot: c.roots, at: c.at }),
    );
    const target = {
      kind: 'file',
      path: c.path,
      size: bytes.length,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      format: c.format,
    };
    const detector = c.format === 'pe' ? authenticodeDetector : jarDetector;
    const ctx = { file: { absolutePath: c.path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
    let verdicts = '';
    const once = async (): Promise<void> => {
      cms.clearSignedDataCache?.();
      const out: string[] = [];
      for await (const e of detector.detect(target, ctx))
        out.push((await evaluator.evaluate(e, target)).status);
      verdicts = out.join(',');
    };
    for (let i = 0; i < WARMUP; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const t0 = process.hrtime.bigint();
      await once();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const floorT0 = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) createHash('sha256').update(bytes).digest();
    const floor = Number(process.hrtime.bigint() - floorT0) / 1e6 / ITERATIONS;
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(
      `${c.name} (${bytes.length} B): median ${median.toFixed(3)} ms, mean ${mean.toFixed(3)} ms ` +
        `per detect+verify [${verdicts}]; sha256 of the file ${floor.toFixed(3)} ms`,
    );
    if (c.format === 'jar') {
      // The ZIP and digest work alone: what a JAR costs before any signature block is looked at.
      const analyzeTimes: number[] = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const t0 = process.hrtime.bigint();
        await jar.analyzeJar(bytes, DEFAULT_LIMITS);
        if (i >= WARMUP) analyzeTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      analyzeTimes.sort((a, b) => a - b);
      console.log(
        `  analyzeJar only: median ${analyzeTimes[Math.floor(analyzeTimes.length / 2)]!.toFixed(3)} ms`,
      );
      // The signature block alone (what the ZIP reading around it does not dilute): the detector's CMS
      // parse and timestamp read, then the verdict from the evidence the detector produced.
      const evidence: Array<{ material?: { blockDer?: Uint8Array } }> = [];
      for await (const e of detector.detect(target, ctx)) evidence.push(e);
      const block = async (): Promise<void> => {
        cms.clearSignedDataCache?.();
        for (const e of evidence) {
          const info = cms.parseSignedData(e.material!.blockDer!);
          if (info.signers[0]) cms.signerTimestamps(info.signers[0], info.certificates);
          await evaluator.evaluate(e, target);
        }
      };
      for (let i = 0; i < WARMUP; i++) await block();
      const blockTimes: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const t0 = process.hrtime.bigint();
        await block();
        blockTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      blockTimes.sort((a, b) => a - b);
      console.log(
        `  signature block only (CMS parse + timestamps + verify): median ` +
          `${blockTimes[Math.floor(blockTimes.length / 2)]!.toFixed(3)} ms`,
      );
    }
  }
}

await main();
