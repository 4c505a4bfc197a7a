/**
 * The default containers policy (no --policy): found where podman and skopeo look, recorded in scan.trust
 * as a default, honoured for simple-signing verdicts, and never a way to `verified` (Debian's default file
 * is insecureAcceptAnything: "no signature required", not "any signature is good").
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { simpleSigningEvidence } from '../../../src/detectors/simple-signing.js';
import type { ImageTarget } from '../../../src/model/index.js';
import { checkTrustPaths } from '../../../src/scan/preflight.js';
import { emptyTrustConfig, loadTrustConfig, type TrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import {
  CONTAINERS_POLICY_ENV,
  defaultContainersPolicy,
  SYSTEM_CONTAINERS_POLICY,
} from '../../../src/trust/policy/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { CORPUS_AT } from '../helpers.js';

const DIR = join(CORPUS_DIR, 'simple-signing', 'containers-image');
/** Debian 12's /etc/containers/policy.json, byte for byte. */
const DEBIAN_POLICY =
  '{\n    "default": [\n        {\n            "type": "insecureAcceptAnything"\n        }\n    ]\n}\n';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sigscan-default-policy-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  process.env[CONTAINERS_POLICY_ENV] = '';
});

const write = async (name: string, text: string) => {
  const path = join(work, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
};

describe('where the default policy is found', () => {
  it('is /etc/containers/policy.json, as for podman and skopeo', () => {
    expect(SYSTEM_CONTAINERS_POLICY).toBe('/etc/containers/policy.json');
    expect(CONTAINERS_POLICY_ENV).toBe('SIGSCAN_CONTAINERS_POLICY');
  });

  it('prefers $HOME/.config/containers/policy.json, then the system file, else none', async () => {
    const system = await write('etc/policy.json', DEBIAN_POLICY);
    const home = join(work, 'home');
    expect(await defaultContainersPolicy({}, home, system)).toBe(system);
    const user = await write('home/.config/containers/policy.json', DEBIAN_POLICY);
    expect(await defaultContainersPolicy({}, home, system)).toBe(user);
    expect(
      await defaultContainersPolicy({}, join(work, 'nohome'), join(work, 'nothing.json')),
    ).toBeUndefined();
    // A directory where the file should be is not a policy.
    expect(await defaultContainersPolicy({}, join(work, 'nohome'), work)).toBeUndefined();
  });

  it('SIGSCAN_CONTAINERS_POLICY names the file (read like --policy, even if missing) or, empty, turns it off', async () => {
    const system = await write('etc2/policy.json', DEBIAN_POLICY);
    expect(await defaultContainersPolicy({ [CONTAINERS_POLICY_ENV]: '/x/p.json' }, work, system)).toBe(
      '/x/p.json',
    );
    expect(await defaultContainersPolicy({ [CONTAINERS_POLICY_ENV]: '' }, work, system)).toBeUndefined();
  });
});

describe('the default policy in the trust configuration', () => {
  it('is read when --policy is not given and recorded as a default trust input', async () => {
    const path = await write('cfg/policy.json', DEBIAN_POLICY);
    process.env[CONTAINERS_POLICY_ENV] = path;
    const config = await loadTrustConfig({});
    expect(config.policyFile).toBe(path);
    expect(config.policyIsDefault).toBe(true);
    expect(config.sources).toEqual([{ kind: 'policy', path, default: true }]);
  });

  it('--policy wins and is not a default; an empty SIGSCAN_CONTAINERS_POLICY reads none', async () => {
    const path = await write('cfg2/policy.json', DEBIAN_POLICY);
    process.env[CONTAINERS_POLICY_ENV] = path;
    const given = await loadTrustConfig({ policy: '/given/policy.json' });
    expect(given.policyFile).toBe('/given/policy.json');
    expect(given.policyIsDefault).toBeUndefined();
    expect(given.sources).toEqual([{ kind: 'policy', path: '/given/policy.json' }]);
    process.env[CONTAINERS_POLICY_ENV] = '';
    const none = await loadTrustConfig({});
    expect(none.policyFile).toBeUndefined();
    expect(none.policyIsDefault).toBeUndefined();
    expect(none.sources).toEqual([]);
  });

  it('a default policy that does not parse stops the scan, naming it and how to ignore it', async () => {
    const path = await write('bad/policy.json', '{"default": []}');
    const config = { ...emptyTrustConfig(), policyFile: path, policyIsDefault: true };
    await expect(checkTrustPaths(config)).rejects.toThrow(
      `the default containers policy ${path} (no --policy; SIGSCAN_CONTAINERS_POLICY= ignores it): `,
    );
    await expect(checkTrustPaths({ ...config, policyIsDefault: undefined })).rejects.toThrow(
      new RegExp(`^--policy ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
  });
});

describe('simple-signing verdicts under the default policy', () => {
  const target: ImageTarget = {
    kind: 'image',
    registry: 'docker.io',
    repository: 'testing/manifest',
    digest: '',
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  };
  beforeAll(async () => {
    target.digest = `sha256:${createHash('sha256')
      .update(await readFile(join(DIR, 'image.manifest.json')))
      .digest('hex')}`;
  });
  const verdict = async (config: Partial<TrustConfig>, sigFile = 'image.signature') => {
    const blob = new Uint8Array(await readFile(join(DIR, sigFile)));
    const evidence = await simpleSigningEvidence(target, `file://${sigFile}`, blob, 'lookaside');
    return new TrustEvaluator({ ...emptyTrustConfig(), at: new Date(CORPUS_AT), ...config }).evaluate(
      evidence,
      target,
    );
  };

  it('insecureAcceptAnything never makes a signature verified: without a key it stays unverified', async () => {
    const policyFile = await write('debian/policy.json', DEBIAN_POLICY);
    const v = await verdict({ policyFile, policyIsDefault: true });
    expect(v.status).toBe('unverified');
    expect(v.code).toBe('NO_TRUST_ROOT');
    expect(v.message).toContain('containers policy accepts the image (default, insecureAcceptAnything)');
    // A signature by an unknown key, and a corrupt one, are not rescued either.
    const other = await verdict(
      { policyFile, policyIsDefault: true, gpgKeyrings: [join(DIR, 'public-key-2.gpg')] },
      'image.signature',
    );
    expect([other.status, other.code]).toEqual(['untrusted', 'UNKNOWN_SIGNER']);
    const corrupt = await verdict({ policyFile, policyIsDefault: true }, 'corrupt.signature');
    expect(corrupt.status).not.toBe('verified');
  });

  it('its signedBy keys are honoured, and its reject turns a good signature untrusted', async () => {
    const signedBy = await write(
      'signedby/policy.json',
      JSON.stringify({
        default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: join(DIR, 'public-key-with-subkey.gpg') }],
      }),
    );
    // subkey.signature claims testing/manifest:latest; image.signature's name-only claim would not match
    // this image by digest under the default matchRepoDigestOrExact (containers/image refuses it).
    const ok = await verdict({ policyFile: signedBy, policyIsDefault: true }, 'subkey.signature');
    expect([ok.status, ok.code]).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
    const reject = await write('reject/policy.json', JSON.stringify({ default: [{ type: 'reject' }] }));
    const rejected = await verdict(
      {
        policyFile: reject,
        policyIsDefault: true,
        gpgKeyrings: [join(DIR, 'public-key-with-subkey.gpg')],
      },
      'subkey.signature',
    );
    expect([rejected.status, rejected.code]).toEqual(['untrusted', 'POLICY_REJECTED']);
  });
});
