import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { inTotoDetector } from '../../../src/detectors/in-toto.js';
import type { Evidence, FileTarget, Verdict } from '../../../src/model/index.js';
import { loadTrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { silentLogger } from '../../../src/util/logger.js';

/**
 * Runs the in-toto detector on a file and the trust evaluator on what it found, as a scan would.
 * `layoutKeys` are `--in-toto-layout-key` files; `opts.keys` are `--key` (cosign) files, which must
 * never sign a layout.
 */
export async function inTotoVerdict(
  path: string,
  layoutKeys: string[],
  at?: string,
  opts: { keys?: string[] } = {},
): Promise<{ verdict: Verdict; evidence: Evidence }> {
  const bytes = new Uint8Array(readFileSync(path));
  const target: FileTarget = {
    kind: 'file',
    path,
    size: bytes.length,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    format: 'in-toto',
  };
  const found: Evidence[] = [];
  for await (const e of inTotoDetector.detect(target, {
    file: { absolutePath: path, bytes },
    limits: DEFAULT_LIMITS,
    log: silentLogger,
  }))
    found.push(e);
  if (found.length !== 1) throw new Error(`expected one in-toto evidence for ${path}, got ${found.length}`);
  const config = await loadTrustConfig({
    inTotoLayoutKey: layoutKeys,
    key: opts.keys ?? [],
    at,
    tufCache: 'none',
  });
  const evidence = found[0]!;
  return { verdict: await new TrustEvaluator(config).evaluate(evidence, target), evidence };
}
