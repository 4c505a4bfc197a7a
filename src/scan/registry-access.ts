import { readFile } from 'node:fs/promises';

import type { DetectServices } from '../detectors/detector.js';
import { SimpleSigningService } from '../detectors/simple-signing-service.js';
import { SigscanError } from '../errors.js';
import { apiHost } from '../oci/reference.js';
import { NotaryService } from '../oci/notary/client.js';
import { RegistryClient } from '../oci/registry/client.js';
import { resolveCredential, type Credential } from '../oci/registry/credentials.js';
import { RealmPolicy } from '../oci/registry/realm.js';
import { RequestStats } from '../oci/registry/stats.js';
import { HttpTransport } from '../oci/registry/transport.js';
import type { Limits } from '../util/limits.js';
import { CoverageTracker } from './coverage.js';
import type { CommonPlan, RegistryAccess } from './run.js';

/** Docker's default notary for Docker Hub images, as `docker trust inspect` uses it. */
export const DOCKER_HUB_NOTARY = 'https://notary.docker.io';

// Loaded only by registry scans: undici, openpgp (lookaside keyrings) and the notary client are a third
// of a file scan's start-up otherwise.
/**
 * One transport (pools, retries, stats) for the scan and one client per registry host, made on first use.
 * `registries` are the hosts the scan will visit: when all are Docker Hub, its default notary is used
 * without --notary-server, as docker does.
 */
export async function openRegistryAccess(
  plan: RegistryAccess & CommonPlan,
  limits: Limits,
  registries: readonly string[] = [],
) {
  if (plan.insecure) plan.log.warn('TLS certificate verification is OFF for this scan (--insecure)');
  const ca = plan.caFile ? await readCaFile(plan.caFile) : undefined;
  const stats = new RequestStats();
  const transport = new HttpTransport({
    ca,
    insecure: plan.insecure,
    concurrency: plan.concurrency,
    rps: plan.rps,
    stats,
    retryBaseMs: plan.retryBaseMs,
    timeoutMs: plan.timeoutMs,
  });
  const clients = new Map<string, Promise<RegistryClient>>();
  const credentials = new Map<string, Promise<Credential | undefined>>();
  const credential = (registry: string): Promise<Credential | undefined> => {
    let pending = credentials.get(registry);
    if (!pending) {
      pending = resolveCredential(registry, {
        username: plan.username,
        password: plan.password,
        dockerConfig: plan.dockerConfig,
      });
      credentials.set(registry, pending);
    }
    return pending;
  };
  // Simple signing lives outside the registry (lookaside stores from registries.d), so it has its own client.
  const simpleSigning = await SimpleSigningService.create({
    registriesDirs: plan.trust?.registriesDirs,
    gpgKeyrings: plan.trust?.gpgKeyrings,
    ca,
    timeoutMs: plan.timeoutMs,
  });
  const notaryServer =
    plan.notaryServer ??
    (registries.length > 0 && registries.every((r) => apiHost(r) === 'registry-1.docker.io')
      ? DOCKER_HUB_NOTARY
      : undefined);
  let notary: NotaryService | undefined;
  if (notaryServer) {
    const host = new URL(notaryServer).host;
    notary = new NotaryService({
      serverUrl: notaryServer,
      // The scan's transport: --timeout, --rps, TLS options and --stats apply to the notary server too.
      transport,
      auth: { realms: new RealmPolicy(plan.authRealmHosts), warn: (m) => plan.log.warn(m) },
      credential: await resolveCredential(host, {
        username: plan.username,
        password: plan.password,
        dockerConfig: plan.dockerConfig,
      }),
    });
  }
  return {
    stats,
    transport,
    coverage: new CoverageTracker({
      source: 'registry',
      notaryServer,
      annotationSignatures: plan.annotationSignatures,
      simpleSigning,
    }),
    /** System defaults that were read because no flag named them. */
    trustDefaults: plan.trust?.registriesDirs.length
      ? []
      : simpleSigning.registries.files.map((path) => ({ kind: 'registries-d', path, default: true })),
    credential,
    services: {
      simpleSigning,
      ...(notary ? { notary } : {}),
      ...(plan.annotationSignatures ? { irSign: true } : {}),
    } as DetectServices,
    client(registry: string): Promise<RegistryClient> {
      let pending = clients.get(registry);
      if (!pending) {
        pending = credential(registry).then(
          (credential) =>
            new RegistryClient({
              registry,
              apiHost: apiHost(registry),
              plainHttp: plan.plainHttp,
              credential,
              transport,
              maxManifestBytes: limits.maxManifestBytes,
              maxPages: limits.maxPages,
              authRealmHosts: plan.authRealmHosts,
              log: plan.log,
            }),
        );
        clients.set(registry, pending);
      }
      return pending;
    },
    close: async () => {
      await notary?.close();
      await simpleSigning.close();
      await transport.close();
    },
  };
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SigscanError('USAGE', `cannot read --ca-file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
