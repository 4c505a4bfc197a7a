import * as Errors from '@oclif/core/errors';
import type { Config } from '@oclif/core';

import { nearest } from './suggest.js';

/**
 * What a user sees when a run goes wrong: one line `sigscan: <message>` on stderr, a documented exit
 * code, a "did you mean" for a mistyped flag, and a stack trace only with `--debug`. Apart from run-cli.ts
 * so that the fs fast path (fast-path.ts) fails the same way without loading oclif's configuration.
 */

/** Exit codes as the README documents them. */
export const EXIT_USAGE = 2;
export const EXIT_INCOMPLETE = 3;

export { stopQuietlyOnEpipe } from './epipe.js';

/** What oclif's Command.error throws for these arguments (the fast path has no Command). */
export function commandError(message: string, options: { exit?: number; code?: string }): unknown {
  try {
    Errors.error(message, options);
  } catch (err) {
    return err;
  }
  return new Error(message);
}

export function fail(err: unknown, config: Config | undefined, args: string[], debug: boolean): never {
  if (err instanceof Errors.ExitError) process.exit(err.oclif.exit ?? 0);
  const { message, exit } = describe(err, config, args);
  process.stderr.write(`sigscan: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(exit);
}

export function describe(
  err: unknown,
  config: Config | undefined,
  args: string[],
): { message: string; exit: number } {
  if (err instanceof Errors.CLIError) {
    // oclif does not export its parse error classes; they are the CLIErrors that carry `parse`.
    const parse = 'parse' in err;
    const { flags, args: missing } = err as unknown as { flags?: unknown; args?: unknown };
    if (parse && Array.isArray(flags) && config)
      return { message: unknownFlags(flags.map(String), flagNames(config, args)), exit: EXIT_USAGE };
    if (parse && /^Missing \d+ required arg/.test(err.message) && Array.isArray(missing))
      return { message: missingArgs(missing as Array<{ name: string }>), exit: EXIT_USAGE };
    const exit = parse ? EXIT_USAGE : (err.oclif.exit ?? EXIT_INCOMPLETE);
    return { message: oneLine(err.message), exit: exit === 1 && parse ? EXIT_USAGE : exit };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const usage = code === 'USAGE';
    return {
      message: `${usage ? '' : 'unexpected error: '}${oneLine(err.message)}${usage ? '' : ' (run again with --debug for details)'}`,
      exit: usage ? EXIT_USAGE : EXIT_INCOMPLETE,
    };
  }
  return { message: `unexpected error: ${String(err)}`, exit: EXIT_INCOMPLETE };
}

/** oclif messages can span lines ("Missing 1 required arg:\nDIR ...\nSee more help with --help"). */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help with/.test(l))
    .join('; ');
}

function missingArgs(missing: Array<{ name: string; description?: string }>): string {
  const names = missing.map((a) => `${a.name.toUpperCase()}${a.description ? ` (${a.description})` : ''}`);
  return `missing argument ${names.join(', ')}; see --help`;
}

function unknownFlags(given: string[], known: string[]): string {
  const parts = given.map((flag) => {
    const guess = nearest(flag.replace(/=.*$/, ''), known);
    return `${flag}${guess ? ` (did you mean ${guess}?)` : ''}`;
  });
  return `unknown flag${given.length === 1 ? '' : 's'} ${parts.join(', ')}; see --help`;
}

/** The command the first one or two words name. */
export function commandOf(config: Config, args: string[]) {
  const id = args[1] && config.findCommand(`${args[0]}:${args[1]}`) ? `${args[0]}:${args[1]}` : args[0];
  return id && !id.startsWith('-') ? config.findCommand(id) : undefined;
}

/** `--long` and `-c` spellings of the flags the command in `args` accepts. */
function flagNames(config: Config, args: string[]): string[] {
  const names: string[] = [];
  for (const [name, flag] of Object.entries(commandOf(config, args)?.flags ?? {})) {
    names.push(`--${name}`);
    if (flag.char) names.push(`-${flag.char}`);
    if (flag.type === 'boolean' && flag.allowNo) names.push(`--no-${name}`);
  }
  return names;
}
