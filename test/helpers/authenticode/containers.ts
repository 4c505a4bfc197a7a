import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Detector } from '../../../src/detectors/detector.js';
import { sha256Hex } from '../../../src/formats/der.js';
import type { Evidence, FileFormat, FileTarget, Verdict } from '../../../src/model/index.js';
import { loadTrustConfig, type TrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { silentLogger } from '../../../src/util/logger.js';
import {
  fixtureNow,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type SignOptions,
  type TestPki,
} from '../pe/signed-pe.js';

/**
 * The Authenticode containers other than PE (MSI, CAB, catalogs, scripts) share the PE verdicts: one matrix
 * of real signatures made by osslsigncode, each verdict asserted beside osslsigncode's own.
 */

export interface Outcome {
  evidence: Evidence;
  verdict: Verdict;
}

export function fileTargetOf(path: string, bytes: Uint8Array, format: FileFormat): FileTarget {
  return { kind: 'file', path, size: bytes.length, digest: `sha256:${sha256Hex(bytes)}`, format };
}

export async function detectWith(detector: Detector, path: string, format: FileFormat): Promise<Evidence[]> {
  const bytes = new Uint8Array(readFileSync(path));
  const out: Evidence[] = [];
  const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
  for await (const e of detector.detect(fileTargetOf(path, bytes, format), ctx)) out.push(e);
  return out;
}

export async function evaluateWith(
  detector: Detector,
  path: string,
  format: FileFormat,
  cfg: TrustConfig,
): Promise<Outcome[]> {
  const bytes = new Uint8Array(readFileSync(path));
  const evaluator = new TrustEvaluator(cfg);
  const out: Outcome[] = [];
  for (const evidence of await detectWith(detector, path, format)) {
    out.push({ evidence, verdict: await evaluator.evaluate(evidence, fileTargetOf(path, bytes, format)) });
  }
  return out;
}

export async function trustConfig(opts: {
  roots?: string[];
  tsaRoots?: string[];
  at?: number;
}): Promise<TrustConfig> {
  return loadTrustConfig({
    trustRoot: opts.roots ?? [],
    tsaRoot: opts.tsaRoots ?? [],
    at: opts.at === undefined ? undefined : new Date(opts.at * 1000).toISOString(),
  });
}

export interface ContainerMatrix {
  /** `msi`, `cab`, ...: names the describe block and the temp dir. */
  format: FileFormat;
  detector: Detector;
  /** File extension the signed files get (osslsigncode picks the format by it for scripts). */
  extension: string;
  /** Writes an unsigned file of this format into `dir` and returns its path. */
  makeUnsigned(dir: string): Promise<string>;
  /** One byte of signed content changed, in place; the signature itself untouched. */
  tamper(bytes: Uint8Array): Uint8Array;
  /** osslsigncode options for this format (e.g. -add-msi-dse). */
  signOptions?: SignOptions;
  /** The verdict code for `tamper`'s output: the SIP hash's, or the CMS digest's for a catalog. */
  tamperCode?: 'IMAGE_HASH_MISMATCH' | 'CMS_DIGEST_MISMATCH' | 'APPX_DIGEST_MISMATCH';
  /** False for catalogs: osslsigncode does not nest their signatures, and they have no SIP hash. */
  sipFormat?: boolean;
}

/**
 * valid, tampered, wrong root, expired with and without timestamp, nested, unsigned: ours beside
 * osslsigncode's for each. Returns the fixtures for further format-specific tests.
 */
export function containerMatrix(m: ContainerMatrix): { fixtures: () => MatrixFixtures } {
  const state = {} as MatrixFixtures;
  // From the day's fixture clock, not Date.now(): the stamped signature and osslsigncode's answers at `later`
  // are cached for the day, and must be the same in every run.
  let now = 0;
  let later = 0;

  // File level: the format's own tests use the same fixtures after this block.
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), `sigscan-${m.format}-`));
    state.dir = dir;
    now = await fixtureNow();
    // The test certificates live 365 days; two years on they have expired.
    later = now + 2 * 365 * 86400;
    state.pki = await makeTestPki(dir);
    mkdirSync(join(dir, 'other'));
    state.other = await makeTestPki(join(dir, 'other'));
    state.unsigned = await m.makeUnsigned(dir);
    const sign = (input: string, name: string, o: SignOptions = {}) =>
      makeSignedPe(state.pki, input, join(dir, `${name}${m.extension}`), { ...m.signOptions, ...o });
    state.signed = await sign(state.unsigned, 'signed');
    state.stamped = await sign(state.unsigned, 'stamped', { timestampUnixTime: now + 3600 });
    if (m.sipFormat !== false) {
      state.nested = await sign(state.signed, 'nested', { nest: true, hash: 'sha512', signer: 'ec' });
    }
    state.tampered = join(dir, `tampered${m.extension}`);
    writeFileSync(state.tampered, m.tamper(new Uint8Array(readFileSync(state.signed))));
    state.sign = sign;
  }, 60_000);
  afterAll(() => rmSync(state.dir, { recursive: true, force: true }));

  describe(`${m.format}: the shared Authenticode verdicts, beside osslsigncode`, () => {
    interface Case {
      name: string;
      file: () => string;
      root: 'own' | 'other';
      tsaRoot?: 'own';
      at?: 'later';
      status: string;
      code: string;
    }
    const cases: Case[] = [
      { name: 'valid', file: () => state.signed, root: 'own', status: 'verified', code: 'CHAIN_VALID' },
      {
        name: 'one byte of content changed',
        file: () => state.tampered,
        root: 'own',
        status: 'invalid',
        code: m.tamperCode ?? 'IMAGE_HASH_MISMATCH',
      },
      {
        name: 'wrong root (same DN, other key)',
        file: () => state.signed,
        root: 'other',
        status: 'untrusted',
        code: 'CERT_BAD_SIGNATURE',
      },
      {
        name: 'expired, no timestamp',
        file: () => state.signed,
        root: 'own',
        at: 'later',
        status: 'untrusted',
        code: 'CERT_EXPIRED',
      },
      {
        name: 'expired, timestamp inside validity',
        file: () => state.stamped,
        root: 'own',
        tsaRoot: 'own',
        at: 'later',
        status: 'verified',
        code: 'CHAIN_VALID',
      },
    ];

    it.each(cases)('$name', async (c) => {
      const caFile = c.root === 'own' ? state.pki.caPem : state.other.caPem;
      const tsaCaFile = c.tsaRoot ? state.pki.caPem : undefined;
      const at = c.at === 'later' ? later : undefined;
      const tool = await osslsigncodeVerifyWith(c.file(), { caFile, tsaCaFile, time: at });
      const cfg = await trustConfig({ roots: [caFile], tsaRoots: tsaCaFile ? [tsaCaFile] : [], at });
      const outcomes = await evaluateWith(m.detector, c.file(), m.format, cfg);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]!.verdict, outcomes[0]!.verdict.message).toMatchObject({
        status: c.status,
        code: c.code,
      });
      expect(outcomes[0]!.evidence.family).toBe('authenticode');
      expect(outcomes[0]!.verdict.status === 'verified', tool.output).toBe(tool.passed);
    });

    it('the timestamp is reported as the countersigner', async () => {
      const [o] = await evaluateWith(m.detector, state.stamped, m.format, await trustConfig({}));
      expect(o!.evidence.countersigner?.time).toBe(new Date((now + 3600) * 1000).toISOString());
      expect(o!.evidence.countersigner?.subject).toContain('Sigscan Test TSA');
    });

    // Not declared for catalogs (no SIP hash; osslsigncode cannot nest their signatures), never skipped.
    (m.sipFormat !== false ? it : () => undefined)(
      'nested signatures are verified one by one (SHA-256 RSA primary, SHA-512 EC nested)',
      async () => {
        const tool = await osslsigncodeVerifyWith(state.nested, { caFile: state.pki.caPem });
        const outcomes = await evaluateWith(
          m.detector,
          state.nested,
          m.format,
          await trustConfig({ roots: [state.pki.caPem] }),
        );
        expect(outcomes.map((o) => [o.evidence.digestAlgorithm, o.verdict.status])).toEqual([
          ['SHA-256', 'verified'],
          ['SHA-512', 'verified'],
        ]);
        expect(outcomes[1]!.evidence.location).toBe(`${outcomes[0]!.evidence.location}/nested[0]`);
        expect(tool.passed, tool.output).toBe(true);
        expect(tool.output).toContain('Number of verified signatures: 2');
      },
    );

    it('unsigned: no evidence, and osslsigncode finds no signature either', async () => {
      expect(await detectWith(m.detector, state.unsigned, m.format)).toEqual([]);
      const tool = await osslsigncodeVerifyWith(state.unsigned, { caFile: state.pki.caPem });
      expect(tool.passed).toBe(false);
    });

    (m.sipFormat !== false ? it : () => undefined)(
      "our hash is osslsigncode's calculated digest",
      async () => {
        const tool = await osslsigncodeVerifyWith(state.signed, { caFile: state.pki.caPem });
        const [e] = await detectWith(m.detector, state.signed, m.format);
        const calculated = /Calculated (?:message digest|DigitalSignature)\s*: ([0-9A-F]+)/.exec(
          tool.output,
        )?.[1];
        expect(e!.details?.['imageHash']).toBe(calculated?.toLowerCase());
      },
    );
  });
  return { fixtures: () => state };
}

export interface MatrixFixtures {
  dir: string;
  pki: TestPki;
  other: TestPki;
  unsigned: string;
  signed: string;
  stamped: string;
  nested: string;
  tampered: string;
  sign(input: string, name: string, o?: SignOptions): Promise<string>;
}
