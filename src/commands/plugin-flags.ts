// The flags module alone: the fs fast path (cli/fast-path.ts) parses without loading the rest of oclif.
import * as Flags from '@oclif/core/flags';

import type { LoadedPlugin } from '../plugin/load.js';

/** Plugin families (see README "Writing a plugin"); shared by every scanning command. */
export const pluginFlags = {
  plugin: Flags.string({
    summary: 'Load a signature-family plugin: a path to a JS module or an installed package name.',
    description: 'Plugins are code you choose to run, with your permissions; their verdicts are marked "by".',
    multiple: true,
  }),
  'plugin-opt': Flags.string({
    summary: 'A plugin setting, <family>.<key>=<value> (e.g. x-ed25519.key=pub.pem).',
    multiple: true,
  }),
  'plugin-timeout': Flags.integer({
    summary: 'Seconds a plugin may spend on one target (detection, and each verdict).',
    default: 30,
    min: 1,
  }),
};

export interface PluginFlagValues {
  plugin?: string[];
  'plugin-opt'?: string[];
  'plugin-timeout'?: number;
}

/** Loads them before the scan: a plugin that cannot load is a usage error (exit 2), not a scan result. */
export async function pluginsFromFlags(flags: PluginFlagValues): Promise<LoadedPlugin[]> {
  const { loadPlugins } = await import('../plugin/load.js');
  return loadPlugins({
    modules: flags.plugin,
    options: flags['plugin-opt'],
    timeoutMs: (flags['plugin-timeout'] ?? 30) * 1000,
  });
}

/** What a report records of the user's plugins: enough to know which code decided. */
export function pluginRecords(plugins: readonly LoadedPlugin[]) {
  return plugins
    .filter((p) => !p.builtin)
    .map((p) => ({
      module: p.module,
      name: p.name,
      version: p.version,
      sha256: p.sha256!,
      families: p.families.map((f) => f.spec.family),
    }));
}
