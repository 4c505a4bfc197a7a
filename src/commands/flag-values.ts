import { SigscanError } from '../errors.js';
import type { LoadedPlugin } from '../plugin/load.js';
import type { TrustInput } from '../trust/config.js';
import type { trustFlags } from './trust-flags.js';

/**
 * What the scanning commands make of their parsed flags: trust inputs, plugins, a shard. Apart from the
 * flag definitions, which load oclif's flags module, so that the fs fast path (cli/fast-path.ts) runs
 * a scan without loading oclif at all.
 */

export type TrustFlagValues = {
  [K in keyof typeof trustFlags]?: string | string[] | boolean;
};

export function trustInput(flags: TrustFlagValues): TrustInput {
  const one = (v: string | string[] | boolean | undefined) =>
    typeof v === 'boolean' ? undefined : Array.isArray(v) ? v[0] : v;
  const many = (v: string | string[] | boolean | undefined) =>
    v === undefined || typeof v === 'boolean' ? undefined : Array.isArray(v) ? v : [v];
  return {
    config: one(flags.config),
    trustRoot: many(flags['trust-root']),
    tsaRoot: many(flags['tsa-root']),
    key: many(flags.key),
    certificateIdentity: one(flags['certificate-identity']),
    certificateIdentityRegexp: one(flags['certificate-identity-regexp']),
    certificateOidcIssuer: one(flags['certificate-oidc-issuer']),
    certificateOidcIssuerRegexp: one(flags['certificate-oidc-issuer-regexp']),
    trustedRoot: many(flags['trusted-root']),
    notationDir: one(flags['notation-dir']),
    gpgKeyring: many(flags['gpg-keyring']),
    tufRoot: many(flags['tuf-root']),
    policy: one(flags.policy),
    registriesD: many(flags['registries-d']),
    at: one(flags.at),
    allowWeakAlgorithms: flags['allow-weak-algorithms'] === true ? true : undefined,
    inTotoLayoutKey: many(flags['in-toto-layout-key']),
    tufCache: one(flags['tuf-cache']),
    crl: many(flags.crl),
    revocation: one(flags.revocation),
    signedIdentity: one(flags['signed-identity']),
    insecureIgnoreTlog: flags['insecure-ignore-tlog'] === true ? true : undefined,
  };
}

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

/** `--shard i/n` to a Shard, as a usage error when malformed. */
export function parseShardFlag(text: string): import('../util/shard.js').Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new SigscanError('USAGE', `--shard "${text}" must be i/n with 1 <= i <= n`);
  }
  return { index, count };
}
