import type { DetectContext, Detector } from '../detectors/detector.js';
import { SigscanError } from '../errors.js';
import type { Evidence, Target, Verdict, VerdictStatus } from '../model/index.js';
import type { TrustConfig } from '../trust/config.js';
import type { FamilyVerifiers } from '../trust/verifier.js';
import { verificationError } from '../trust/verdicts.js';
import type { LoadedFamily, LoadedPlugin } from './load.js';

/**
 * Plugins are code the user chose to run, but a buggy or hanging one must not stop the scan or hide
 * another family's results: each call is bounded in time, its throws become error entries on the
 * target (detection) or `error` verdicts (verification), and what it returns is checked for shape.
 */

const STATUSES: readonly VerdictStatus[] = ['verified', 'invalid', 'untrusted', 'unverified', 'error'];

export function pluginDetectors(plugins: readonly LoadedPlugin[]): Detector[] {
  return plugins.flatMap((p) => p.families.map((f) => containedDetector(p, f)));
}

export function pluginVerifiers(plugins: readonly LoadedPlugin[], trust: TrustConfig): FamilyVerifiers {
  const out: Record<string, FamilyVerifiers[keyof FamilyVerifiers]> = {};
  for (const p of plugins)
    for (const f of p.families) {
      out[f.spec.family] = async (evidence, target, ctx) => {
        let verdict: Verdict;
        try {
          verdict = await withTimeout(
            f.spec.verify(evidence, target, { now: ctx.now, options: f.options, trust }),
            f.timeoutMs,
            () => timeoutError(p, f, 'verification'),
          );
        } catch (err) {
          const e = err instanceof SigscanError ? err : pluginError(p, f, 'verification', err);
          verdict = verificationError(e.code, e.message);
        }
        if (!verdict || !STATUSES.includes(verdict.status) || typeof verdict.code !== 'string')
          verdict = verificationError(
            'PLUGIN_ERROR',
            `${p.name}: ${f.spec.family} returned no valid verdict`,
          );
        return f.by ? { ...verdict, by: f.by } : verdict;
      };
    }
  return out as FamilyVerifiers;
}

function containedDetector(p: LoadedPlugin, f: LoadedFamily): Detector {
  return {
    name: p.builtin ? p.name : `plugin:${p.module}`,
    family: f.spec.family as Detector['family'],
    applies(target: Target): boolean {
      try {
        return f.spec.detector.applies(target) === true;
      } catch {
        // A throwing applies() would otherwise end the whole target's detection.
        return false;
      }
    },
    detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
      return bounded(p, f, () => f.spec.detector.detect(target, { ...ctx, options: f.options }));
    },
  };
}

/** The plugin's iterator, with one time budget for the whole target and typed errors. */
async function* bounded(
  p: LoadedPlugin,
  f: LoadedFamily,
  start: () => AsyncIterable<Evidence>,
): AsyncIterable<Evidence> {
  const deadline = Date.now() + f.timeoutMs;
  let iterator: AsyncIterator<Evidence>;
  try {
    iterator = start()[Symbol.asyncIterator]();
  } catch (err) {
    throw pluginError(p, f, 'detection', err);
  }
  for (;;) {
    let step: IteratorResult<Evidence>;
    try {
      step = await withTimeout(iterator.next(), deadline - Date.now(), () => timeoutError(p, f, 'detection'));
    } catch (err) {
      // Let a hanging generator go: return() may never settle either.
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
      throw err instanceof SigscanError ? err : pluginError(p, f, 'detection', err);
    }
    if (step.done) return;
    const evidence = step.value;
    if (!evidence || evidence.family !== f.spec.family || typeof evidence.location !== 'string')
      throw new SigscanError(
        'PLUGIN_ERROR',
        `${p.name}: ${f.spec.family} detection yielded evidence without its family or a location`,
      );
    yield { ...evidence, signer: evidence.signer ?? {} };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function timeoutError(p: LoadedPlugin, f: LoadedFamily, stage: string): SigscanError {
  return new SigscanError(
    'PLUGIN_TIMEOUT',
    `${p.name}: ${f.spec.family} ${stage} took longer than ${f.timeoutMs / 1000} s (--plugin-timeout)`,
  );
}

function pluginError(p: LoadedPlugin, f: LoadedFamily, stage: string, err: unknown): SigscanError {
  const message = err instanceof Error ? err.message : String(err);
  return new SigscanError('PLUGIN_ERROR', `${p.name}: ${f.spec.family} ${stage} failed: ${message}`, {
    cause: err,
  });
}
