import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { SigscanError } from '../../errors.js';

/** A registry credential. Secrets live only here and in request headers; nothing prints them. */
export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (Docker `identitytoken`), used with the POST token flow. */
  identityToken?: string;
  /** A ready-made bearer token (Docker `registrytoken`). */
  registryToken?: string;
  /** Where it came from, for messages: `flags`, `env`, `config.json`, `helper docker-credential-x`. */
  source: string;
}

export interface CredentialOptions {
  username?: string;
  password?: string;
  /** Path to a Docker config.json; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfig?: string;
  env?: NodeJS.ProcessEnv;
}

interface DockerConfig {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }
  >;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** Flags first, then environment, then Docker's config.json (helpers included), else anonymous. */
export async function resolveCredential(
  registry: string,
  opts: CredentialOptions,
): Promise<Credential | undefined> {
  const env = opts.env ?? process.env;
  if (opts.username !== undefined || opts.password !== undefined) {
    if (!opts.username || opts.password === undefined) {
      throw new SigscanError('USAGE', '--username and --password (or --password-stdin) go together');
    }
    return { username: opts.username, password: opts.password, source: 'flags' };
  }
  if (env.SIGSCAN_USERNAME && env.SIGSCAN_PASSWORD !== undefined) {
    return { username: env.SIGSCAN_USERNAME, password: env.SIGSCAN_PASSWORD, source: 'env' };
  }
  const path = opts.dockerConfig ?? join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as DockerConfig;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !opts.dockerConfig) return undefined;
    throw new SigscanError(
      'CREDENTIALS_ERROR',
      `cannot read Docker config ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return credentialFromDockerConfig(registry, config, path);
}

export async function credentialFromDockerConfig(
  registry: string,
  config: DockerConfig,
  path = 'config.json',
): Promise<Credential | undefined> {
  const key =
    registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io'
      ? DOCKER_HUB_KEY
      : registry;
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) return runCredentialHelper(helper, key);

  const auths = config.auths ?? {};
  const entry = auths[key] ?? Object.entries(auths).find(([k]) => hostOf(k) === hostOf(key))?.[1];
  if (!entry) return undefined;
  if (entry.identitytoken)
    return { username: entry.username, identityToken: entry.identitytoken, source: path };
  if (entry.registrytoken) return { registryToken: entry.registrytoken, source: path };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = colon === -1 ? '' : decoded.slice(0, colon);
    if (!username)
      throw new SigscanError('CREDENTIALS_ERROR', `the "auth" entry for ${key} in ${path} has no username`);
    return { username, password: decoded.slice(colon + 1).replace(/\0+$/, ''), source: path };
  }
  if (entry.username && entry.password !== undefined) {
    return { username: entry.username, password: entry.password, source: path };
  }
  return undefined;
}

/** Keys in old files look like `https://host/v1/`: compare by host[:port] only. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
}

/**
 * The docker-credential-helpers protocol: `docker-credential-<name> get`, server URL on stdin, JSON on
 * stdout. Run without a shell so nothing in the name or URL can be interpreted.
 */
export function runCredentialHelper(helper: string, serverUrl: string): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    return Promise.reject(
      new SigscanError('CREDENTIALS_ERROR', `credential helper name "${helper}" is not valid`),
    );
  }
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      ['get'],
      { timeout: 30_000, maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = `${stdout}`.trim();
        if (err) {
          if (/credentials not found/i.test(output) || /credentials not found/i.test(`${stderr}`)) {
            resolve(undefined);
            return;
          }
          reject(
            new SigscanError(
              'CREDENTIALS_ERROR',
              `${program} failed: ${(err as Error).message.split('\n')[0]}`,
            ),
          );
          return;
        }
        try {
          const parsed = JSON.parse(output) as { Username?: string; Secret?: string };
          if (!parsed.Secret) {
            resolve(undefined);
          } else if (parsed.Username === '<token>') {
            resolve({ identityToken: parsed.Secret, source: `helper ${program}` });
          } else {
            resolve({ username: parsed.Username, password: parsed.Secret, source: `helper ${program}` });
          }
        } catch {
          reject(new SigscanError('CREDENTIALS_ERROR', `${program} printed something that is not JSON`));
        }
      },
    );
    child.stdin?.end(serverUrl);
  });
}
