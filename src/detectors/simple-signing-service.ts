import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import type { PublicKey } from 'openpgp';
import { Agent, request, type Dispatcher } from 'undici';

import { SigscanError } from '../errors.js';
import { lookasideSignatureUrl, MAX_SIGNATURES } from '../formats/simple-signing/lookaside.js';
import { findKey, readKeyringFile, type KeyDescription } from '../formats/simple-signing/keyring.js';
import {
  builtinLookaside,
  defaultRegistriesDirs,
  loadRegistriesD,
  sectionFor,
  type LookasideChoice,
  type RegistriesDConfig,
} from '../oci/registries-d.js';
import { readCapped } from '../oci/registry/transport.js';
import type { Logger } from '../util/logger.js';

export interface SimpleSigningServiceOptions {
  /** Parsed registries.d configuration. */
  registries: RegistriesDConfig;
  /**
   * Lookaside used when no registries.d section applies. containers/image falls back to a local
   * `file://` directory (see `builtinLookaside()`); undefined means "look nowhere".
   */
  defaultLookaside?: string;
  /** Keyrings used only to *name* signers in evidence (user ids, primary fingerprints); trust is decided elsewhere. */
  keyrings?: PublicKey[];
  /** Extra PEM CA bundle for https lookaside servers (TLS is always verified). */
  ca?: string;
  timeoutMs?: number;
  /** Signatures read per image, at most 128 (containers/image's cap). */
  maxSignatures?: number;
  /** Query `/extensions/v2/…/signatures/…` when the registry advertises it (default true). */
  useExtensionApi?: boolean;
}

/** Inputs as the CLI has them (`--registries-d`, `--gpg-keyring`, `--ca-file`). */
export interface SimpleSigningServiceFlags {
  /** registries.d directories; empty or undefined = the containers default location. */
  registriesDirs?: string[];
  gpgKeyrings?: string[];
  ca?: string;
  /** Use containers/image's built-in local lookaside when nothing is configured (default true). */
  builtinDefault?: boolean;
  useExtensionApi?: boolean;
  /** `--timeout`: headers and body silence on lookaside servers (default 30 s). */
  timeoutMs?: number;
}

export interface FetchedSignature {
  /** Lookaside URL, or `extension:<name>` for the registry API. */
  location: string;
  blob: Uint8Array;
}

const MAX_REDIRECTS = 5;

/**
 * Where simple signatures live outside the registry: lookaside servers (http, https, file) as
 * registries.d configures them. Fetches are bounded (count, size, redirects, time), TLS-verified and
 * anonymous: no registry credentials ever reach a lookaside server.
 */
export class SimpleSigningService {
  readonly registries: RegistriesDConfig;
  readonly useExtensionApi: boolean;
  private readonly agent: Agent;
  private readonly maxSignatures: number;
  /** Whether each `file:` lookaside root exists, looked up once per scan rather than once per image. */
  private readonly localRoots = new Map<string, Promise<boolean>>();

  constructor(private readonly opts: SimpleSigningServiceOptions) {
    this.registries = opts.registries;
    this.useExtensionApi = opts.useExtensionApi ?? true;
    this.maxSignatures = Math.min(opts.maxSignatures ?? MAX_SIGNATURES, MAX_SIGNATURES);
    const timeout = opts.timeoutMs ?? 30_000;
    this.agent = new Agent({
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: { ca: opts.ca, rejectUnauthorized: true },
    });
  }

