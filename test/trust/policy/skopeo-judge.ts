/**
 * skopeo as the judge of containers-policy.json decisions on a registry image: a real registry
 * (docker-registry), one pushed image, simple signatures made by `skopeo standalone-sign` for chosen
 * docker-reference claims and served from a lookaside directory (registries.d `sigstore:`), and
 * `skopeo copy --policy` run for each case. skopeo's exit status is containers/image's decision
 * (copy fails with "Source image rejected" when the policy refuses the image).
 *
 * Everything — keys, signatures, the registry host the claims name and skopeo's answers — is made once
 * per day into a cachedFixtureDir, so Stryker's per-mutant reruns only read files. The registry is
 * stopped after the build: the tests compare sigscan with the recorded answers.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { evaluatePolicy, parsePolicy, type PolicyDecision } from '../../../src/trust/policy/index.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { makeAndPushImage, makeOciLayout } from '../../helpers/images.js';
import { getManifest } from '../../helpers/push.js';
import { startRegistry } from '../../helpers/registry.js';
import { run } from '../../helpers/tools.js';

export const REPO = 'ns/app';
export const TAG = 'v1';

/** The signatures, by the docker-reference they claim (`HOST` is the registry's host:port). */
export const CLAIMS = {
  tagged: `HOST/${REPO}:v1`,
  otherTag: `HOST/${REPO}:v2`,
  nameOnly: `HOST/${REPO}`,
  otherRepo: 'HOST/ns/other:v1',
  vendor: 'vendor.example/ns/app:v1',
  vendorRoot: 'vendor.example/app:v1',
  hubLibrary: 'docker.io/library/app:v1',
} as const;
export type Claim = keyof typeof CLAIMS;

export interface JudgeCase {
  /** The policy, with `KEYS/` standing for the fixture directory and `HOST` for the registry host. */
  policy: unknown;
  /** By tag (`v1`) or by digest. */
  by: 'tag' | 'digest';
  /** The signatures the image carries (signature-1, -2, … in this order). */
  sigs: Array<Claim | 'otherManifest' | 'wrongKey'>;
}

export interface Judged {
  /** The registry host the claims and scopes name (`127.0.0.1:<port>`). */
  host: string;
  digest: string;
  dir: string;
  /** skopeo's decision per case name. */
  skopeo: Record<string, 'accept' | 'reject'>;
  /** The first line of skopeo's error per case, when it rejected. */
  why: Record<string, string>;
}

const GPG_AT = ['--faked-system-time', '20260101T000000!'];

/**
 * A policy (or claim) for this fixture: `KEYS/` is the fixture directory, `HOST` the registry host,
 * `DIGEST` the image digest and `KEYDATA` the trusted key in base64.
 */
export function instantiate(text: string, dir: string, host: string, digest = '', keyData = ''): string {
  return text
    .replaceAll('KEYS/', `${dir}/`)
    .replaceAll('HOST', host)
    .replaceAll('DIGEST', digest)
    .replaceAll('KEYDATA', keyData);
}

async function gpg(home: string, args: string[]): Promise<string> {
  return (
    await run(
      'gpg',
      ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
      { timeoutMs: 120_000 },
    )
  ).stdout;
}

async function newKey(home: string, name: string): Promise<string> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await gpg(home, [...GPG_AT, '--quick-gen-key', `${name} <${name}@sigscan.test>`, 'ed25519', 'sign', '0']);
  return /^fpr:+([0-9A-F]{40}):/m.exec(await gpg(home, ['--with-colons', '--list-keys']))![1]!;
}

