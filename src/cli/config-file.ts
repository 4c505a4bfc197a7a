import { readFile } from 'node:fs/promises';

import { SigscanError } from '../errors.js';

/** What the expansion needs to know of a command's flags (oclif's flag definitions fit). */
export interface FlagShape {
  type: 'boolean' | 'option';
  char?: string;
  multiple?: boolean;
  allowNo?: boolean;
}

/**
 * Sections a config file may group its settings under; they are flattened, so `trust: {key: a.pub}`
 * and `key: a.pub` mean the same. `trust:` is the historical form.
 */
const SECTIONS = new Set(['trust', 'target', 'registry', 'output', 'limits']);

/** Plural spellings a config file reads better with: `plugins: [a.js]` is `--plugin a.js`. */
const ALIASES: Record<string, string> = { plugins: 'plugin', 'plugin-opts': 'plugin-opt' };

/** `certificateIdentity` -> `certificate-identity`: the config file takes either spelling. */
const kebab = (name: string) => {
  const k = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return ALIASES[k] ?? k;
};

/**
 * `--config FILE` for every flag: the file's settings become command-line flags, so that one parser
 * (oclif's) validates them, with the same names, types and value checks. Single-valued settings yield
 * to the command line; list settings are joined with it (a team's roots in the file, one more on the
 * command line). A setting the command does not have is a usage error naming it.
 *
 * Returns argv with `--config FILE` replaced by the settings, placed before any `--`.
 */
export async function expandConfigFile(argv: string[], flags: Record<string, FlagShape>): Promise<string[]> {
  const end = argv.indexOf('--') < 0 ? argv.length : argv.indexOf('--');
  const head = argv.slice(0, end);
  const tail = argv.slice(end);
  let path: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < head.length; i++) {
    const a = head[i]!;
    if (a === '--config') {
      path = head[++i];
      if (path === undefined) throw new SigscanError('USAGE', 'Flag --config expects a value');
    } else if (a.startsWith('--config=')) path = a.slice('--config='.length);
    else rest.push(a);
  }
  if (path === undefined) return argv;
  const settings = await readSettings(path);
  const given = (name: string) => {
    const flag = flags[name]!;
    return rest.some(
      (a) =>
        a === `--${name}` ||
        a.startsWith(`--${name}=`) ||
        (flag.allowNo && a === `--no-${name}`) ||
        (flag.char !== undefined && (a === `-${flag.char}` || a.startsWith(`-${flag.char}=`))),
    );
  };
  const injected: string[] = [];
  for (const [key, value] of settings) {
    const name = kebab(key);
    const flag = flags[name];
    if (!flag || name === 'config')
      throw new SigscanError('USAGE', `--config ${path}: unknown setting "${key}" for this command`);
    if (flag.type === 'boolean') {
      if (given(name)) continue;
      if (value === true || value === 'true') injected.push(`--${name}`);
      else if (value === false || value === 'false') {
        if (flag.allowNo) injected.push(`--no-${name}`);
      } else throw new SigscanError('USAGE', `--config ${path}: "${key}" takes true or false`);
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => v === null || typeof v === 'object'))
      throw new SigscanError('USAGE', `--config ${path}: "${key}" takes a value or a list of values`);
    if (!flag.multiple) {
      if (values.length !== 1)
        throw new SigscanError('USAGE', `--config ${path}: "${key}" takes one value, not a list`);
      if (given(name)) continue;
    }
    for (const v of values) injected.push(`--${name}=${String(v)}`);
  }
  return [...rest, ...injected, ...tail];
}

async function readSettings(path: string): Promise<Array<[string, unknown]>> {
  let doc: unknown;
  try {
    // Loaded only when a config file is read: most runs have none, and yaml costs start-up time.
    const { parse: parseYaml } = await import('yaml');
    doc = parseYaml(await readFile(path, 'utf8'), { logLevel: 'error' });
  } catch (err) {
    throw new SigscanError('USAGE', `cannot read --config ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new SigscanError('USAGE', `--config ${path}: expected a mapping of flag names to values`);
  const out: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (SECTIONS.has(key) && value && typeof value === 'object' && !Array.isArray(value))
      out.push(...Object.entries(value as Record<string, unknown>));
    else out.push([key, value]);
  }
  return out;
}
