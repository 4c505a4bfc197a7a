/**
 * Docker Content Trust against a real notary-server (in-memory storage, local signer, TLS with a test
 * CA) and the real `notary` client: images pushed to a loopback docker-registry, their tags signed by
 * hash in the GUN `<registry>/<repository>`, one tag through a `targets/releases` delegation with an
 * RSA x509 key, one tag signed with a hash the registry does not serve. The scan goes through the
 * engine with a NotaryService in `services.notary`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson } from '../helpers/cli.js';
import { detectorsFor } from '../../src/detectors/index.js';
import type { TargetResult } from '../../src/model/index.js';
import { NotaryService } from '../../src/oci/notary/client.js';
import { parseScope } from '../../src/oci/reference.js';
import { RegistryClient } from '../../src/oci/registry/client.js';
import { HttpTransport } from '../../src/oci/registry/transport.js';
import { runScan } from '../../src/scan/engine.js';
import { registryJobs } from '../../src/sources/registry.js';
import { emptyTrustConfig, type TrustConfig } from '../../src/trust/config.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { makeAndPushImage, type PushedImage } from '../helpers/images.js';
import { startNotaryServer, type TestNotary } from '../helpers/notary.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

describe('Docker Content Trust with notary-server and the notary client', () => {
  let reg: TestRegistry;
  let notary: TestNotary;
  let gun: string;
  let v1: PushedImage;
  let v2: PushedImage;
  let moved: PushedImage;
  let rootKeyFile: string;
  let rootJsonFile: string;
  let rootKeyIds: string[];
  let targetsKeyId: string;

  beforeAll(async () => {
    reg = await startRegistry();
    notary = await startNotaryServer();
    v1 = await makeAndPushImage(reg, join(notary.dir, 'l1'), 'dct/app', 'v1', { seed: 'dct-v1' });
    v2 = await makeAndPushImage(reg, join(notary.dir, 'l2'), 'dct/app', 'v2', { seed: 'dct-v2' });
    moved = await makeAndPushImage(reg, join(notary.dir, 'l3'), 'dct/app', 'moved', { seed: 'dct-moved' });
    await makeAndPushImage(reg, join(notary.dir, 'l4'), 'dct/app', 'unsigned', { seed: 'dct-unsigned' });
    gun = `${reg.host}/dct/app`;
    const hex = (d: string): string => d.slice('sha256:'.length);

    await notary.client(['init', gun]);
    await notary.client(['addhash', gun, 'v1', String(v1.size), '--sha256', hex(v1.digest)]);
    // Signed as it was before the tag moved: the hash is v1's, the registry serves another manifest.
    await notary.client(['addhash', gun, 'moved', String(v1.size), '--sha256', hex(v1.digest)]);
    await notary.client(['publish', gun]);

    const delKey = join(notary.dir, 'releases.key');
    const delCrt = join(notary.dir, 'releases.crt');
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', delKey, '-out', delCrt,
      '-days', '2', '-subj', '/CN=sigscan releaser',
    ]); // prettier-ignore
    await notary.client(['delegation', 'add', gun, 'targets/releases', delCrt, '--all-paths']);
    await notary.client(['publish', gun]);
    await notary.client(['key', 'import', delKey, '--role', 'targets/releases']);
    await notary.client([
      'addhash',
      gun,
      'v2',
      String(v2.size),
      '--sha256',
      hex(v2.digest),
      '--roles',
      'targets/releases',
    ]);
    await notary.client(['publish', gun]);

    // Out-of-band pin: the root key certificate from the publisher's own trust dir.
    rootJsonFile = join(notary.trustDir, 'tuf', gun, 'metadata', 'root.json');
    const root = JSON.parse(await readFile(rootJsonFile, 'utf8')) as {
      signed: {
        keys: Record<string, { keytype: string; keyval: { public: string } }>;
        roles: Record<string, { keyids: string[] }>;
      };
    };
    rootKeyIds = root.signed.roles['root']!.keyids;
    targetsKeyId = root.signed.roles['targets']!.keyids[0]!;
    const rootKey = root.signed.keys[rootKeyIds[0]!]!;
    expect(rootKey.keytype).toBe('ecdsa-x509');
    rootKeyFile = join(notary.dir, 'root.crt');
    await writeFile(rootKeyFile, Buffer.from(rootKey.keyval.public, 'base64'));
  }, 180_000);

  afterAll(async () => {
    await notary?.stop();
    await reg?.stop();
    await closeAgents();
  });

  async function scan(config: TrustConfig): Promise<Map<string, TargetResult>> {
    const transport = new HttpTransport({ concurrency: 4, retryBaseMs: 10 });
    const scope = parseScope(`${reg.host}/dct/app`);
    const client = new RegistryClient({
      registry: scope.registry,
      plainHttp: true,
      transport,
      maxManifestBytes: DEFAULT_LIMITS.maxManifestBytes,
      maxPages: DEFAULT_LIMITS.maxPages,
    });
    const service = new NotaryService({ serverUrl: notary.url, caFile: notary.caFile });
    const out = new Map<string, TargetResult>();
    try {
      for await (const r of runScan(registryJobs(client, { scope, scanErrors: [] }), {
        detectors: detectorsFor,
        trust: new TrustEvaluator(config),
        concurrency: 4,
        limits: DEFAULT_LIMITS,
        log: silentLogger,
        services: { notary: service },
      })) {
        if (r.target.kind === 'image') out.set(r.target.tag ?? r.target.digest, r);
      }
    } finally {
      await service.close();
      await transport.close();
    }
    return out;
  }

  const tuf = (r: TargetResult | undefined) => r?.signatures.filter((s) => s.evidence.family === 'tuf') ?? [];

  it('finds the signed tags with their roles and key ids, verified against the pinned root key', async () => {
    const config: TrustConfig = { ...emptyTrustConfig(), tufRoots: [rootKeyFile] };
    const results = await scan(config);

    const s1 = tuf(results.get('v1'));
    expect(s1).toHaveLength(1);
    expect(s1[0]!.evidence.details).toMatchObject({
      gun,
      target: 'v1',
      role: 'targets',
      signingKeyIds: [targetsKeyId],
      rootKeyIds,
      rootCertificateSubjects: [`CN=${gun}`],
    });
    expect(s1[0]!.evidence.claims?.subjectDigest).toBe(v1.digest);
    expect(s1[0]!.verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });

    const s2 = tuf(results.get('v2'));
    expect(s2).toHaveLength(1);
    expect(s2[0]!.evidence.details).toMatchObject({ role: 'targets/releases', keyTypes: ['rsa-x509'] });
    expect(s2[0]!.evidence.signer.subject).toBe('CN=sigscan releaser');
    expect(s2[0]!.evidence.algorithm).toBe('rsapss');
    expect(s2[0]!.verdict.status).toBe('verified');

    const sm = tuf(results.get('moved'));
    expect(sm).toHaveLength(1);
    expect(sm[0]!.verdict).toMatchObject({ status: 'invalid', code: 'TUF_DIGEST_MISMATCH' });
    expect(sm[0]!.verdict.message).toContain(moved.digest);

    expect(tuf(results.get('unsigned'))).toHaveLength(0);
  }, 120_000);

  it('verifies with a pinned root.json the user supplies', async () => {
    const config: TrustConfig = { ...emptyTrustConfig(), tufRoots: [rootJsonFile] };
    const results = await scan(config);
    expect(tuf(results.get('v1'))[0]!.verdict.status).toBe('verified');
    expect(tuf(results.get('v2'))[0]!.verdict.status).toBe('verified');
  }, 120_000);

  it('is wired to the CLI: --notary-server with --tuf-root', async () => {
    const { report } = await sigscanJson([
      'repo',
      `${reg.host}/dct/app:v1`,
      '--plain-http',
      '--notary-server',
      notary.url,
      '--ca-file',
      notary.caFile,
      '--tuf-root',
      rootJsonFile,
      '--tuf-cache',
      join(notary.dir, 'tuf-cache'),
    ]);
    const sig = report.targets[0]!.signatures.find((x) => x.family === 'tuf')!;
    expect(sig.verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
  }, 120_000);

  it('reports unverified when no root is pinned (trust on first use is not trust)', async () => {
    const results = await scan(emptyTrustConfig());
    const s1 = tuf(results.get('v1'))[0]!;
    expect(s1.verdict).toMatchObject({ status: 'unverified', code: 'TUF_ROOT_NOT_PINNED' });
    expect(s1.verdict.message).toContain('internally consistent');
    // The digest mismatch is an integrity fact whatever the trust roots say.
    expect(tuf(results.get('moved'))[0]!.verdict.status).toBe('invalid');
  }, 120_000);

  it('is untrusted when the pinned key is not the root key', async () => {
    const other = join(notary.dir, 'other.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(notary.dir, 'other.key'), '-out', other, '-days', '1', '-subj', '/CN=other']); // prettier-ignore
    const config: TrustConfig = { ...emptyTrustConfig(), tufRoots: [other] };
    const results = await scan(config);
    expect(tuf(results.get('v1'))[0]!.verdict).toMatchObject({
      status: 'untrusted',
      code: 'TUF_ROOT_NOT_PINNED',
    });
  }, 120_000);

  it('the NotaryService returns undefined for a GUN without trust data', async () => {
    const service = new NotaryService({ serverUrl: notary.url, caFile: notary.caFile });
    try {
      expect(await service.repository(`${reg.host}/nothing/here`)).toBeUndefined();
      const files = await service.repository(gun);
      expect(Object.keys(files!.delegations!)).toEqual(['targets/releases']);
    } finally {
      await service.close();
    }
  });
});