  /** Builds the service from CLI-level inputs. */
  static async create(flags: SimpleSigningServiceFlags = {}): Promise<SimpleSigningService> {
    const dirs = flags.registriesDirs?.length ? flags.registriesDirs : await defaultRegistriesDirs();
    const registries = await loadRegistriesD(dirs);
    const keyrings: PublicKey[] = [];
    for (const path of flags.gpgKeyrings ?? []) keyrings.push(...(await readKeyringFile(path)));
    return new SimpleSigningService({
      registries,
      defaultLookaside: flags.builtinDefault === false ? undefined : builtinLookaside(),
      keyrings,
      ca: flags.ca,
      useExtensionApi: flags.useExtensionApi,
      timeoutMs: flags.timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** The lookaside base URL for an image and the registries.d scope that chose it. */
  lookasideFor(image: {
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
  }): (LookasideChoice & { base: string }) | undefined {
    const choice = sectionFor(this.registries, image);
    if (choice?.section.lookaside) return { ...choice, base: choice.section.lookaside };
    if (!choice && this.opts.defaultLookaside) {
      return { section: { lookaside: this.opts.defaultLookaside }, base: this.opts.defaultLookaside };
    }
    return undefined;
  }

  /** `signature-1..N` under the lookaside until the first 404 / missing file (formats.md §4.4). */
  async *fetchLookaside(
    base: string,
    repository: string,
    digest: string,
    maxBytes: number,
    log?: Logger,
  ): AsyncIterable<FetchedSignature> {
    // The built-in default (file:///var/lib/containers/sigstore) is missing on most machines; without
    // this, every image of a registry scan pays a failed stat.
    if (base.startsWith('file:') && !(await this.localRootExists(base))) return;
    for (let n = 1; n <= this.maxSignatures; n++) {
      const location = lookasideSignatureUrl(base, repository, digest, n);
      const blob = await this.fetchOne(location, maxBytes, log);
      if (!blob) return;
      yield { location, blob };
    }
    log?.warn(
      `lookaside ${base}: stopped after ${this.maxSignatures} signatures for ${repository}@${digest}`,
    );
  }

  /** Whether a `file:` lookaside root is a directory; asked once per root per scan (coverage asks too). */
  localRootExists(base: string): Promise<boolean> {
    let exists = this.localRoots.get(base);
    if (!exists) {
      exists = stat(fileURLToPath(base)).then(
        (info) => info.isDirectory(),
        () => false,
      );
      this.localRoots.set(base, exists);
    }
    return exists;
  }

  /** Names the key that issued a signature, when one of the configured keyrings holds it. */
  describeKey(keyId: string): KeyDescription | undefined {
    return findKey(this.opts.keyrings ?? [], keyId)?.description;
  }

  private async fetchOne(location: string, maxBytes: number, log?: Logger): Promise<Uint8Array | undefined> {
    let url = new URL(location);
    if (url.protocol === 'file:') return readLocal(url, maxBytes);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SigscanError('USAGE', `lookaside ${location}: unsupported URL scheme ${url.protocol}`);
    }
    if (url.username || url.password) {
      throw new SigscanError('USAGE', `lookaside ${url.host}: credentials in lookaside URLs are not sent`);
    }
    for (let hop = 0; ; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          dispatcher: this.agent,
          method: 'GET',
          headers: { 'user-agent': 'sigscan', accept: '*/*' },
        });
      } catch (err) {
        throw new SigscanError('REGISTRY_UNREACHABLE', `lookaside ${url.host}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
        await res.body.dump();
        const to = res.headers['location'];
        const next = typeof to === 'string' ? new URL(to, url) : undefined;
        if (!next || hop >= MAX_REDIRECTS) {
          throw new SigscanError('REGISTRY_ERROR', `lookaside ${url.href}: too many or broken redirects`);
        }
        if (url.protocol === 'https:' && next.protocol !== 'https:') {
          throw new SigscanError(
            'REGISTRY_ERROR',
            `lookaside ${url.href}: refusing a redirect from https to ${next.protocol}`,
          );
        }
        url = next;
        continue;
      }
      if (res.statusCode === 404) {
        await res.body.dump();
        return undefined;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        // 403 is not "no more signatures": containers/image treats anything but 404 as an error.
        throw new SigscanError('REGISTRY_ERROR', `lookaside ${url.href}: HTTP ${res.statusCode}`);
      }
      const type = String(res.headers['content-type'] ?? '');
      if (type.startsWith('text/html'))
        log?.warn(`lookaside ${url.href} answered text/html; probably not a signature`);
      return readCapped(res.body, maxBytes, `lookaside ${url.href}`);
    }
  }
}

async function readLocal(url: URL, maxBytes: number): Promise<Uint8Array | undefined> {
  const path = fileURLToPath(url);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SigscanError('REGISTRY_ERROR', `lookaside ${path} is not a file`);
    size = info.size;
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
  if (size > maxBytes)
    throw new SigscanError(
      'TOO_LARGE',
      `lookaside ${path} is ${size} bytes, over the ${maxBytes}-byte limit`,
    );
  return new Uint8Array(await readFile(path));
}

/** The service from `ctx.services`, if the scan was given one. */
export function simpleSigningService(
  services: Record<string, unknown> | undefined,
): SimpleSigningService | undefined {
  const s = services?.['simpleSigning'];
  return s instanceof SimpleSigningService ? s : undefined;
}
