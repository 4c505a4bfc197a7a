// @ts-check
// The full scope in two parts, each with its own report, so that a part that finishes keeps its results
// when the other is stopped (Stryker writes its report and incremental file only when a run ends):
//   STRYKER_PART=trust npx stryker run scripts/stryker-part.config.mjs     # src/trust/**
//   STRYKER_PART=formats npx stryker run scripts/stryker-part.config.mjs   # the rest of the scope
// Both run the whole Stryker test set (unlike stryker-focus.config.mjs), so their scores are the full run's;
// `tsx scripts/mutation-summary.ts reports/mutation/part-trust.json reports/mutation/part-formats.json`
// tabulates them together.
// Any other part: STRYKER_PART=<name> STRYKER_PART_MUTATE=<glob>,<glob> (e.g. a group of the scope, small
// enough to finish in one sitting), with the base's exclusions, and its own report under the same names.
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
  incrementalFile: `reports/mutation/part-${part}.incremental.json`,
  jsonReporter: { fileName: `reports/mutation/part-${part}.json` },
  htmlReporter: { fileName: `reports/mutation/part-${part}.html` },
};