export async function judge(recipe: string, cases: Record<string, JudgeCase>): Promise<Judged> {
  const dir = await cachedFixtureDir(recipe, async (out) => {
    const reg = await startRegistry();
    try {
      const pushed = await makeAndPushImage(reg, join(out, 'layout'), REPO, TAG, { seed: 'policy-judge' });
      const manifest = (await getManifest(reg, REPO, TAG))!;
      await writeFile(join(out, 'manifest.json'), manifest.bytes);
      await writeFile(join(out, 'other-manifest.json'), `${new TextDecoder().decode(manifest.bytes)}\n`);
      // GnuPG homes in a short path: the agent socket must fit a Unix socket address.
      const work = (await run('mktemp', ['-d', '/tmp/pj-XXXXXX'])).stdout.trim();
      const homes = { good: join(work, 'g'), wrong: join(work, 'w') };
      const fpr = await newKey(homes.good, 'policy-judge');
      const wrongFpr = await newKey(homes.wrong, 'policy-judge-wrong');
      await gpg(homes.good, ['--output', join(out, 'key.gpg'), '--export', fpr]);
      await gpg(homes.wrong, ['--output', join(out, 'wrong-key.gpg'), '--export', wrongFpr]);
      const sign = async (home: string, key: string, manifestFile: string, claim: string, file: string) => {
        await run('skopeo', ['standalone-sign', '-o', join(out, file), join(out, manifestFile), claim, key], {
          env: { GNUPGHOME: home },
          timeoutMs: 60_000,
        });
        await breathe();
      };
      for (const [name, claim] of Object.entries(CLAIMS)) {
        await sign(homes.good, fpr, 'manifest.json', instantiate(claim, out, reg.host), `${name}.sig`);
      }
      await sign(homes.good, fpr, 'other-manifest.json', `${reg.host}/${REPO}:v1`, 'otherManifest.sig');
      await sign(homes.wrong, wrongFpr, 'manifest.json', `${reg.host}/${REPO}:v1`, 'wrongKey.sig');
      for (const home of Object.values(homes)) {
        await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { check: false }).catch(
          () => undefined,
        );
      }
      await run('rm', ['-rf', work]);

      const skopeo: Judged['skopeo'] = {};
      const why: Judged['why'] = {};
      const hex = pushed.digest.replace(':', '=');
      for (const [name, c] of Object.entries(cases)) {
        const caseDir = join(out, 'cases', name);
        const lookaside = join(caseDir, 'lookaside');
        await mkdir(join(lookaside, `${REPO}@${hex}`), { recursive: true });
        for (const [i, s] of c.sigs.entries()) {
          await writeFile(
            join(lookaside, `${REPO}@${hex}`, `signature-${i + 1}`),
            await readFile(join(out, `${s}.sig`)),
          );
        }
        await mkdir(join(caseDir, 'registries.d'));
        await writeFile(
          join(caseDir, 'registries.d', 'judge.yaml'),
          `docker:\n  ${reg.host}:\n    sigstore: file://${lookaside}\n`,
        );
        const keyData = (await readFile(join(out, 'key.gpg'))).toString('base64');
        await writeFile(
          join(caseDir, 'policy.json'),
          instantiate(JSON.stringify(c.policy), out, reg.host, pushed.digest, keyData),
        );
        const ref = c.by === 'tag' ? `${reg.host}/${REPO}:${TAG}` : `${reg.host}/${REPO}@${pushed.digest}`;
        const res = await run(
          'skopeo',
          [
            'copy',
            '--quiet',
            '--retry-times=0',
            '--policy',
            join(caseDir, 'policy.json'),
            '--registries.d',
            join(caseDir, 'registries.d'),
            '--src-tls-verify=false',
            `docker://${ref}`,
            `dir:${join(caseDir, 'copy')}`,
          ],
          { check: false, timeoutMs: 60_000 },
        );
        skopeo[name] = res.code === 0 ? 'accept' : 'reject';
        if (res.code !== 0) why[name] = res.stderr.trim().split('\n')[0] ?? '';
        await run('rm', ['-rf', join(caseDir, 'copy')]);
        await breathe();
      }
      await writeFile(
        join(out, 'judged.json'),
        JSON.stringify({ host: reg.host, digest: pushed.digest, skopeo, why }, null, 1),
      );
    } finally {
      await reg.stop();
    }
  });
  const judged = JSON.parse(await readFile(join(dir, 'judged.json'), 'utf8')) as Omit<Judged, 'dir'>;
  return { ...judged, dir };
}

