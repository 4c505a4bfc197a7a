/**
 * Real cosign (Debian trixie's cosign 2.5 by default) for tests against the loopback registry.
 *
 * Offline guarantees: every call gets a private HOME and TUF_ROOT (temp dirs), `--tlog-upload=false`
 * when signing and `--insecure-ignore-tlog=true` when verifying, so cosign never needs Rekor,
 * Fulcio or the sigstore TUF root (checked with strace: cosign 2.5 `sign --key` / `attest --key` /
 * `verify --key` open no socket except to the registry). As a tripwire HTTP(S)_PROXY point at a
 * closed loopback port: Go never proxies loopback, so registry traffic is unaffected, but any
 * attempt to reach a public host fails immediately instead of leaving the machine.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestTag } from './push.js';
import type { TestRegistry } from './registry.js';
import { onPath, PROJECT_ROOT, run, type RunResult } from './tools.js';

export const COSIGN_CACHE_BIN = join(PROJECT_ROOT, '.cache', 'cosign', 'usr', 'bin', 'cosign');
export const FETCH_COSIGN_SCRIPT = join(PROJECT_ROOT, 'scripts', 'fetch-cosign.sh');

let cached: Promise<string> | undefined;

/**
 * Path to a cosign binary: $SIGSCAN_COSIGN, else `cosign` on PATH, else
 * <root>/.cache/cosign/usr/bin/cosign, else run scripts/fetch-cosign.sh (downloads Debian trixie's
 * cosign .deb from deb.debian.org with a private apt config; setup, not part of a test run).
 */
export function ensureCosign(): Promise<string> {
  cached ??= (async () => {
    const fromEnv = process.env['SIGSCAN_COSIGN'];
    if (fromEnv) return fromEnv;
    const found = await onPath('cosign');
    if (found) return found;
    if (!existsSync(COSIGN_CACHE_BIN)) {
      await run('sh', [FETCH_COSIGN_SCRIPT], { timeoutMs: 600_000 });
    }
    if (!existsSync(COSIGN_CACHE_BIN)) throw new Error(`fetch-cosign.sh did not produce ${COSIGN_CACHE_BIN}`);
    await run(COSIGN_CACHE_BIN, ['version']);
    return COSIGN_CACHE_BIN;
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

/** Private per-call HOME (holds TUF_ROOT, docker config, caches); removed after the call. */
async function withCosignHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), 'sigscan-cosign-home-'));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Environment for every cosign call (see the file comment). */
export function cosignEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: home,
    TUF_ROOT: join(home, 'tuf'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    DOCKER_CONFIG: join(home, '.docker'),
    COSIGN_PASSWORD: '',
    SIGSTORE_NO_CACHE: 'true',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
    http_proxy: 'http://127.0.0.1:9',
    NO_PROXY: '',
    no_proxy: '',
    ...extra,
  };
}

/** Registry flags for cosign 2.5: plain HTTP, or TLS with the test CA, plus Basic credentials. */
export function cosignRegistryFlags(reg: TestRegistry): string[] {
  const flags: string[] = [];
  if (reg.tls) {
    if (reg.caFile) flags.push(`--registry-cacert=${reg.caFile}`);
  } else {
    flags.push('--allow-http-registry=true');
  }
  if (reg.auth)
    flags.push(`--registry-username=${reg.auth.user}`, `--registry-password=${reg.auth.password}`);
  return flags;
}

/** Run cosign with the sandboxed environment. */
export async function cosign(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; check?: boolean } = {},
): Promise<RunResult> {
  const bin = await ensureCosign();
  return withCosignHome((home) =>
    run(bin, args, {
      env: cosignEnv(home, opts.env),
      timeoutMs: 60_000,
      check: opts.check ?? true,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    }),
  );
}

export interface CosignKeypair {
  /** Encrypted private key (password ''). */
  key: string;
  /** PEM SubjectPublicKeyInfo (ECDSA P-256). */
  pub: string;
  password: '';
}

/** `cosign generate-key-pair` in `dir` with COSIGN_PASSWORD='' (non-interactive). */
export async function cosignKeypair(dir: string): Promise<CosignKeypair> {
  await cosign(['generate-key-pair'], { cwd: dir });
  const key = join(dir, 'cosign.key');
  const pub = join(dir, 'cosign.pub');
  if (!existsSync(key) || !existsSync(pub)) throw new Error('cosign generate-key-pair wrote no key files');
  return { key, pub, password: '' };
}

