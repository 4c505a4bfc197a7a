/**
 * Help groups for the scanning commands' flags, and one parsing rule for every repeatable flag.
 *
 * oclif lists flags alphabetically in one block; sixty of them that way hide the trust inputs. The
 * groups follow the order a user decides things in: what to scan, what to trust, how to reach it,
 * where the report goes, how hard to push.
 */
export const HELP_GROUPS = {
  target: 'TARGET SELECTION',
  trust: 'TRUST INPUTS',
  registry: 'REGISTRY ACCESS',
  output: 'OUTPUT',
  limits: 'LIMITS',
} as const;

type Group = keyof typeof HELP_GROUPS;

const GROUP_OF: Record<string, Group> = {
  repos: 'target',
  tags: 'target',
  'repos-from-file': 'target',
  org: 'target',
  include: 'target',
  exclude: 'target',
  'follow-symlinks': 'target',
  nested: 'target',
  'from-file': 'target',
  shard: 'target',
  'annotation-signatures': 'target',
  untagged: 'target',
  config: 'trust',
  'trust-root': 'trust',
  'tsa-root': 'trust',
  key: 'trust',
  'certificate-identity': 'trust',
  'certificate-identity-regexp': 'trust',
  'certificate-oidc-issuer': 'trust',
  'certificate-oidc-issuer-regexp': 'trust',
  'trusted-root': 'trust',
  'notation-dir': 'trust',
  'gpg-keyring': 'trust',
  'tuf-root': 'trust',
  'tuf-cache': 'trust',
  policy: 'trust',
  'registries-d': 'trust',
  at: 'trust',
  'allow-weak-algorithms': 'trust',
  'insecure-ignore-tlog': 'trust',
  'in-toto-layout-key': 'trust',
  plugin: 'trust',
  'plugin-opt': 'trust',
  'plugin-timeout': 'limits',
  'notary-server': 'registry',
  username: 'registry',
  password: 'registry',
  'password-stdin': 'registry',
  'docker-config': 'registry',
  'ca-file': 'registry',
  insecure: 'registry',
  'plain-http': 'registry',
  'auth-realm-host': 'registry',
  output: 'output',
  'output-file': 'output',
  force: 'output',
  'report-format': 'output',
  'report-dir': 'output',
  'fail-on': 'output',
  verbose: 'output',
  stats: 'output',
  concurrency: 'limits',
  rps: 'limits',
  timeout: 'limits',
  jobs: 'limits',
};

/** The help group a flag belongs to, or undefined for a flag nobody placed yet (a test catches those). */
export function helpGroupOf(name: string): string | undefined {
  const group = GROUP_OF[name];
  return group ? HELP_GROUPS[group] : undefined;
}

/**
 * The command's flags with their help group set, and every repeatable flag made non-greedy: oclif's
 * default lets `--key a.pub host/app:1` swallow the positional as a second key, while cosign and
 * notation users type flags first. One value per occurrence, or a comma-separated list where the flag
 * declares the delimiter.
 */
export function grouped<T extends Record<string, object>>(flags: T): T {
  const order = Object.values(HELP_GROUPS) as string[];
  const rank = (name: string) => {
    const i = order.indexOf(helpGroupOf(name) ?? '');
    return i < 0 ? order.length : i;
  };
  // oclif prints the groups in the order their first flag appears (package.json sets flagSortOrder none).
  // Code-unit order, not localeCompare: the first localeCompare builds ICU's collator, ~10 ms of every
  // start-up, and for lower-case names with hyphens the two agree (test/commands/flag-groups.test.ts).
  const entries = Object.entries(flags).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, object> = {};
  for (const [name, flag] of entries) {
    const multiple = (flag as { multiple?: boolean }).multiple === true;
    out[name] = {
      ...flag,
      helpGroup: helpGroupOf(name),
      ...(multiple ? { multipleNonGreedy: true } : {}),
    };
  }
  return out as T;
}
