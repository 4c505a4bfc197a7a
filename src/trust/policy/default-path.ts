import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where podman, skopeo and buildah read the system policy when no --policy is given. */
export const SYSTEM_CONTAINERS_POLICY = '/etc/containers/policy.json';

/**
 * Overrides where the default policy is looked for; set and empty, no default policy is read (tests, and
 * users who want sigscan to ignore the machine's policy).
 */
export const CONTAINERS_POLICY_ENV = 'SIGSCAN_CONTAINERS_POLICY';

/**
 * The containers-policy.json a scan reads when --policy is not given, found as containers/image finds it
 * (containers-policy.json(5)): `$HOME/.config/containers/policy.json` if it exists, else
 * `/etc/containers/policy.json`. Undefined when there is none (or $SIGSCAN_CONTAINERS_POLICY is empty).
 *
 * What a default policy may change: it adds the keys of its signedBy requirements and its per-image
 * decision to simple-signing verdicts, and a rejection makes a good signature `untrusted`
 * (POLICY_REJECTED), exactly as an explicit --policy. It never makes a signature `verified`: Debian's
 * default `insecureAcceptAnything` means "no signature required", not "any signature is good", so a
 * signature is verified only by a key (keyring or signedBy key) and a matching claim.
 */
export async function defaultContainersPolicy(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
  system: string = SYSTEM_CONTAINERS_POLICY,
): Promise<string | undefined> {
  const override = env[CONTAINERS_POLICY_ENV];
  // A path named in the environment is read like --policy: missing or malformed, the scan refuses to start.
  if (override !== undefined) return override === '' ? undefined : override;
  for (const path of [join(home, '.config', 'containers', 'policy.json'), system])
    if (await isFile(path)) return path;
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
