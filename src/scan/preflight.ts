import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';

import { SigscanError } from '../errors.js';
import type { TrustConfig } from '../trust/index.js';

/**
 * Checks every trust path before the first request, so that a typo is a usage error naming the flag
 * (exit 2) instead of a scan that silently checks less: a missing --registries-d would look up no
 * lookaside, a missing --notation-dir would trust nothing, and a --policy that does not parse would
 * turn every simple-signing verdict into `error`.
 */
export async function checkTrustPaths(trust: TrustConfig): Promise<void> {
  for (const dir of trust.registriesDirs) await requireDirectory(dir, '--registries-d');
  if (trust.notationDir) await requireDirectory(trust.notationDir, '--notation-dir');
  for (const file of trust.gpgKeyrings) await requireFile(file, '--gpg-keyring');
  for (const file of trust.tufRoots) await requireFile(file, '--tuf-root');
  for (const file of trust.trustedRoots) await requireFile(file, '--trusted-root');
  if (trust.policyFile) {
    // parse.js, not the policy barrel: a file scan with the default policy must not load openpgp.
    const { readPolicyFile } = await import('../trust/policy/parse.js');
    try {
      await readPolicyFile(trust.policyFile);
    } catch (err) {
      const message = (err as Error).message;
      // podman and skopeo refuse to run on a policy they cannot read; so does a scan that would use it.
      const text = trust.policyIsDefault
        ? `the default containers policy ${trust.policyFile} (no --policy; SIGSCAN_CONTAINERS_POLICY= ignores it): ` +
          message.replace(/^--policy \S+: /, '')
        : message.startsWith('--policy')
          ? message
          : `--policy ${trust.policyFile}: ${message}`;
      throw new SigscanError('USAGE', text, { cause: err });
    }
  }
}

async function requireDirectory(path: string, flag: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new SigscanError('USAGE', `${flag} ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!isDir) throw new SigscanError('USAGE', `${flag} ${path} is not a directory`);
  await readable(path, flag);
}

async function requireFile(path: string, flag: string): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch (err) {
    throw new SigscanError('USAGE', `${flag} ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!isFile) throw new SigscanError('USAGE', `${flag} ${path} is not a file`);
  await readable(path, flag);
}

async function readable(path: string, flag: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw new SigscanError('USAGE', `${flag} ${path} is not readable`, { cause: err });
  }
}

/** `--notary-server` must be an http(s) URL with a host: checked before the scan, not when first used. */
export function checkServerUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SigscanError('USAGE', `${flag} "${text}" is not a URL (e.g. https://notary.example.com)`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !url.host)
    throw new SigscanError('USAGE', `${flag} "${text}" must be an http or https URL with a host`);
  return text;
}
