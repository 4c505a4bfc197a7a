import { Flags } from '@oclif/core';

import { SigscanError } from '../errors.js';
import { checkServerUrl } from '../scan/preflight.js';
import type { RegistryAccess } from '../scan/run.js';

/** Flags for reaching registries, shared by `repo` and `images`. */
export const registryFlags = {
  'annotation-signatures': Flags.boolean({
    summary: 'Also read signatures held in manifest annotations (ISLET ir-sign); one manifest GET per image.',
    default: false,
  }),
  'notary-server': Flags.string({
    summary: 'Notary v1 server for Docker Content Trust (e.g. https://notary.docker.io).',
    description:
      'Default: $DOCKER_CONTENT_TRUST_SERVER, else https://notary.docker.io when every image is on Docker Hub. ' +
      'Without one, tuf is listed under "not checked".',
    env: 'DOCKER_CONTENT_TRUST_SERVER',
  }),
  username: Flags.string({ char: 'u', summary: 'Registry username.', env: 'SIGSCAN_USERNAME' }),
  password: Flags.string({ char: 'p', summary: 'Registry password or token (prefer --password-stdin).' }),
  'password-stdin': Flags.boolean({ summary: 'Read the password from standard input.', default: false }),
  'docker-config': Flags.string({ summary: 'Docker config.json to read credentials from.' }),
  'ca-file': Flags.string({ summary: 'PEM file with CA certificates to trust for the registry TLS.' }),
  insecure: Flags.boolean({
    summary: 'Do not verify the registry TLS certificate (dangerous).',
    default: false,
  }),
  'plain-http': Flags.boolean({
    summary: 'Talk plain HTTP to the registry (local test registries).',
    default: false,
  }),
  rps: Flags.integer({ summary: 'At most this many requests per second per registry host.', min: 1 }),
  timeout: Flags.integer({
    summary: 'Seconds to wait for a registry to answer or to send more of a body.',
    description:
      'Also caps the connection time (at 10 s) and allows a whole response 4 times as long. A request that ' +
      'times out is retried like a dropped connection; after the retries its target is unknown.',
    min: 1,
    max: 3600,
    default: 30,
  }),
  'auth-realm-host': Flags.string({
    summary: 'Also send credentials to a token realm on this host (host or host:port; repeatable).',
    description:
      "Credentials go to the token realm a registry names only when it is on the registry's host or in its " +
      'domain (registry-1.docker.io -> auth.docker.io). Any other realm is asked for a token anonymously, ' +
      'with a warning, so public images still scan.',
    multiple: true,
    delimiter: ',',
  }),
  stats: Flags.boolean({
    summary: 'Print request statistics to stderr and add them to the JSON report.',
    default: false,
  }),
};

type RegistryFlagValues = {
  username?: string;
  password?: string;
  'password-stdin'?: boolean;
  'docker-config'?: string;
  'ca-file'?: string;
  insecure?: boolean;
  'plain-http'?: boolean;
  rps?: number;
  timeout?: number;
  'auth-realm-host'?: string[];
  stats?: boolean;
  'notary-server'?: string;
  'annotation-signatures'?: boolean;
};

export async function registryAccess(flags: RegistryFlagValues): Promise<RegistryAccess> {
  let password = flags.password ?? process.env.SIGSCAN_PASSWORD;
  if (flags['password-stdin']) password = (await readStdin()).replace(/\r?\n$/, '');
  return {
    username: flags.username,
    password: flags.username ? password : undefined,
    dockerConfig: flags['docker-config'],
    caFile: flags['ca-file'],
    insecure: flags.insecure,
    plainHttp: flags['plain-http'],
    rps: flags.rps,
    timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
    authRealmHosts: flags['auth-realm-host']?.map(realmHost),
    stats: flags.stats,
    notaryServer: flags['notary-server']
      ? checkServerUrl(flags['notary-server'], '--notary-server')
      : undefined,
    annotationSignatures: flags['annotation-signatures'],
  };
}

/** `--auth-realm-host` takes a bare host (any port) or host:port, never a URL. */
function realmHost(text: string): string {
  const value = text.trim().toLowerCase();
  if (/^[^/?#@\s]+$/.test(value)) {
    try {
      return new URL(`https://${value}`).host;
    } catch {
      // falls through to the usage error
    }
  }
  throw new SigscanError('USAGE', `--auth-realm-host "${text}" must be a host or host:port, not a URL`);
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
