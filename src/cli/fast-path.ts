import * as Errors from '@oclif/core/errors';
import { flush } from '@oclif/core/flush';
import { parse } from '@oclif/core/parser';

import { FS_ARGS, FS_FLAGS, FS_STRICT, runFs } from '../commands/fs-core.js';
import type { CommandErrors } from '../commands/scan-command.js';
import { fail, stopQuietlyOnEpipe } from './failure.js';

/**
 * `sigscan fs DIR... [flags]`, the common run, without oclif's configuration: loading all of @oclif/core,
 * Config.load and the command dispatch cost about a quarter of such a run's start-up. What the user sees
 * is oclif's own: the same parser (`@oclif/core/parser`) reads the same flag and argument definitions
 * (commands/fs-core.ts), with the input oclif's Command.parse gives it, and the run is the same function.
 * Whatever this path does not take, it leaves to runCli untouched: help, `--debug`, `--config`, oclif's
 * DEBUG logging, a missing working directory (oclif warns), and every command line the parser rejects,
 * so that oclif writes each such message and exit code itself.
 *
 * Returns false, having done nothing, when the run is runCli's.
 */
export async function runFsFast(argv: string[]): Promise<boolean> {
  if (!takesFastPath(argv)) return false;
  const command: CommandErrors = { error: Errors.error };
  let parsed: Awaited<ReturnType<typeof parseFs>>;
  try {
    parsed = await parseFs(argv.slice(1), command);
  } catch {
    // oclif parses it again and reports the error its own way (parsing reads nothing but argv here).
    return false;
  }
  stopQuietlyOnEpipe();
  try {
    await runFs(command, parsed);
    await flush();
  } catch (err) {
    fail(err, undefined, argv, false);
  }
  return true;
}

type ParserContext = NonNullable<Parameters<typeof parse>[1]['context']>;

/**
 * Command.parse's input to the parser: the class's flags, args and strictness, the command as context.
 * The parser hands the context only to the flags' and args' own parse functions, and oclif's (all fs has)
 * ignore it: a command-like object with `error` stands in for the Command instance.
 */
export function parseFs(args: string[], context: CommandErrors) {
  return parse(args, {
    flags: FS_FLAGS,
    args: FS_ARGS,
    strict: FS_STRICT,
    context: context as ParserContext,
  });
}

/**
 * Whether a run is the fast path's: `fs` with none of the tokens and settings that runCli, oclif's run or
 * @oclif/core's loading treat specially.
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
