import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

import { buildDirOnceSync, cachedFixtureDir } from './fixture-cache.js';
import { PROJECT_ROOT } from './tools.js';

/**
 * One run of a reference tool (osslsigncode, sbsign, msibuild...), made once per UTC day for the exact bytes it is
 * given and saved with what it printed and wrote, under .cache/test-fixtures/<recipe>/<key>-<day>/. Stryker
 * reruns a test file's hooks and tests for every mutant they cover; a tool start costs tens to hundreds of
 * milliseconds on a loaded machine, and the test files of the Authenticode set made hundreds of them per run.
 *
 * The key is the content of every input (file bytes, not paths: the tests copy fixtures to temp dirs) and every
 * option, so a cached answer is the tool's answer for exactly these inputs, and a test still compares sigscan's
 * live verdict with it. Inputs must be reproducible across runs for the cache to hit (day-cached PKIs, signatures
 * that come from this cache themselves, a day clock instead of Date.now()).
 */
export type KeyPart = string | number | undefined | { file: string };

export function answerKey(parts: readonly KeyPart[]): string {
  const h = createHash('sha256');
  for (const part of parts) {
    const bytes =
      typeof part === 'object'
        ? existsSync(part.file)
          ? readFileSync(part.file)
          : Buffer.from('\0missing')
        : Buffer.from(part === undefined ? '\0undefined' : `s:${String(part)}`);
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(bytes.length));
    h.update(len).update(bytes);
  }
  return h.digest('hex').slice(0, 40);
}

/** The cache dir of one tool run keyed by `parts`; `build` runs the tool into it the first time of the day. */
export function cachedToolRun(
  recipe: string,
  parts: readonly KeyPart[],
  build: (dir: string) => Promise<unknown>,
): Promise<string> {
  return cachedFixtureDir(join(recipe, answerKey(parts)), build);
}

export interface ToolAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Saves a process's answer as answer.json in a cachedToolRun build dir. */
export function answerFile(dir: string): string {
  return join(dir, 'answer.json');
}

export function readAnswer(dir: string): ToolAnswer {
  return JSON.parse(readFileSync(answerFile(dir), 'utf8')) as ToolAnswer;
}

/** cachedToolRun for synchronous builders (zip, execFileSync): the same key scheme and cache place. */
export function cachedToolRunSync(
  recipe: string,
  parts: readonly KeyPart[],
  build: (dir: string) => void,
): string {
  const day = new Date().toISOString().slice(0, 10);
  return buildDirOnceSync(
    join(PROJECT_ROOT, '.cache', 'test-fixtures', recipe, `${answerKey(parts)}-${day}`),
    build,
  );
}

/**
 * `cmd args` run once a day for the same arguments and the same input files, where the arguments name files in
 * `dir` (a test's temp dir) by absolute path: the run happens in a cache dir holding copies of the inputs (the
 * files of `dir` that the arguments name and that exist), and every other file it leaves there is copied back into
 * `dir`, with its answer. For a test that drives a tool command by command in a temp dir (openssl req, cms...):
 * a key made by an earlier cached run has the same bytes all day, so the runs after it hit too. Throws when the
 * command fails and `check` is not false.
 */
export function cachedRunInDirSync(
  recipe: string,
  cmd: string,
  dir: string,
  args: readonly string[],
  check = true,
): ToolAnswer {
  const named = new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([^\\s:,]+)`, 'g');
  const names = new Set<string>();
  for (const arg of args) for (const m of arg.matchAll(named)) names.add(m[1]!);
  const inputs = [...names].filter((n) => existsSync(join(dir, n)) && statSync(join(dir, n)).isFile()).sort();
  // Files outside `dir` (a PKI's key and certificate) are read where they are, and keyed by their content.
  const outside = args.filter(
    (a) => isAbsolute(a) && !a.startsWith(`${dir}/`) && existsSync(a) && statSync(a).isFile(),
  );
  const built = cachedToolRunSync(
    recipe,
    [
      cmd,
      JSON.stringify(args.map((a) => (outside.includes(a) ? '<file>' : a.split(dir).join('@')))),
      ...outside.map((file) => ({ file })),
      ...inputs.flatMap((n) => [n, { file: join(dir, n) }]),
    ],
    (d) => {
      for (const n of inputs) {
        mkdirSync(dirname(join(d, n)), { recursive: true });
        copyFileSync(join(dir, n), join(d, n));
      }
      const result = spawnSync(
        cmd,
        args.map((a) => a.split(dir).join(d)),
        { cwd: d, encoding: 'utf8' },
      );
      if (result.error) throw result.error;
      const answer: ToolAnswer = {
        exitCode: result.status ?? -1,
        stdout: result.stdout,
        stderr: result.stderr,
      };
      writeFileSync(answerFile(d), JSON.stringify(answer));
    },
  );
  for (const f of readdirSync(built, { recursive: true, encoding: 'utf8' })) {
    if (!statSync(join(built, f)).isFile()) continue;
    if (f === 'done' || f === 'answer.json') continue;
    // Not an input the tool left as it was: `dir` may be a shared cache that others read meanwhile. An output
    // that overwrote an existing file (`-out` to a name used before) is an input that changed: copied back.
    const here = join(dir, f);
    if (inputs.includes(f) && readFileSync(here).equals(readFileSync(join(built, f)))) continue;
    mkdirSync(dirname(here), { recursive: true });
    copyFileSync(join(built, f), here);
  }
  const answer = readAnswer(built);
  if (check && answer.exitCode !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${answer.exitCode}\n${answer.stderr}`);
  }
  return answer;
}
