/**
 * The transparency log is required by default, as cosign 2.x requires it (issue #11): a signature
 * verified with a `--key`, or with a certificate chaining to a private `--trust-root`, that carries no
 * Rekor entry is `untrusted TLOG_MISSING`, on `.sig` tags, `.att` attestations, blob `.sig` sidecars,
 * cosign `--bundle` sidecars and Sigstore bundles. `--insecure-ignore-tlog` brings the old verdict back,
 * and the verdict message and `scan.insecureIgnoreTlog` say so. Real cosign 2.5 is the oracle on the same
 * inputs: `--offline` it refuses each of them, and accepts each with `--insecure-ignore-tlog`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { makeEcCa } from '../helpers/cosign-pki.js';
import {
  cosign,
  cosignAttest,
  cosignKeypair,
  cosignRegistryFlags,
  cosignSign,
  ensureCosign,
  type CosignKeypair,
} from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';
import { reportSchemaErrors } from '../report/helpers.js';

type Verdict = JsonTarget['signatures'][number]['verdict'];
const WAIVED = 'transparency log not required (--insecure-ignore-tlog)';
/** Why cosign refuses offline: the log it must consult, not the signature or the key. */
const TLOG_REFUSAL = /offline verification failed|tlog|transparency log|rekor/i;
/** cosign verify-blob reads a new-format bundle only with trusted material; offline, from this file. */
const PRODUCTION_ROOT = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');

