/**
 * Fails when the last vitest run skipped a test that `.ci/skip-allowlist.json` does not list with a
 * reason. A skipped test passes silently, so a missing tool (in-toto-verify, cosign, jarsigner) would
 * otherwise turn a comparison against the reference implementation into no check at all.
 *
 *   tsx scripts/check-skips.ts [vitest-results.json] [allow-list.json]
 *
 * The allow-list is `[{ "file": "test/…", "test": "full test name", "reason": "why it may skip" }]`;
 * `test` may be "*" for every test of that file. Entries that match no skip are reported too (stale), so
 * the list cannot outlive the reason it was written for.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

interface AssertionResult {
  fullName: string;
  status: string;
}
interface VitestResults {
  testResults: Array<{ name: string; assertionResults: AssertionResult[] }>;
}
interface Allowed {
  file: string;
  test: string;
  reason: string;
}

const NOT_RUN = new Set(['skipped', 'pending', 'todo', 'disabled']);

export function unexpectedSkips(
  results: VitestResults,
  allowed: Allowed[],
  root: string,
): { skipped: string[]; unexpected: string[]; stale: Allowed[] } {
  for (const a of allowed) {
    if (!a.file || !a.test || !a.reason?.trim())
      throw new Error(`allow-list entry without file, test or reason: ${JSON.stringify(a)}`);
  }
  const used = new Set<Allowed>();
  const skipped: string[] = [];
  const unexpected: string[] = [];
  for (const file of results.testResults) {
    const rel = relative(root, file.name);
    for (const t of file.assertionResults) {
      if (!NOT_RUN.has(t.status)) continue;
      const id = `${rel} > ${t.fullName}`;
      skipped.push(id);
      const hit = allowed.find((a) => a.file === rel && (a.test === '*' || a.test === t.fullName));
      if (hit) used.add(hit);
      else unexpected.push(id);
    }
  }
  return { skipped, unexpected, stale: allowed.filter((a) => !used.has(a)) };
}

function main(): void {
  const root = process.cwd();
  const resultsPath = resolve(process.argv[2] ?? '.cache/vitest-results.json');
  const allowPath = resolve(process.argv[3] ?? '.ci/skip-allowlist.json');
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as VitestResults;
  const allowed = JSON.parse(readFileSync(allowPath, 'utf8')) as Allowed[];
  const { skipped, unexpected, stale } = unexpectedSkips(results, allowed, root);
  for (const s of stale)
    console.log(`allow-list entry matched no skipped test (remove it?): ${s.file} > ${s.test}`);
  if (unexpected.length > 0) {
    console.error(`${unexpected.length} test(s) skipped without an entry in ${relative(root, allowPath)}:`);
    for (const id of unexpected) console.error(`  ${id}`);
    process.exitCode = 1;
    return;
  }
  console.log(`${skipped.length} skipped test(s), all allow-listed`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main();
