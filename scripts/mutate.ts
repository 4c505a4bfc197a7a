/**
 * `npm run mutate [-- <stryker run args>]`: Stryker with its incremental state kept in git.
 *
 * The full scope costs hours from scratch on a 2-core machine (reports/mutation.md), and Stryker's incremental
 * file lives in git-ignored reports/mutation/, so every fresh clone started from scratch. This wrapper keeps a
 * gzipped copy of that file in git (reports/mutation-state.json.gz):
 * - before the run, when reports/mutation/incremental.json is missing, it is restored from the copy, so a
 *   fresh clone retests only the mutants whose code or covering tests changed since the copy was saved;
 * - after a run that ended normally, the copy is refreshed from the file Stryker wrote (commit it).
 *
 * What incremental reuse cannot see (Stryker's own rule): a change to a file that is neither mutated nor a
 * test file (test helpers, fixtures, a src file outside the scope, a dependency) leaves earlier results
 * standing. `npm run mutate -- --force` retests everything in the run's scope.
 *
 * Parts of the scope: `STRYKER_PART=<name> STRYKER_PART_MUTATE=<globs> npm run mutate -- scripts/stryker-part.config.mjs`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '..');
export const INCREMENTAL_FILE = join('reports', 'mutation', 'incremental.json');
export const STATE_FILE = join('reports', 'mutation-state.json.gz');

export class MutationStateError extends Error {
  readonly code = 'MUTATION_STATE_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MutationStateError';
  }
}

/** A Stryker incremental file (the mutation-testing-report schema): refuse anything else before it lands in git. */
function checkReport(text: string, what: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MutationStateError(`${what} is not JSON`, { cause });
  }
  const report = parsed as { schemaVersion?: unknown; files?: unknown; testFiles?: unknown };
  if (
    typeof report.schemaVersion !== 'string' ||
    typeof report.files !== 'object' ||
    report.files === null ||
    typeof report.testFiles !== 'object' ||
    report.testFiles === null
  ) {
    throw new MutationStateError(`${what} is not a Stryker report with test files`);
  }
}

/** Restores the incremental file from the committed copy when there is none; returns whether it did. */
export function restoreState(root: string): boolean {
  const incremental = join(root, INCREMENTAL_FILE);
  const state = join(root, STATE_FILE);
  if (existsSync(incremental) || !existsSync(state)) return false;
  const text = gunzipSync(readFileSync(state)).toString('utf8');
  checkReport(text, STATE_FILE);
  mkdirSync(dirname(incremental), { recursive: true });
  writeFileSync(incremental, text);
  return true;
}

/**
 * Refreshes the committed copy from the incremental file. gzip with Node's zlib writes no file name and a zero
 * mtime, so the same state always gives the same bytes, and git sees a change only when results changed.
 */
export function saveState(root: string): boolean {
  const incremental = join(root, INCREMENTAL_FILE);
  if (!existsSync(incremental)) return false;
  const text = readFileSync(incremental, 'utf8');
  checkReport(text, INCREMENTAL_FILE);
  const bytes = gzipSync(text, { level: 9 });
  const state = join(root, STATE_FILE);
  if (existsSync(state) && readFileSync(state).equals(bytes)) return false;
  writeFileSync(state, bytes);
  return true;
}

function main(args: string[]): number {
  if (restoreState(ROOT)) console.error(`mutate: restored ${INCREMENTAL_FILE} from ${STATE_FILE}`);
  const stryker = join(ROOT, 'node_modules', '.bin', 'stryker');
  const run = spawnSync(stryker, ['run', ...args], { cwd: ROOT, stdio: 'inherit' });
  if (run.error) throw run.error;
  const status = run.status ?? 1;
  // A run stopped by a signal or failing before its report leaves Stryker's file as it was; saving it again
  // would change nothing, and saving a half-written one must not happen.
  if (status === 0 && saveState(ROOT)) console.error(`mutate: saved ${STATE_FILE} (commit it)`);
  return status;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
