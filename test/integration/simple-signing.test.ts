/**
 * Simple signing against a real registry and real `skopeo copy --sign-by` signatures: skopeo signs
 * with a throw-away GnuPG key and writes the signature to the lookaside staging directory named in a
 * registries.d file; a tiny node:http file server publishes that directory on loopback as the
 * lookaside. The scan runs through the engine with a SimpleSigningService built from the same
 * registries.d directory.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { detectorsFor } from '../../src/detectors/index.js';
import { SimpleSigningService } from '../../src/detectors/simple-signing-service.js';
import type { SignatureResult, TargetResult } from '../../src/model/index.js';
import { parseScope } from '../../src/oci/reference.js';
import { RegistryClient } from '../../src/oci/registry/client.js';
import { HttpTransport } from '../../src/oci/registry/transport.js';
import { runScan } from '../../src/scan/engine.js';
import { registryJobs } from '../../src/sources/registry.js';
import { emptyTrustConfig, type TrustConfig } from '../../src/trust/config.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { makeOciLayout, skopeoDestFlags } from '../helpers/images.js';
import { closeAgents, getManifest } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

describe('simple signing with skopeo --sign-by, a lookaside over HTTP and over file://', () => {
  let reg: TestRegistry;
  let work: string;
  let gnupg: string;
  let fingerprint: string;
  let pubKey: string;
  let otherKey: string;
  let lookasideDir: string;
  let httpRegistriesD: string;
  let fileRegistriesD: string;
  let server: Server;
  let lookasideUrl: string;
  let signedDigest: string;
  let movedDigest: string;

  async function gpg(home: string, args: string[]): Promise<string> {
    return (await run('gpg', ['--homedir', home, '--batch', ...args], { timeoutMs: 60_000 })).stdout;
  }

  async function makeKey(home: string, uid: string): Promise<string> {
    await mkdir(home, { recursive: true, mode: 0o700 });
    await gpg(home, [
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--quick-gen-key',
      uid,
      'rsa3072',
      'sign',
      'never',
    ]);
    const colons = await gpg(home, ['--with-colons', '--list-keys', uid]);
    return /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
  }

  async function push(repo: string, seed: string, sign: boolean): Promise<string> {
    const layout = join(work, `layout-${repo}`);
    await makeOciLayout(layout, { seed, tag: 'v1' });
    await run(
      'skopeo',
      [
        '--insecure-policy',
        '--registries.d',
        httpRegistriesD,
        'copy',
        '--quiet',
        '--retry-times=0',
        ...(sign ? ['--sign-by', fingerprint] : []),
        ...skopeoDestFlags(reg),
        `oci:${layout}:v1`,
        `docker://${reg.host}/${repo}:v1`,
      ],
      { env: { GNUPGHOME: gnupg }, timeoutMs: 60_000 },
    );
    const m = await getManifest(reg, repo, 'v1');
    return m!.digest;
  }

  beforeAll(async () => {
    reg = await startRegistry();
    work = await mkdtemp(join(tmpdir(), 'sigscan-ss-'));
    gnupg = join(work, 'gnupg');
    lookasideDir = join(work, 'lookaside');
    await mkdir(lookasideDir);
    fingerprint = await makeKey(gnupg, 'sigscan simple-signing test <signer@example.test>');
    pubKey = join(work, 'signer.gpg');
    await gpg(gnupg, ['--output', pubKey, '--export', fingerprint]);
    const otherHome = join(work, 'gnupg-other');
    const otherFpr = await makeKey(otherHome, 'someone else <other@example.test>');
    otherKey = join(work, 'other.asc');
    await gpg(otherHome, ['--armor', '--output', otherKey, '--export', otherFpr]);
    await run('gpgconf', ['--homedir', otherHome, '--kill', 'gpg-agent'], { check: false });

    // The lookaside: a plain static file server over the staging directory skopeo writes to.
    server = createServer((req, res) => {
      const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const path = normalize(join(lookasideDir, rel));
      if (!path.startsWith(lookasideDir + sep)) {
        res.writeHead(403).end();
        return;
      }
      readFile(path).then(
        (body) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    lookasideUrl = `http://127.0.0.1:${addr.port}`;

    httpRegistriesD = join(work, 'registries.d');
    await mkdir(httpRegistriesD);
    await writeFile(
      join(httpRegistriesD, 'test.yaml'),
      `docker:\n  ${reg.host}:\n    lookaside: ${lookasideUrl}\n    lookaside-staging: ${pathToFileURL(lookasideDir).href}\n`,
    );
    fileRegistriesD = join(work, 'registries-file.d');
    await mkdir(fileRegistriesD);
    // Old key name `sigstore`, scoped to one repository.
    await writeFile(
      join(fileRegistriesD, 'file.yaml'),
      `docker:\n  ${reg.host}/signed:\n    sigstore: ${pathToFileURL(lookasideDir).href}\n`,
    );

    signedDigest = await push('signed', 'simple-signing-signed', true);
    movedDigest = await push('moved', 'simple-signing-moved', false);
    await push('unsigned', 'simple-signing-unsigned', false);
    // A copy of the good signature on another image's lookaside path.
    const from = join(lookasideDir, `signed@${signedDigest.replace(':', '=')}`, 'signature-1');
    const to = join(lookasideDir, `moved@${movedDigest.replace(':', '=')}`);
    await mkdir(to, { recursive: true });
    await copyFile(from, join(to, 'signature-1'));
  }, 240_000);

  afterAll(async () => {
    await run('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent'], { check: false }).catch(
      () => undefined,
    );
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function scan(
    ref: string,
    opts: { keyrings?: string[]; policy?: string; registriesD?: string } = {},
  ): Promise<TargetResult[]> {
    const service = await SimpleSigningService.create({
      registriesDirs: [opts.registriesD ?? httpRegistriesD],
      gpgKeyrings: opts.keyrings ?? [],
      builtinDefault: false,
    });
    const transport = new HttpTransport({ concurrency: 4, retryBaseMs: 10 });
    const scope = parseScope(ref);
    const client = new RegistryClient({
      registry: scope.registry,
      plainHttp: true,
      transport,
      maxManifestBytes: DEFAULT_LIMITS.maxManifestBytes,
      maxPages: DEFAULT_LIMITS.maxPages,
    });
    const config: TrustConfig = {
      ...emptyTrustConfig(),
      gpgKeyrings: opts.keyrings ?? [],
      policyFile: opts.policy,
    };
    const results: TargetResult[] = [];
    try {
      for await (const r of runScan(registryJobs(client, { scope, scanErrors: [] }), {
        detectors: detectorsFor,
        trust: new TrustEvaluator(config),
        concurrency: 4,
        limits: DEFAULT_LIMITS,
        log: silentLogger,
        services: { simpleSigning: service },
      })) {
        results.push(r);
      }
    } finally {
      await transport.close();
      await service.close();
    }
    return results;
  }

  function simpleSigs(results: TargetResult[]): SignatureResult[] {
    expect(results).toHaveLength(1);
    expect(results[0]!.errors).toEqual([]);
    return results[0]!.signatures.filter((s) => s.evidence.family === 'simple-signing');
  }

  it('finds the skopeo signature at the lookaside URL and verifies it with the exported key', async () => {
    const sigs = simpleSigs(await scan(`${reg.host}/signed:v1`, { keyrings: [pubKey] }));
    expect(sigs).toHaveLength(1);
    const [sig] = sigs;
    expect(sig!.evidence.location).toBe(
      `${lookasideUrl}/signed@${signedDigest.replace(':', '=')}/signature-1`,
    );
    expect(sig!.evidence.claims).toEqual({ subjectDigest: signedDigest, identity: `${reg.host}/signed:v1` });
    expect(sig!.evidence.signer.keyId).toBe(fingerprint);
    expect(sig!.evidence.signer.subject).toBe('sigscan simple-signing test <signer@example.test>');
    expect(sig!.evidence.details?.['creator']).toMatch(/^atomic /);
    expect(sig!.verdict, sig!.verdict.message).toMatchObject({
      status: 'verified',
      code: 'SIGNED_BY_TRUSTED_KEY',
    });
  }, 60_000);

  it('another keyring leaves it untrusted; no keyring leaves it unverified', async () => {
    const [wrong] = simpleSigs(await scan(`${reg.host}/signed:v1`, { keyrings: [otherKey] }));
    expect(wrong!.verdict).toMatchObject({ status: 'untrusted', code: 'UNKNOWN_SIGNER' });
    expect(wrong!.verdict.message).toContain(fingerprint);
    const [none] = simpleSigs(await scan(`${reg.host}/signed:v1`));
    expect(none!.verdict).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
  }, 60_000);

  it('a signature copied onto another image is invalid (digest mismatch)', async () => {
    const sigs = simpleSigs(await scan(`${reg.host}/moved:v1`, { keyrings: [pubKey] }));
    expect(sigs).toHaveLength(1);
    expect(sigs[0]!.evidence.location).toContain(`/moved@${movedDigest.replace(':', '=')}/signature-1`);
    expect(sigs[0]!.verdict).toMatchObject({ status: 'invalid', code: 'CLAIM_DIGEST_MISMATCH' });
  }, 60_000);

  it('an unsigned image has no simple signature (404 on signature-1)', async () => {
    expect(simpleSigs(await scan(`${reg.host}/unsigned:v1`, { keyrings: [pubKey] }))).toEqual([]);
  }, 60_000);

  it('reads a file:// lookaside configured with the old `sigstore` key', async () => {
    const sigs = simpleSigs(
      await scan(`${reg.host}/signed:v1`, { keyrings: [pubKey], registriesD: fileRegistriesD }),
    );
    expect(sigs).toHaveLength(1);
    expect(sigs[0]!.evidence.location).toBe(
      `${pathToFileURL(lookasideDir).href}/signed@${signedDigest.replace(':', '=')}/signature-1`,
    );
    expect(sigs[0]!.verdict.status).toBe('verified');
  }, 60_000);

  it('reports containers policy decisions: signedBy accepts, reject rejects', async () => {
    const policy = join(work, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        default: [{ type: 'reject' }],
        transports: {
          docker: {
            [`${reg.host}/signed`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: pubKey }],
            [`${reg.host}/moved`]: [
              {
                type: 'signedBy',
                keyType: 'GPGKeys',
                keyPath: pubKey,
                signedIdentity: { type: 'matchRepository' },
              },
            ],
          },
        },
      }),
    );
    // The policy alone supplies the key.
    const [ok] = simpleSigs(await scan(`${reg.host}/signed:v1`, { policy }));
    expect(ok!.verdict.status).toBe('verified');
    expect(ok!.verdict.message).toContain(
      `containers policy accepts the image (docker:${reg.host}/signed, signedBy GPGKeys`,
    );
    const [moved] = simpleSigs(await scan(`${reg.host}/moved:v1`, { policy }));
    expect(moved!.verdict.code).toBe('CLAIM_DIGEST_MISMATCH');
    expect(moved!.verdict.message).toContain('containers policy rejects the image');

    const rejecting = join(work, 'reject.json');
    await writeFile(
      rejecting,
      JSON.stringify({
        default: [{ type: 'insecureAcceptAnything' }],
        transports: { docker: { [reg.host]: [{ type: 'reject' }] } },
      }),
    );
    const [rejected] = simpleSigs(
      await scan(`${reg.host}/signed:v1`, { keyrings: [pubKey], policy: rejecting }),
    );
    expect(rejected!.verdict).toMatchObject({ status: 'untrusted', code: 'POLICY_REJECTED' });
    expect(rejected!.verdict.message).toContain(`docker:${reg.host}, reject`);
  }, 60_000);
});