const signedBy = (extra: object = {}) => ({
  type: 'signedBy',
  keyType: 'GPGKeys',
  keyPath: 'KEYS/key.gpg',
  ...extra,
});
const inRepo = (reqs: unknown[]) => ({
  default: [{ type: 'reject' }],
  transports: { docker: { [`HOST/${REPO}`]: reqs } },
});
const id = (signedIdentity: object) => inRepo([signedBy({ signedIdentity })]);
const ACCEPT = [{ type: 'insecureAcceptAnything' }];
const REJECT = [{ type: 'reject' }];
const scoped = (docker: Record<string, unknown>) => ({ default: ACCEPT, transports: { docker } });

/** Every case skopeo judges (one build for all the policy test files). */
export const CASES: Record<string, JudgeCase> = {
  // signedIdentity (policy_reference_match.go)
  'default-tag-exact': { policy: inRepo([signedBy()]), by: 'tag', sigs: ['tagged'] },
  'default-tag-otherTag': { policy: inRepo([signedBy()]), by: 'tag', sigs: ['otherTag'] },
  'default-tag-nameOnly': { policy: inRepo([signedBy()]), by: 'tag', sigs: ['nameOnly'] },
  'default-digest-otherTag': { policy: inRepo([signedBy()]), by: 'digest', sigs: ['otherTag'] },
  'default-digest-nameOnly': { policy: inRepo([signedBy()]), by: 'digest', sigs: ['nameOnly'] },
  'default-digest-otherRepo': { policy: inRepo([signedBy()]), by: 'digest', sigs: ['otherRepo'] },
  'matchExact-tag': { policy: id({ type: 'matchExact' }), by: 'tag', sigs: ['tagged'] },
  'matchExact-tag-otherTag': { policy: id({ type: 'matchExact' }), by: 'tag', sigs: ['otherTag'] },
  'matchExact-digest': { policy: id({ type: 'matchExact' }), by: 'digest', sigs: ['tagged'] },
  'matchRepoDigestOrExact-digest-nameOnly': {
    policy: id({ type: 'matchRepoDigestOrExact' }),
    by: 'digest',
    sigs: ['nameOnly'],
  },
  'matchRepository-otherTag': { policy: id({ type: 'matchRepository' }), by: 'tag', sigs: ['otherTag'] },
  'matchRepository-otherRepo': { policy: id({ type: 'matchRepository' }), by: 'tag', sigs: ['otherRepo'] },
  'exactReference-v2': {
    policy: id({ type: 'exactReference', dockerReference: `HOST/${REPO}:v2` }),
    by: 'tag',
    sigs: ['otherTag'],
  },
  'exactReference-v2-sig-v1': {
    policy: id({ type: 'exactReference', dockerReference: `HOST/${REPO}:v2` }),
    by: 'tag',
    sigs: ['tagged'],
  },
  'exactRepository-other': {
    policy: id({ type: 'exactRepository', dockerRepository: 'HOST/ns/other' }),
    by: 'tag',
    sigs: ['otherRepo'],
  },
  'exactRepository-other-sig-app': {
    policy: id({ type: 'exactRepository', dockerRepository: 'HOST/ns/other' }),
    by: 'tag',
    sigs: ['tagged'],
  },
  'remap-namespace': {
    policy: id({ type: 'remapIdentity', prefix: 'HOST/ns', signedPrefix: 'vendor.example/ns' }),
    by: 'tag',
    sigs: ['vendor'],
  },
  'remap-host': {
    policy: id({ type: 'remapIdentity', prefix: 'HOST', signedPrefix: 'vendor.example' }),
    by: 'tag',
    sigs: ['vendor'],
  },
  'remap-whole-name': {
    policy: id({ type: 'remapIdentity', prefix: `HOST/${REPO}`, signedPrefix: 'vendor.example/app' }),
    by: 'tag',
    sigs: ['vendorRoot'],
  },
  'remap-partial-component': {
    policy: id({ type: 'remapIdentity', prefix: 'HOST/ns/ap', signedPrefix: 'vendor.example/ns/ap' }),
    by: 'tag',
    sigs: ['vendor'],
  },
  'remap-not-applying': {
    policy: id({ type: 'remapIdentity', prefix: 'other.example', signedPrefix: 'vendor.example' }),
    by: 'tag',
    sigs: ['tagged'],
  },
  'remap-digest': {
    policy: id({ type: 'remapIdentity', prefix: 'HOST/ns', signedPrefix: 'vendor.example/ns' }),
    by: 'digest',
    sigs: ['vendor'],
  },
  'remap-digest-nameOnly': {
    policy: id({ type: 'remapIdentity', prefix: 'HOST/ns', signedPrefix: 'vendor.example/ns' }),
    by: 'digest',
    sigs: ['nameOnly'],
  },
  'remap-to-hub': {
    policy: id({ type: 'remapIdentity', prefix: 'HOST/ns', signedPrefix: 'docker.io/library' }),
    by: 'tag',
    sigs: ['hubLibrary'],
  },
  // signedBy keys and signatures, and the requirement list (policy_eval.go)
  keyPaths: {
    policy: inRepo([signedBy({ keyPath: undefined, keyPaths: ['KEYS/wrong-key.gpg', 'KEYS/key.gpg'] })]),
    by: 'tag',
    sigs: ['tagged'],
  },
  keyData: {
    policy: inRepo([signedBy({ keyPath: undefined, keyData: 'KEYDATA' })]),
    by: 'tag',
    sigs: ['tagged'],
  },
  'wrong-key': { policy: inRepo([signedBy({ keyPath: 'KEYS/wrong-key.gpg' })]), by: 'tag', sigs: ['tagged'] },
  'bad-then-good': { policy: inRepo([signedBy()]), by: 'tag', sigs: ['wrongKey', 'otherManifest', 'tagged'] },
  'other-manifest': { policy: inRepo([signedBy()]), by: 'tag', sigs: ['otherManifest'] },
  'no-signatures': { policy: inRepo([signedBy()]), by: 'tag', sigs: [] },
  'anything-then-signed': { policy: inRepo([...ACCEPT, signedBy()]), by: 'tag', sigs: ['tagged'] },
  'signed-then-reject': { policy: inRepo([signedBy(), ...REJECT]), by: 'tag', sigs: ['tagged'] },
  'insecure-unsigned': { policy: inRepo(ACCEPT), by: 'tag', sigs: [] },
  'signed-then-anything': { policy: inRepo([signedBy(), ...ACCEPT]), by: 'tag', sigs: ['tagged'] },
  'signed-base-layer': {
    policy: inRepo([{ type: 'signedBaseLayer', baseLayerIdentity: { type: 'matchRepository' } }]),
    by: 'tag',
    sigs: ['tagged'],
  },
  'x509-keyType': {
    policy: inRepo([signedBy({ keyType: 'X509Certificates' })]),
    by: 'tag',
    sigs: ['tagged'],
  },
  'missing-key': {
    policy: inRepo([signedBy({ keyPath: 'KEYS/no-such-key.gpg' })]),
    by: 'tag',
    sigs: ['tagged'],
  },
  'sigstore-signed': {
    policy: inRepo([{ type: 'sigstoreSigned', keyPath: 'KEYS/key.gpg' }]),
    by: 'tag',
    sigs: ['tagged'],
  },
  // Scopes, most specific first (docker/policyconfiguration)
  'scope-tag-over-repo': {
    policy: scoped({ [`HOST/${REPO}:v1`]: REJECT, [`HOST/${REPO}`]: ACCEPT }),
    by: 'tag',
    sigs: [],
  },
  'scope-digest-skips-tag': {
    policy: scoped({ [`HOST/${REPO}:v1`]: REJECT, [`HOST/${REPO}`]: ACCEPT }),
    by: 'digest',
    sigs: [],
  },
  'scope-digest': {
    policy: scoped({ [`HOST/${REPO}@DIGEST`]: REJECT, [`HOST/${REPO}`]: ACCEPT }),
    by: 'digest',
    sigs: [],
  },
  'scope-repo-over-namespace': {
    policy: scoped({ [`HOST/${REPO}`]: ACCEPT, 'HOST/ns': REJECT }),
    by: 'tag',
    sigs: [],
  },
  'scope-namespace': { policy: scoped({ 'HOST/ns': REJECT }), by: 'tag', sigs: [] },
  'scope-host': { policy: scoped({ HOST: REJECT }), by: 'tag', sigs: [] },
  'scope-host-needs-port': { policy: scoped({ '127.0.0.1': REJECT }), by: 'tag', sigs: [] },
  'scope-wildcard': { policy: scoped({ '*.0.1': REJECT }), by: 'tag', sigs: [] },
  'scope-host-over-wildcard': { policy: scoped({ HOST: ACCEPT, '*.0.1': REJECT }), by: 'tag', sigs: [] },
  'scope-transport-default': { policy: scoped({ '': REJECT }), by: 'tag', sigs: [] },
  'scope-other-repo': { policy: scoped({ 'HOST/ns/other': REJECT }), by: 'tag', sigs: [] },
};

