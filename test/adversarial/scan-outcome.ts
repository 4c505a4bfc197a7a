import type { TargetResult } from '../../src/model/index.js';
import { outcomeOf, type Outcome } from './corpus.js';

/** A scanned target's outcome: its signatures' verdicts, else its first error, else unsigned. */
export function scanOutcome(result: TargetResult | undefined, pick?: (location: string) => boolean): Outcome {
  if (!result) {
    return { status: 'unsigned', code: 'NOT_A_TARGET', message: 'the scan reported no such target', all: [] };
  }
  if (result.signatures.length === 0 && result.errors.length > 0) {
    const e = result.errors[0]!;
    return { status: 'error', code: e.code, message: e.message, all: [] };
  }
  return outcomeOf(
    result.signatures.map((s) => ({ location: s.evidence.location, ...s.verdict })),
    pick,
  );
}
