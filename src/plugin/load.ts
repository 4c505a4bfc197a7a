import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { SigscanError } from '../errors.js';
import { BUILTIN_PLUGINS } from '../plugins/index.js';
import { PLUGIN_API_VERSION, type PluginFamily, type SigscanPlugin } from './api.js';

/** Families compiled into sigscan: a plugin may not take their names. */
const CORE_FAMILIES = [
  'cosign',
  'cosign-attestation',
  'sigstore-bundle',
  'notation',
  'simple-signing',
  'tuf',
  'oci-annotation',
  'jar',
  'authenticode',
  'in-toto',
  'apk',
  'rpm',
  'debsig',
];
const THIRD_PARTY_FAMILY = /^x-[a-z0-9][a-z0-9-]{0,62}$/;
/** Per target, for a plugin's detection and for each of its verdicts. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 30_000;

export interface LoadedFamily {
  spec: PluginFamily;
  options: Readonly<Record<string, string>>;
  /** `plugin:<module>@<version>` on every verdict it gives; undefined for built-in families. */
  by?: string;
  timeoutMs: number;
}

export interface LoadedPlugin {
  /** As given to --plugin (a path or a package name); `builtin:<name>` for ours. */
  module: string;
  name: string;
  version: string;
  /** SHA-256 of the entry file that was imported (not for built-ins). */
  sha256?: string;
  builtin: boolean;
  families: LoadedFamily[];
}

export interface PluginLoadOptions {
  /** `--plugin` values: paths (relative to cwd) or installed package names. */
  modules?: readonly string[];
  /** `--plugin-opt <family>.<key>=<value>` values. */
  options?: readonly string[];
  cwd?: string;
  timeoutMs?: number;
}

const usage = (message: string, cause?: unknown) => new SigscanError('USAGE', message, { cause });

/**
 * The built-in plugin families plus the user's plugins, checked before the scan starts: a module that
 * does not load, declares another major pluginApiVersion, or reuses a family name is a usage error.
 */
export async function loadPlugins(opts: PluginLoadOptions = {}): Promise<LoadedPlugin[]> {
  const cwd = opts.cwd ?? process.cwd();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  const settings = parseOptions(opts.options ?? []);
  const plugins: LoadedPlugin[] = BUILTIN_PLUGINS.map((p) => ({
    module: `builtin:${p.name}`,
    name: p.name!,
    version: p.version ?? 'builtin',
    builtin: true,
    families: p.families.map((spec) => ({ spec, options: {}, timeoutMs })),
  }));
  const taken = new Set([...CORE_FAMILIES, ...plugins.flatMap((p) => p.families.map((f) => f.spec.family))]);
  for (const spec of opts.modules ?? []) {
    const entry = resolveModule(spec, cwd);
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(entry);
    } catch (err) {
      throw usage(`--plugin ${spec}: cannot load: ${(err as Error).message}`, err);
    }
    const plugin = (mod.default ?? mod.plugin) as SigscanPlugin | undefined;
    checkShape(plugin, spec);
    checkApiVersion(plugin.pluginApiVersion, spec);
    const bytes = await readFile(entry);
    const version = plugin.version ?? (await packageVersion(entry)) ?? 'unversioned';
    const by = `plugin:${spec}@${version}`;
    const families: LoadedFamily[] = [];
    for (const family of plugin.families) {
      if (!THIRD_PARTY_FAMILY.test(family.family))
        throw usage(`--plugin ${spec}: family "${family.family}" must be named x-<name> (lowercase)`);
      if (taken.has(family.family))
        throw usage(`--plugin ${spec}: family "${family.family}" is already provided by another family`);
      taken.add(family.family);
      families.push({ spec: family, options: settings.get(family.family) ?? {}, by, timeoutMs });
    }
    plugins.push({
      module: spec,
      name: plugin.name ?? spec,
      version,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      builtin: false,
      families,
    });
  }
  checkOptions(plugins, settings);
  return plugins;
}

/**
 * import() of the plugin file; the single executable has no dynamic import, so there require() loads it
 * (CommonJS, or an ES module through Node's require(esm), on by default since 20.19 and 22.12).
 */
async function importModule(entry: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw err;
    return createRequire(entry)(entry) as Record<string, unknown>;
  }
}

function resolveModule(spec: string, cwd: string): string {
  if (spec.startsWith('.') || spec.startsWith('/')) return resolve(cwd, spec);
  try {
    return createRequire(join(cwd, 'noop.js')).resolve(spec);
  } catch (err) {
    throw usage(`--plugin ${spec}: not a file and not an installed package (${(err as Error).message})`, err);
  }
}

function checkShape(plugin: SigscanPlugin | undefined, spec: string): asserts plugin is SigscanPlugin {
  const ok =
    plugin &&
    typeof plugin === 'object' &&
    typeof plugin.pluginApiVersion === 'string' &&
    Array.isArray(plugin.families) &&
    plugin.families.every(
      (f) =>
        f &&
        typeof f.family === 'string' &&
        typeof f.verify === 'function' &&
        typeof f.detector?.applies === 'function' &&
        typeof f.detector?.detect === 'function',
    );
  if (!ok)
    throw usage(
      `--plugin ${spec}: does not export a sigscan plugin (default export { pluginApiVersion, families: [{ family, detector, verify }] })`,
    );
}

/** Same major, and no newer minor than this sigscan implements (semver for an API we provide). */
export function checkApiVersion(declared: string, spec: string): void {
  const [major, minor] = PLUGIN_API_VERSION.split('.').map(Number) as [number, number];
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(declared);
  if (!m || Number(m[1]) !== major || Number(m[2]) > minor)
    throw usage(
      `--plugin ${spec}: pluginApiVersion "${declared}" is not compatible with this sigscan's ${PLUGIN_API_VERSION}`,
    );
}

function parseOptions(values: readonly string[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const text of values) {
    const m = /^(x-[a-z0-9-]+)\.([A-Za-z0-9_-]+)=(.*)$/s.exec(text);
    if (!m) throw usage(`--plugin-opt "${text}" must be <family>.<key>=<value>, e.g. x-ed25519.key=pub.pem`);
    const entry = out.get(m[1]!) ?? {};
    entry[m[2]!] = m[3]!;
    out.set(m[1]!, entry);
  }
  return out;
}

function checkOptions(plugins: LoadedPlugin[], settings: Map<string, Record<string, string>>): void {
  const families = new Map(plugins.flatMap((p) => p.families.map((f) => [f.spec.family, f] as const)));
  for (const [family, values] of settings) {
    const loaded = families.get(family);
    if (!loaded) throw usage(`--plugin-opt ${family}.*: no loaded plugin provides family ${family}`);
    for (const key of Object.keys(values))
      if (!loaded.spec.options?.[key])
        throw usage(
          `--plugin-opt ${family}.${key}: not an option of ${family} (it has: ${Object.keys(loaded.spec.options ?? {}).join(', ') || 'none'})`,
        );
  }
  for (const f of families.values())
    for (const [key, decl] of Object.entries(f.spec.options ?? {}))
      if (decl.required && f.options[key] === undefined)
        throw usage(`--plugin-opt ${f.spec.family}.${key} is required (${decl.description})`);
}

async function packageVersion(entry: string): Promise<string | undefined> {
  for (let dir = dirname(entry), i = 0; i < 8; dir = dirname(dir), i++) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: string };
      return typeof pkg.version === 'string' ? pkg.version : undefined;
    } catch {
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}
