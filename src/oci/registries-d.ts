import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { parse as parseYaml } from 'yaml';

import { SigscanError } from '../errors.js';

/** One `docker:` (or `default-docker:`) section of containers-registries.d(5). */
export interface RegistriesDSection {
  /** Read URL (`lookaside`, or the deprecated `sigstore`). */
  lookaside?: string;
  /** Write URL (`lookaside-staging` / `sigstore-staging`); unused by a scanner, kept for reports. */
  lookasideStaging?: string;
  useSigstoreAttachments?: boolean;
}

export interface RegistriesDConfig {
  defaultDocker?: RegistriesDSection;
  /** Scope (`host[:port]`, `host/ns`, `host/ns/name`, `host/ns/name:tag`) → section. */
  docker: Map<string, RegistriesDSection>;
  /** The files that were read, for messages. */
  files: string[];
}

export interface LookasideChoice {
  /** The scope whose section applied, `default-docker`, or undefined when nothing matched. */
  scope?: string;
  section: RegistriesDSection;
}

/** `$HOME/.config/containers/registries.d` if it exists, else `/etc/containers/registries.d` (formats.md §4.5). */
export async function defaultRegistriesDirs(home = homedir()): Promise<string[]> {
  const user = join(home, '.config', 'containers', 'registries.d');
  if (await isDir(user)) return [user];
  return ['/etc/containers/registries.d'];
}

/** The built-in lookaside when nothing is configured (root vs rootless). */
export function builtinLookaside(home = homedir()): string {
  return process.getuid?.() === 0
    ? 'file:///var/lib/containers/sigstore'
    : `file://${join(home, '.local', 'share', 'containers', 'sigstore')}`;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads every `*.yaml` file of the given directories (missing directories are skipped). A scope may be
 * defined once across all files and `default-docker` at most once, as containers/image enforces.
 */
export async function loadRegistriesD(dirs: string[]): Promise<RegistriesDConfig> {
  const config: RegistriesDConfig = { docker: new Map(), files: [] };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new SigscanError('USAGE', `registries.d ${dir}: ${(err as Error).message}`, { cause: err });
    }
    for (const name of names.filter((n) => n.endsWith('.yaml')).sort()) {
      const path = join(dir, name);
      if (!(await stat(path)).isFile()) continue;
      mergeRegistriesFile(config, await readFile(path, 'utf8'), path);
    }
  }
  return config;
}

/** Merges one registries.d YAML document into `config`; exported for tests. */
export function mergeRegistriesFile(config: RegistriesDConfig, text: string, path: string): void {
  let doc: unknown;
  try {
    // Warnings (unknown tags) would go to process.emitWarning and print Node's banner on stderr.
    doc = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    throw new SigscanError('USAGE', `registries.d ${path}: ${(err as Error).message}`, { cause: err });
  }
  config.files.push(path);
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new SigscanError('USAGE', `registries.d ${path}: not a YAML mapping`);
  }
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (key === 'default-docker') {
      if (value === null) continue;
      if (config.defaultDocker) {
        throw new SigscanError('USAGE', `registries.d ${path}: default-docker is defined more than once`);
      }
      config.defaultDocker = section(value, `${path} default-docker`);
    } else if (key === 'docker') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new SigscanError('USAGE', `registries.d ${path}: "docker" is not a mapping`);
      }
      for (const [scope, body] of Object.entries(value as Record<string, unknown>)) {
        if (config.docker.has(scope)) {
          throw new SigscanError('USAGE', `registries.d ${path}: scope "${scope}" is defined more than once`);
        }
        config.docker.set(scope, section(body, `${path} docker.${scope}`));
      }
    }
    // containers/image ignores other top-level keys.
  }
}

function section(value: unknown, where: string): RegistriesDSection {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SigscanError('USAGE', `registries.d ${where}: not a mapping`);
  }
  const v = value as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const x = v[k];
    if (x === undefined || x === null) return undefined;
    if (typeof x !== 'string') throw new SigscanError('USAGE', `registries.d ${where}: ${k} is not a string`);
    return x;
  };
  const out: RegistriesDSection = {};
  // The new name wins over the deprecated one, as in containers/image.
  const lookaside = str('lookaside') ?? str('sigstore');
  const staging = str('lookaside-staging') ?? str('sigstore-staging');
  if (lookaside) out.lookaside = lookaside;
  if (staging) out.lookasideStaging = staging;
  const attachments = v['use-sigstore-attachments'];
  if (attachments !== undefined && attachments !== null) {
    if (typeof attachments !== 'boolean') {
      throw new SigscanError('USAGE', `registries.d ${where}: use-sigstore-attachments is not a boolean`);
    }
    out.useSigstoreAttachments = attachments;
  }
  return out;
}

/**
 * The section for an image: the most specific scope wins *entirely* — full reference with tag or
 * digest, repository, each parent namespace, then `host[:port]` (no fallback to the port-less host),
 * then `default-docker`.
 */
export function sectionFor(
  config: RegistriesDConfig,
  image: { registry: string; repository: string; tag?: string; digest?: string },
): LookasideChoice | undefined {
  const repo = `${image.registry}/${image.repository}`;
  const candidates: string[] = [];
  if (image.tag) candidates.push(`${repo}:${image.tag}`);
  if (image.digest) candidates.push(`${repo}@${image.digest}`);
  const parts = repo.split('/');
  for (let i = parts.length; i >= 1; i--) candidates.push(parts.slice(0, i).join('/'));
  for (const scope of candidates) {
    const found = config.docker.get(scope);
    if (found) return { scope, section: found };
  }
  if (config.defaultDocker) return { scope: 'default-docker', section: config.defaultDocker };
  return undefined;
}