/** `repo@sha256:...` (relative to reg) or a full `<host>/repo@sha256:...` -> full reference + parts. */
function resolveRef(reg: TestRegistry, ref: string): { full: string; repo: string; digest: string } {
  const full = ref.startsWith(`${reg.host}/`) ? ref : `${reg.host}/${ref}`;
  const m = /^[^/]+\/(.+)@(sha256:[0-9a-f]{64})$/.exec(full);
  if (!m) throw new Error(`cosign helpers need a digest reference, got ${ref}`);
  return { full, repo: m[1]!, digest: m[2]! };
}

export interface CosignSignOptions {
  /** Also sign every child manifest of an index (`--recursive`). */
  recursive?: boolean;
  /** `-a key=value` annotations, which land in the payload's `optional` map. */
  annotations?: Record<string, string>;
  /** Store signatures in another repository (COSIGN_REPOSITORY=<host>/<repo>). */
  signatureRepo?: string;
  /** Write Docker schema 2 media types (COSIGN_DOCKER_MEDIA_TYPES=1). */
  dockerMediaTypes?: boolean;
  extraArgs?: string[];
}

export interface CosignSignResult {
  /** Full reference that was signed. */
  ref: string;
  repo: string;
  digest: string;
  /** `sha256-<hex>.sig` (in `repo`, or in signatureRepo when set). */
  sigTag: string;
  stdout: string;
  stderr: string;
}

function sigEnv(
  opts: { signatureRepo?: string; dockerMediaTypes?: boolean },
  reg: TestRegistry,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (opts.signatureRepo) env['COSIGN_REPOSITORY'] = `${reg.host}/${opts.signatureRepo}`;
  if (opts.dockerMediaTypes) env['COSIGN_DOCKER_MEDIA_TYPES'] = '1';
  return env;
}

/**
 * `cosign sign --key <key> --tlog-upload=false --yes [--recursive] <registry flags> <host>/<repo>@<digest>`.
 * `ref` is `repo@sha256:<hex>` (or already prefixed with reg.host).
 */
export async function cosignSign(
  reg: TestRegistry,
  ref: string,
  keyPath: string,
  opts: CosignSignOptions = {},
): Promise<CosignSignResult> {
  const r = resolveRef(reg, ref);
  const args = ['sign', `--key=${keyPath}`, '--tlog-upload=false', '--yes', ...cosignRegistryFlags(reg)];
  if (opts.recursive) args.push('--recursive');
  for (const [k, v] of Object.entries(opts.annotations ?? {})) args.push('-a', `${k}=${v}`);
  args.push(...(opts.extraArgs ?? []), r.full);
  const res = await cosign(args, { env: sigEnv(opts, reg) });
  return {
    ref: r.full,
    repo: r.repo,
    digest: r.digest,
    sigTag: digestTag(r.digest, '.sig'),
    stdout: res.stdout,
    stderr: res.stderr,
  };
}

/**
 * `cosign attest --key <key> --predicate <file> --type <type> --tlog-upload=false --yes ...`;
 * the DSSE attestation lands in tag `sha256-<hex>.att`.
 */
export async function cosignAttest(
  reg: TestRegistry,
  ref: string,
  keyPath: string,
  predicatePath: string,
  opts: { type?: string; signatureRepo?: string; extraArgs?: string[] } = {},
): Promise<CosignSignResult> {
  const r = resolveRef(reg, ref);
  const args = [
    'attest',
    `--key=${keyPath}`,
    `--predicate=${predicatePath}`,
    `--type=${opts.type ?? 'custom'}`,
    '--tlog-upload=false',
    '--yes',
    ...cosignRegistryFlags(reg),
    ...(opts.extraArgs ?? []),
    r.full,
  ];
  const res = await cosign(args, { env: sigEnv(opts, reg) });
  return {
    ref: r.full,
    repo: r.repo,
    digest: r.digest,
    sigTag: digestTag(r.digest, '.att'),
    stdout: res.stdout,
    stderr: res.stderr,
  };
}

/**
 * `cosign verify --key <pub> --insecure-ignore-tlog=true ...`. Resolves with the RunResult
 * (check=false: inspect `code`; stdout holds the verified payloads as JSON on success).
 */
export async function cosignVerify(
  reg: TestRegistry,
  ref: string,
  pubPath: string,
  opts: { signatureRepo?: string; extraArgs?: string[] } = {},
): Promise<RunResult> {
  const r = resolveRef(reg, ref);
  const args = [
    'verify',
    `--key=${pubPath}`,
    '--insecure-ignore-tlog=true',
    ...cosignRegistryFlags(reg),
    ...(opts.extraArgs ?? []),
    r.full,
  ];
  return cosign(args, { env: sigEnv(opts, reg), check: false });
}
