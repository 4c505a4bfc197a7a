// @ts-check
// The full scope in parts, each run on its own, so that a machine too small to run the whole scope in one
// sitting still measures all of it:
//   STRYKER_PART=trust npm run mutate -- scripts/stryker-part.config.mjs     # src/trust/**
//   STRYKER_PART=formats npm run mutate -- scripts/stryker-part.config.mjs   # the rest of the scope
//   STRYKER_PART=<name> STRYKER_PART_MUTATE=<glob>,<glob> npm run mutate -- scripts/stryker-part.config.mjs
//                                                 # any group, e.g. one that finishes in half an hour
// (`npm run mutate` restores the incremental file from git and saves it back: scripts/mutate.ts.)
// Every part runs the whole Stryker test set (unlike stryker-focus.config.mjs), so its scores are the full
// run's. All parts share the base's incremental file: Stryker carries the results of mutants outside a run's
// `mutate` over into the file it writes (IncrementalDiffer, "old mutants that didn't run this time around
// aren't forgotten"), so the parts accumulate there, and `npm run mutate` afterwards reuses every result whose
// code and covering tests did not change. Run parts one after another, never two at once: each rewrites the
// file when it ends. Each part's own report (HTML, JSON) goes to reports/mutation/part-<name>.*, and holds the
// accumulated results too; `tsx scripts/mutation-summary.ts reports/mutation/part-<name>.json` tabulates it.
import process from 'node:process';

import base from '../stryker.config.mjs';

const part = process.env.STRYKER_PART;
const trust = 'src/trust/**/*.ts';
const rest = base.mutate.filter((glob) => glob !== trust);
if (!base.mutate.includes(trust)) throw new Error(`stryker.config.mjs no longer mutates ${trust}`);
// The trust part keeps the base's exclusions (`!…` globs) too.
const exclusions = base.mutate.filter((glob) => glob.startsWith('!'));
const listed = (process.env.STRYKER_PART_MUTATE ?? '').split(',').filter(Boolean);
const mutate = listed.length
  ? [...listed, ...exclusions]
  : { trust: [trust, ...exclusions], formats: rest }[part ?? ''];
if (!mutate || !part || !/^[\w.-]+$/.test(part)) {
  throw new Error('set STRYKER_PART to trust or formats, or to a name with STRYKER_PART_MUTATE');
}

export default {
  ...base,
  mutate,
  jsonReporter: { fileName: `reports/mutation/part-${part}.json` },
  htmlReporter: { fileName: `reports/mutation/part-${part}.html` },
};
