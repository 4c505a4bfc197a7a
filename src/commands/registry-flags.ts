import { Flags } from '@oclif/core';

import type { RegistryAccess } from '../scan/run.js';

/** Flags for reaching registries, shared by `repo` and `images`. */
export const registryFlags = {
  'annotation-signatures': Flags.boolean({
    summary: 'Also read signatures held in manifest annotations (ISLET ir-sign); one manifest GET per image.',
    default: false,
  }),
  'notary-server': Flags.string({
    summary: 'Notary v1 server for Docker Content Trust (e.g. https://notary.docker.io).',
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
    stats: flags.stats,
    notaryServer: flags['notary-server'],
    annotationSignatures: flags['annotation-signatures'],
  };
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
