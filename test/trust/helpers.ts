import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';

import { authenticodeDetector } from '../../src/detectors/authenticode.js';
import { jarDetector } from '../../src/detectors/jar.js';
import { sha256Hex, toArrayBuffer } from '../../src/formats/der.js';
import type { Evidence, FileTarget, Verdict } from '../../src/model/index.js';
import { loadTrustConfig, type TrustConfig } from '../../src/trust/config.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

/** The instant expected.json states time-dependent verdicts for. */
export const CORPUS_AT = '2026-11-21T00:00:00Z';

export interface CorpusArtifact {
  id: string;
  kind: string;
  files: Record<string, string>;
  expected: { verifies: boolean | null; trustRoot?: string[]; reason: string };
  notes?: string[];
}

export function corpusArtifacts(kind: 'signed-jar' | 'authenticode-pe'): CorpusArtifact[] {
  const doc = JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as {
    artifacts: CorpusArtifact[];
  };
  return doc.artifacts.filter((a) => a.kind === kind);
}

/** The loadable trust files of an artifact (keystore.jks is not: the corpus ships .pem twins). */
export function corpusRoots(a: CorpusArtifact): string[] {
  return (a.expected.trustRoot ?? [])
    .filter((p) => p.endsWith('.pem') || p.endsWith('.crt'))
    .map((p) => join(CORPUS_DIR, p));
}

export function fileTarget(path: string, bytes: Uint8Array, format: 'jar' | 'pe'): FileTarget {
  return { kind: 'file', path, size: bytes.length, digest: `sha256:${sha256Hex(bytes)}`, format };
}

export async function detectFile(path: string, format: 'jar' | 'pe'): Promise<Evidence[]> {
  const bytes = new Uint8Array(readFileSync(path));
  const detector = format === 'jar' ? jarDetector : authenticodeDetector;
  const out: Evidence[] = [];
  const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
  for await (const e of detector.detect(fileTarget(path, bytes, format), ctx)) out.push(e);
  return out;
}

export interface ScanOutcome {
  evidence: Evidence;
  verdict: Verdict;
}

/** detector → TrustEvaluator, as a scan does it. */
export async function evaluateFile(
  path: string,
  format: 'jar' | 'pe',
  config: TrustConfig,
): Promise<ScanOutcome[]> {
  const bytes = new Uint8Array(readFileSync(path));
  const evaluator = new TrustEvaluator(config);
  const out: ScanOutcome[] = [];
  for (const evidence of await detectFile(path, format)) {
    out.push({ evidence, verdict: await evaluator.evaluate(evidence, fileTarget(path, bytes, format)) });
  }
  return out;
}

export async function config(opts: {
  roots?: string[];
  tsaRoots?: string[];
  at?: string;
}): Promise<TrustConfig> {
  return loadTrustConfig({ trustRoot: opts.roots ?? [], tsaRoot: opts.tsaRoots ?? [], at: opts.at });
}

/** The same CMS ContentInfo with its certificate set emptied: the signer certificate is then missing. */
export function withoutCertificates(contentInfoDer: Uint8Array): Uint8Array {
  const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(contentInfoDer));
  const sd = new pkijs.SignedData({ schema: ci.content });
  sd.certificates = undefined;
  const out = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) });
  return new Uint8Array(out.toSchema().toBER());
}

export const isVerified = (v: Verdict): boolean => v.status === 'verified';
