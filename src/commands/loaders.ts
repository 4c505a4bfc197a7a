import type { Command } from '@oclif/core';

type CommandClass = Command.Class;

/**
 * The command table as loaders, for start-up. Importing every command module (index.ts) costs what the
 * fs scan itself costs on a few files: `images` alone pulls the registry flags, the policy parser and
 * openpgp. A run that names its command loads that one; help, completion and a mistyped command load
 * them all. Keep the ids and classes in step with index.ts (test/cli/command-loaders.test.ts checks).
 */
export const COMMAND_LOADERS: Readonly<Record<string, () => Promise<CommandClass>>> = {
  repo: async () => (await import('./repo.js')).default,
  fs: async () => (await import('./fs.js')).default,
  images: async () => (await import('./images.js')).default,
  layout: async () => (await import('./layout.js')).default,
  'report:convert': async () => (await import('./report/convert.js')).default,
  'report:diff': async () => (await import('./report/diff.js')).default,
  'report:merge': async () => (await import('./report/merge.js')).default,
  schema: async () => (await import('./schema.js')).default,
  version: async () => (await import('./version.js')).default,
  verify: async () => (await import('./verify.js')).default,
  tree: async () => (await import('./tree.js')).default,
};