export const judgeAll = (): Promise<Judged> => judge('policy-skopeo-judge-v2', CASES);

/** sigscan's decision on a judged case, with the same policy text, image and signatures. */
export async function sigscanDecision(j: Judged, name: string, now = new Date()): Promise<PolicyDecision> {
  const c = CASES[name]!;
  const keyData = (await readFile(join(j.dir, 'key.gpg'))).toString('base64');
  const policy = parsePolicy(instantiate(JSON.stringify(c.policy), j.dir, j.host, j.digest, keyData));
  const image = {
    registry: j.host,
    repository: REPO,
    tag: c.by === 'tag' ? TAG : undefined,
    digest: j.digest,
  };
  const sigs = await Promise.all(
    c.sigs.map(async (s) => new Uint8Array(await readFile(join(j.dir, `${s}.sig`)))),
  );
  return evaluatePolicy(policy, image, sigs, { now });
}

/** A decision with the fixture's paths, host and digest written as KEYS/, HOST and DIGEST, for exact comparison. */
export function generic(j: Judged, d: PolicyDecision): PolicyDecision {
  const g = (s: string) =>
    s.replaceAll(`${j.dir}/`, 'KEYS/').replaceAll(j.host, 'HOST').replaceAll(j.digest, 'DIGEST');
  return {
    ...d,
    scope: g(d.scope),
    reason: g(d.reason),
    ...(d.requirement ? { requirement: g(d.requirement) } : {}),
  };
}

