import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { Config, Errors, Plugin, flush, run, type Command, type Interfaces } from '@oclif/core';

import { COMMAND_LOADERS } from '../commands/loaders.js';
import { expandConfigFile, type FlagShape } from './config-file.js';
import { EXIT_USAGE, commandOf, fail, stopQuietlyOnEpipe } from './failure.js';
import { nearest } from './suggest.js';

/**
 * The process entry point. oclif parses and dispatches; this wrapper owns what a user sees when that
 * goes wrong: one line `sigscan: <message>` on stderr, a documented exit code, a "did you mean" for a
 * mistyped command or flag, and a stack trace only with `--debug`. It also accepts `sigscan help [cmd]`,
 * which oclif leaves to a plugin we do not ship.
 */
export async function runCli(
  argv: string[],
  entry: string,
  opts: { pjson?: Interfaces.PJSON } = {},
): Promise<void> {
  const debug = argv.includes('--debug') || process.env.SIGSCAN_DEBUG === '1';
  let args = argv.filter((a) => a !== '--debug');
  if (args[0] === 'help') args = [...args.slice(1), '--help'];
  stopQuietlyOnEpipe();
  let config: Config | undefined;
  try {
    config = await loadConfig(entry, await commandTable(args), opts.pjson);
    const unknown = unknownCommand(config, args);
    if (unknown) throw unknown;
    const command = commandOf(config, args);
    if (command?.flags.config) {
      const words = command.id.split(':').length;
      args = [
        ...args.slice(0, words),
        ...(await expandConfigFile(args.slice(words), command.flags as Record<string, FlagShape>)),
      ];
    }
    await run(args, config);
    await flush();
  } catch (err) {
    fail(err, config, args, debug);
  }
}

/**
 * oclif's configuration with the command table handed over directly. oclif would otherwise find the
 * commands by importing `dist/commands/index.js` from disk, which a single-file bundle (`npm run
 * build:bin`) does not have; the checkout and the bundle run the same code this way.
 */
async function loadConfig(
  entry: string,
  commands: Record<string, Command.Class>,
  pjson?: Interfaces.PJSON,
): Promise<Config> {
  const root = dirname(dirname(entry));
  pjson ??= JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON;
  const plugin = new Plugin({ root, pjson, isRoot: true });
  // oclif reads its explicit command target through this cache before importing anything.
  (plugin as unknown as { commandCache: typeof commands }).commandCache = commands;
  await plugin.load();
  return Config.load({ root, pjson, plugins: new Map([[plugin.name, plugin]]) });
}

/**
 * The commands oclif is given: only the one the first words name (`fs`, `report diff`), since importing
 * them all is a good part of start-up; the whole table when the words name none (help, completion, a
 * typo that wants a "did you mean"), so listings and suggestions stay complete.
 */
export async function commandTable(args: string[]): Promise<Record<string, Command.Class>> {
  const pair = args.length > 1 ? `${args[0]}:${args[1]}` : undefined;
  const id = pair !== undefined && Object.hasOwn(COMMAND_LOADERS, pair) ? pair : args[0];
  if (id !== undefined && Object.hasOwn(COMMAND_LOADERS, id)) return { [id]: await COMMAND_LOADERS[id]!() };
  return (await import('../commands/index.js')).COMMANDS;
}

/** A first word that is neither a command, a topic, nor a flag. */
function unknownCommand(config: Config, args: string[]): Errors.CLIError | undefined {
  const id = args[0];
  if (id === undefined || id.startsWith('-')) return undefined;
  // Topics use spaces in our CLI ("report diff"): join the first two words the way oclif does.
  if (config.findCommand(id)) return undefined;
  const sub = args[1] && !args[1].startsWith('-') ? args[1] : undefined;
  let typed = id;
  if (config.findTopic(id)) {
    if (!sub || config.findCommand(`${id}:${sub}`)) return undefined;
    typed = `${id} ${sub}`;
  }
  const names = config.commandIDs.map((c) => c.replaceAll(':', ' '));
  const guess = nearest(typed, names);
  return new Errors.CLIError(
    `unknown command "${typed}"${guess ? ` (did you mean "${guess}"?)` : ''}; see "sigscan help"`,
    { exit: EXIT_USAGE },
  );
}
