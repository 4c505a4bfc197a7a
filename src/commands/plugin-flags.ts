import { Flags } from '@oclif/core';

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

export { pluginRecords, pluginsFromFlags, type PluginFlagValues } from './flag-values.js';
