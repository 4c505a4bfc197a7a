import type { VerdictStatus } from '../../src/model/index.js';

/**
 * The adversarial corpus (issue #11): every case is an input made by the real signing tool and then
 * attacked (byte surgery, a swapped part, or a wrong trust input), with the verdict sigscan must give.
 * Each family module (jar.ts, pe.ts, cosign.ts, notation.ts, blob.ts) builds its inputs once and
 * evaluates them; corpus.test.ts asserts the whole corpus. See README.md here for the case groups.
 */

export type Family = 'jar' | 'pe' | 'cosign' | 'notation' | 'blob';

export interface AdversarialCase {
  /** `<family>-<short name>`, unique across the corpus. */
  id: string;
  family: Family;
  /** The attack (or, for a control, what is left untouched), in one line. */
  attack: string;
  /**
   * `invalid`/`untrusted` for attacks; `error` (the file cannot be read, so nothing is reported as signed)
   * or `unsigned` (no signature is read at all) where noted; `verified` for controls only.
   */
  status: VerdictStatus | 'unsigned';
  /** The verdict code, or the small documented set of codes any of which is right. */
  code: string | readonly string[];
  /** A positive control: the untouched signed input, which must verify. */
  control?: boolean;
  /**
   * The reference verifier's verdict on the same input (true = accepts), where it runs offline:
   * jarsigner -verify -strict for JAR, osslsigncode verify for PE, cosign verify[-blob] for cosign.
   */
  oracle?: boolean;
}

/** What sigscan said about one case: the verdict of the signature the case is about. */
export interface Outcome {
  status: VerdictStatus | 'unsigned';
  code: string;
  message: string;
  /** Every signature's verdict on the target, so a `verified` anywhere is seen. */
  all: Array<{ location: string; status: string; code: string }>;
  /** The reference verifier's verdict, when the case names one. */
  oracle?: boolean;
}

export interface FamilyCorpus {
  family: Family;
  cases: AdversarialCase[];
  /** Evaluates every case (inputs already built); keyed by case id. */
  outcomes: Map<string, Outcome>;
}

/** Builds an Outcome from a target's signature verdicts: the first one, or the one whose location matches. */
export function outcomeOf(
  verdicts: Array<{ location: string; status: string; code: string; message: string }>,
  pick?: (location: string) => boolean,
): Outcome {
  const chosen = pick ? verdicts.find((v) => pick(v.location)) : verdicts[0];
  const all = verdicts.map(({ location, status, code }) => ({ location, status, code }));
  if (!chosen) return { status: 'unsigned', code: 'NO_SIGNATURE', message: 'no signature found', all };
  return { status: chosen.status as VerdictStatus, code: chosen.code, message: chosen.message, all };
}

/** Small builder so each family lists its cases as a table. */
export function caseList(family: Family) {
  const cases: AdversarialCase[] = [];
  const add = (c: Omit<AdversarialCase, 'family'>): AdversarialCase => {
    const full = { family, ...c };
    if (cases.some((x) => x.id === full.id)) throw new Error(`duplicate case id ${full.id}`);
    cases.push(full);
    return full;
  };
  return { cases, add };
}
