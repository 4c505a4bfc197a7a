import { FS_MANIFEST } from '../commands/fs-manifest.js';
import { runFs, type ParsedFs } from '../commands/fs-run.js';
import type { CommandErrors } from '../commands/scan-command.js';
import { stopQuietlyOnEpipe } from './epipe.js';
import { parseFsArgv } from './fs-argv.js';

/**
 * `sigscan fs DIR... [flags]`, the common run, without oclif: loading @oclif/core, Config.load and the
 * command dispatch were a quarter of a one-file scan's CPU time. The command line is read from plain data
 * (commands/fs-manifest.ts, checked against the oclif flags) by a parser that gives what oclif's parser
 * gives or nothing (cli/fs-argv.ts), and the run is the oclif command's own function (commands/fs-run.ts).
 * Whatever this path does not take, it leaves to runCli untouched: help, `--debug`, `--config`, oclif's
 * DEBUG logging, a missing working directory (oclif warns), and every command line the parser is not
 * sure of, errors included, so that oclif writes each such message and exit code itself. oclif's error
 * module loads only when the run fails, to fail exactly as runCli does.
 *
 * Returns false, having done nothing, when the run is runCli's.
 */
export async function runFsFast(argv: string[]): Promise<boolean> {
  if (!takesFastPath(argv)) return false;
  const parsed = parseFsArgv(argv.slice(1), FS_MANIFEST);
  if (!parsed) return false;
  stopQuietlyOnEpipe();
  const command: CommandErrors = {
    error(message, options) {
      throw new CommandFailure(message, options);
    },
  };
  try {
    await runFs(command, parsed as ParsedFs);
    await flushStdout();
  } catch (err) {
    const { commandError, fail } = await import('./failure.js');
    fail(
      err instanceof CommandFailure ? commandError(err.message, err.options) : err,
      undefined,
      argv,
      false,
    );
  }
  return true;
}

/** Command.error's arguments, made into oclif's CLIError once oclif is loaded (see runFsFast). */
class CommandFailure extends Error {
  constructor(
    message: string,
    readonly options: { exit?: number; code?: string },
  ) {
    super(message);
  }
}

/** oclif's flush() after a run: stdout drained, or `timed out` after 10 s, as runCli has it. */
async function flushStdout(): Promise<void> {
  if (process.stdout.write('')) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise((resolve) => process.stdout.once('drain', resolve)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new CommandFailure('timed out', {})), 10_000);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a run may be the fast path's: `fs` with none of the tokens and settings that runCli, oclif's
 * run or @oclif/core's loading treat specially.
 */
export function takesFastPath(argv: string[]): boolean {
  if (argv[0] !== 'fs' || process.env.DEBUG || process.env.SIGSCAN_DEBUG === '1') return false;
  for (const a of argv)
    if (a === '--help' || a === '-h' || a === '--debug' || a === '--config' || a.startsWith('--config='))
      return false;
  try {
    process.cwd();
  } catch {
    return false;
  }
  return true;
}