describe('the transparency log is required for key and private-PKI signatures (cosign 2.x)', () => {
  let reg: TestRegistry;
  let work: string;
  let blobs: string;
  let keys: CosignKeypair;
  let image: PushedLayoutImage;
  let pkiImage: PushedLayoutImage;
  let ca: string;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-tlog-'));
    reg = await startRegistry();
    keys = await cosignKeypair(work);
    image = await makeAndPushImage(reg, join(work, 'l1'), 'tl/app', 'v1', { seed: 'tlog-app' });
    pkiImage = await makeAndPushImage(reg, join(work, 'l2'), 'tl/pki', 'v1', { seed: 'tlog-pki' });

    // Every signature below is made with --tlog-upload=false (the helpers' default): no Rekor entry.
    await cosignSign(reg, `tl/app@${image.digest}`, keys.key);
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ purpose: 'tlog test' }));
    await cosignAttest(reg, `tl/app@${image.digest}`, keys.key, predicate);
    ca = await makeEcCa(work, 'tl', '/CN=tl CA/O=Example Corp');
    // A code-signing leaf for the cosign key, with an email SAN: cosign matches identities on SANs only.
    const leaf = join(work, 'tl-leaf.pem');
    await run('openssl', [
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(work, 'tl-leaf.tmpkey'), '-out', join(work, 'tl-leaf.csr'), '-subj', '/O=Example Corp/CN=tl-release',
    ]); // prettier-ignore
    await writeFile(
      join(work, 'tl-leaf.ext'),
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=email:release@example.com\n',
    );
    await run('openssl', [
      'x509', '-req', '-in', join(work, 'tl-leaf.csr'), '-force_pubkey', keys.pub, '-CA', `${ca}.pem`,
      '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', leaf, '-days', '10', '-extfile', join(work, 'tl-leaf.ext'),
    ]); // prettier-ignore
    await cosignSign(reg, `tl/pki@${pkiImage.digest}`, keys.key, {
      extraArgs: [`--certificate=${leaf}`, `--certificate-chain=${ca}.pem`],
    });

    blobs = join(work, 'blobs');
    await mkdir(blobs);
    for (const f of ['legacy.bin', 'bundle.bin', 'plain.bin'])
      await writeFile(join(blobs, f), `${f} bytes\n`);
    const signBlob = (file: string, extra: string[]) =>
      cosign(['sign-blob', `--key=${keys.key}`, '--tlog-upload=false', '--yes', ...extra, join(blobs, file)]);
    // cosign's own --bundle JSON ({base64Signature, rekorBundle}: no rekorBundle here) and a Sigstore bundle.
    await signBlob('legacy.bin', [`--bundle=${join(blobs, 'legacy.bin.sigstore.json')}`]);
    await signBlob('bundle.bin', [
      '--new-bundle-format',
      `--bundle=${join(blobs, 'bundle.bin.sigstore.json')}`,
    ]);
    await signBlob('plain.bin', [`--output-signature=${join(blobs, 'plain.bin.sig')}`]);
  }, 240_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const scanFlag = (report: JsonReport) =>
    (report as unknown as { scan: { insecureIgnoreTlog?: boolean } }).scan.insecureIgnoreTlog;

  async function repoVerdicts(repo: string, trust: string[]) {
    const { report } = await sigscanJson(['repo', `${reg.host}/${repo}`, '--plain-http', ...trust]);
    const sigs = report.targets.find((t) => t.tag === 'v1')!.signatures;
    const of = (family: string): Verdict | undefined => sigs.find((s) => s.family === family)?.verdict;
    return { report, sig: of('cosign')!, att: of('cosign-attestation') };
  }

  async function blobVerdicts(trust: string[]) {
    const { report } = await sigscanJson(['fs', blobs, ...trust]);
    const of = (name: string): Verdict => {
      const t = report.targets.find((x) => x.path?.endsWith(`/${name}`));
      if (!t) throw new Error(`no target ${name}`);
      return t.signatures[0]!.verdict;
    };
    return { report, legacy: of('legacy.bin'), bundle: of('bundle.bin'), plain: of('plain.bin') };
  }

  /** cosign's verdict: exit 0 accepts; offline without an entry it must refuse. */
  const keyImage = (extra: string[]) => [
    `--key=${keys.pub}`,
    ...extra,
    ...cosignRegistryFlags(reg),
    `${reg.host}/tl/app@${image.digest}`,
  ];

  it('.sig signed with --key and no Rekor entry: cosign verify --offline refuses, sigscan says untrusted TLOG_MISSING', async () => {
    const theirs = await cosign(['verify', '--offline=true', ...keyImage([])], { check: false });
    expect(theirs.code, theirs.stderr).not.toBe(0);
    expect(theirs.stderr).toMatch(TLOG_REFUSAL);
    const { report, sig } = await repoVerdicts('tl/app', ['--key', keys.pub]);
    expect(sig).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(sig.message).toMatch(/no transparency-log \(Rekor\) entry.*--insecure-ignore-tlog/);
    expect(scanFlag(report)).toBeUndefined();
  });

  it('.sig with --insecure-ignore-tlog: both accept, and the verdict and scan record say the log was waived', async () => {
    const theirs = await cosign(['verify', '--insecure-ignore-tlog=true', ...keyImage([])], { check: false });
    expect(theirs.code, theirs.stderr).toBe(0);
    const { report, sig } = await repoVerdicts('tl/app', ['--key', keys.pub, '--insecure-ignore-tlog']);
    expect(sig).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(sig.message).toContain(WAIVED);
    expect(scanFlag(report)).toBe(true);
    expect(reportSchemaErrors(report)).toEqual([]);
  });

  it('.att signed with --key: cosign verify-attestation --offline refuses and sigscan says TLOG_MISSING; both accept with the waiver', async () => {
    const att = (extra: string[]) =>
      cosign(['verify-attestation', '--type=custom', ...keyImage(extra)], { check: false });
    const strict = await att(['--offline=true']);
    expect(strict.code, strict.stderr).not.toBe(0);
    expect(strict.stderr).toMatch(TLOG_REFUSAL);
    expect((await repoVerdicts('tl/app', ['--key', keys.pub])).att).toMatchObject({
      status: 'untrusted',
      code: 'TLOG_MISSING',
    });
    const waived = await att(['--insecure-ignore-tlog=true']);
    expect(waived.code, waived.stderr).toBe(0);
    const ours = (await repoVerdicts('tl/app', ['--key', keys.pub, '--insecure-ignore-tlog'])).att!;
    expect(ours).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(ours.message).toContain(WAIVED);
  });

  it('a private-PKI certificate (--trust-root / --ca-roots) without a Rekor entry: refused by both unless the log is waived', async () => {
    const pol = [
      `--ca-roots=${ca}.pem`,
      // A private CA logs to no CT log: sigscan asks no SCT of --trust-root certificates either.
      '--insecure-ignore-sct=true',
      '--certificate-identity=release@example.com',
      '--certificate-oidc-issuer-regexp=.*',
    ];
    const ref = `${reg.host}/tl/pki@${pkiImage.digest}`;
    const theirs = (extra: string[]) =>
      cosign(['verify', ...pol, ...extra, ...cosignRegistryFlags(reg), ref], { check: false });
    const strict = await theirs(['--offline=true']);
    expect(strict.code, strict.stderr).not.toBe(0);
    expect(strict.stderr).toMatch(TLOG_REFUSAL);
    const ours = (await repoVerdicts('tl/pki', ['--trust-root', `${ca}.pem`])).sig;
    expect(ours).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(ours.message).toContain('CN=tl-release');
    const waived = await theirs(['--insecure-ignore-tlog=true']);
    expect(waived.code, waived.stderr).toBe(0);
    const ok = (await repoVerdicts('tl/pki', ['--trust-root', `${ca}.pem`, '--insecure-ignore-tlog'])).sig;
    expect(ok).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(ok.message).toContain(WAIVED);
  });

  it('blobs: cosign verify-blob --offline refuses the --bundle, the Sigstore bundle and the bare .sig; sigscan fs says TLOG_MISSING for each', async () => {
    const verifyBlob = (file: string, how: string[], extra: string[]) =>
      cosign(['verify-blob', `--key=${keys.pub}`, ...how, ...extra, join(blobs, file)], { check: false });
    const inputs: Array<[string, string[]]> = [
      ['legacy.bin', [`--bundle=${join(blobs, 'legacy.bin.sigstore.json')}`]],
      [
        'bundle.bin',
        [
          '--new-bundle-format',
          `--bundle=${join(blobs, 'bundle.bin.sigstore.json')}`,
          `--trusted-root=${PRODUCTION_ROOT}`,
        ],
      ],
      ['plain.bin', [`--signature=${join(blobs, 'plain.bin.sig')}`]],
    ];
    for (const [file, how] of inputs) {
      const strict = await verifyBlob(file, how, ['--offline=true']);
      expect(strict.code, `${file}: ${strict.stderr}`).not.toBe(0);
      expect(strict.stderr, file).toMatch(TLOG_REFUSAL);
      const waived = await verifyBlob(file, how, ['--insecure-ignore-tlog=true']);
      expect(waived.code, `${file}: ${waived.stderr}`).toBe(0);
    }
    const strict = await blobVerdicts(['--key', keys.pub]);
    for (const v of [strict.legacy, strict.bundle, strict.plain]) {
      expect(v, v.message).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    }
    expect(scanFlag(strict.report)).toBeUndefined();
    const waived = await blobVerdicts(['--key', keys.pub, '--insecure-ignore-tlog']);
    for (const v of [waived.legacy, waived.bundle, waived.plain]) {
      expect(v, v.message).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
      expect(v.message).toContain(WAIVED);
    }
    expect(scanFlag(waived.report)).toBe(true);
  });

  it('the waiver never makes another key verify', async () => {
    const other = await cosignKeypair(await mkdtemp(join(work, 'other-')));
    const { sig, att } = await repoVerdicts('tl/app', ['--key', other.pub, '--insecure-ignore-tlog']);
    expect(sig).toMatchObject({ status: 'untrusted', code: 'KEY_NOT_TRUSTED' });
    expect(att).toMatchObject({ status: 'untrusted', code: 'KEY_NOT_TRUSTED' });
  });
});
