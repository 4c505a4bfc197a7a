import { stat } from 'node:fs/promises';

import type { OutputFormat } from '../report/formats.js';
import { loadTrustConfig, type TrustInput } from '../trust/config.js';
import { stderrLogger } from '../util/logger.js';
import type { ScanReport } from './report-model.js';
import { runFsScan, runImagesScan, type RegistryAccess } from './run.js';
import { artifactOutcomes, renderOutcomeLines } from './verify.js';

export interface VerifyPlan {
  artifacts: string[];
  trust: TrustInput;
  access: RegistryAccess;
  format: OutputFormat;
  concurrency: number;
  verbose: boolean;
  color: boolean;
}

/** File names a user hands to verify; a missing one is a missing file, not an image on Docker Hub. */
const FILE_LIKE = /^(\.{0,2}\/|~)|\.(jar|war|ear|apk|exe|dll|sys|efi|msi|cab|cat|ps1|sig|bundle|json)$/i;

/** Files on disk (or named like files) are scanned as files; everything else is an image reference. */
export async function classifyArtifact(arg: string): Promise<'file' | 'image'> {
  try {
    await stat(arg);
    return 'file';
  } catch {
    return FILE_LIKE.test(arg) ? 'file' : 'image';
  }
}

export async function runVerify(
  plan: VerifyPlan,
): Promise<{ text: string; passed: boolean; report: ScanReport }> {
  const trust = await loadTrustConfig(plan.trust);
  const inputs = await Promise.all(
    plan.artifacts.map(async (input) => ({ input, kind: await classifyArtifact(input) })),
  );
  const files = inputs.filter((i) => i.kind === 'file').map((i) => i.input);
  const images = inputs.filter((i) => i.kind === 'image').map((i) => i.input);
  const common = { trust, concurrency: plan.concurrency, log: stderrLogger(plan.verbose) };
  const startedAt = new Date();
  const parts: ScanReport[] = [];
  if (files.length) parts.push(await runFsScan({ ...common, roots: files }));
  if (images.length) parts.push(await runImagesScan({ ...common, ...plan.access, images }));
  const report: ScanReport = {
    command: 'verify',
    inputs: plan.artifacts,
    startedAt,
    finishedAt: new Date(),
    results: parts.flatMap((p) => p.results),
    scanErrors: parts.flatMap((p) => p.scanErrors),
    filesSkipped: parts.reduce((n, p) => n + (p.filesSkipped ?? 0), 0),
  };
  const outcomes = artifactOutcomes(inputs, report);
  const passed = outcomes.every((o) => o.passed) && report.scanErrors.length === 0;
  let text: string;
  if (plan.format === 'pretty') {
    text = renderOutcomeLines(outcomes, { color: plan.color });
    for (const e of report.scanErrors) text += `error: ${e.source ? `${e.source}: ` : ''}${e.message}\n`;
  } else {
    const { render } = await import('../report/index.js');
    text = render(report, plan.format, { cwd: process.cwd() });
  }
  return { text, passed, report };
}
