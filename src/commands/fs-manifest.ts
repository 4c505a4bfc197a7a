// Written by scripts/fs-manifest.ts from commands/fs-core.ts: do not edit.
import type { FlagSpec } from '../cli/fs-argv.js';

/** The fs command's flags as plain data, for the fast path's parser (cli/fs-argv.ts). */
export const FS_MANIFEST: Readonly<Record<string, FlagSpec>> = {
  exclude: {
    type: 'option',
    multiple: true,
    delimiter: ',',
  },
  'follow-symlinks': {
    type: 'boolean',
    default: false,
  },
  include: {
    type: 'option',
    multiple: true,
    delimiter: ',',
  },
  nested: {
    type: 'boolean',
    default: true,
    allowNo: true,
  },
  shard: {
    type: 'option',
  },
  'allow-weak-algorithms': {
    type: 'boolean',
  },
  at: {
    type: 'option',
  },
  'certificate-identity': {
    type: 'option',
  },
  'certificate-identity-regexp': {
    type: 'option',
  },
  'certificate-oidc-issuer': {
    type: 'option',
  },
  'certificate-oidc-issuer-regexp': {
    type: 'option',
  },
  config: {
    type: 'option',
  },
  'gpg-keyring': {
    type: 'option',
    multiple: true,
  },
  'in-toto-layout-key': {
    type: 'option',
    multiple: true,
  },
  'insecure-ignore-tlog': {
    type: 'boolean',
  },
  key: {
    type: 'option',
    multiple: true,
  },
  'notation-dir': {
    type: 'option',
  },
  plugin: {
    type: 'option',
    multiple: true,
  },
  'plugin-opt': {
    type: 'option',
    multiple: true,
  },
  policy: {
    type: 'option',
  },
  'registries-d': {
    type: 'option',
    multiple: true,
  },
  'trust-root': {
    type: 'option',
    multiple: true,
  },
  'trusted-root': {
    type: 'option',
    multiple: true,
  },
  'tsa-root': {
    type: 'option',
    multiple: true,
  },
  'tuf-cache': {
    type: 'option',
  },
  'tuf-root': {
    type: 'option',
    multiple: true,
  },
  'fail-on': {
    type: 'option',
    multiple: true,
    delimiter: ',',
    options: ['unsigned', 'invalid', 'untrusted', 'unverified', 'unknown', 'error'],
  },
  force: {
    type: 'boolean',
    default: false,
  },
  output: {
    type: 'option',
    char: 'o',
    options: ['pretty', 'json', 'ndjson', 'sarif', 'sigscan-json', 'csv', 'html'],
    default: 'pretty',
  },
  'output-file': {
    type: 'option',
  },
  'report-dir': {
    type: 'option',
    default: 'reports',
  },
  'report-format': {
    type: 'option',
    multiple: true,
    delimiter: ',',
    options: ['pretty', 'json', 'ndjson', 'sarif', 'sigscan-json', 'csv', 'html'],
  },
  verbose: {
    type: 'boolean',
    char: 'v',
    default: false,
  },
  concurrency: {
    type: 'option',
    default: 8,
    integer: {
      min: 1,
      max: 256,
    },
  },
  jobs: {
    type: 'option',
    integer: {
      min: 1,
      max: 64,
    },
  },
  'plugin-timeout': {
    type: 'option',
    default: 30,
    integer: {
      min: 1,
    },
  },
  crl: {
    type: 'option',
    multiple: true,
  },
  revocation: {
    type: 'option',
    options: ['off', 'offline', 'online', 'online-strict'],
  },
  'signed-identity': {
    type: 'option',
  },
};