/**
 * Does skopeo load each policy text? `skopeo copy --policy P oci:LAYOUT dir:OUT` of a local image: the
 * policies put what is tested in a docker scope that does not apply to the oci: image, whose transport
 * falls back to an insecureAcceptAnything default, so the copy fails only when the file does not parse.
 */
export async function judgeParse(
  recipe: string,
  policies: Record<string, string>,
): Promise<Record<string, { loads: boolean; why: string }>> {
  const dir = await cachedFixtureDir(recipe, async (out) => {
    await makeOciLayout(join(out, 'layout'), { seed: 'policy-parse-judge', tag: 'v1' });
    const answers: Record<string, { loads: boolean; why: string }> = {};
    for (const [name, text] of Object.entries(policies)) {
      const file = join(out, `${name}.json`);
      await writeFile(file, text);
      const res = await run(
        'skopeo',
        ['copy', '--quiet', '--policy', file, `oci:${join(out, 'layout')}:v1`, `dir:${join(out, 'copy')}`],
        { check: false, timeoutMs: 60_000 },
      );
      answers[name] = { loads: res.code === 0, why: res.stderr.trim().split('\n')[0] ?? '' };
      await run('rm', ['-rf', join(out, 'copy')]);
      await breathe();
    }
    await writeFile(join(out, 'answers.json'), JSON.stringify(answers, null, 1));
  });
  return JSON.parse(await readFile(join(dir, 'answers.json'), 'utf8')) as Record<
    string,
    { loads: boolean; why: string }
  >;
}
