import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { SigscanError } from '../../errors.js';
import { equalBytes } from '../../formats/der-reader.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../formats/x509.js';
import type { TrustStoreRef, TrustStoreType } from './trustpolicy.js';

/**
 * Notation trust stores (formats.md §3.6): `<notation dir>/truststore/x509/{ca,signingAuthority,tsa}/<name>/`
 * holding PEM or DER certificate files. As notation does, a symlinked store or file is rejected, a store
 * with no certificate is an error, and every certificate must be a CA or self-signed. Sub-directories
 * inside a store are ignored with a warning (notation-go refuses them; formats.md asks to warn).
 */

export interface NotationTrustStore {
  type: TrustStoreType;
  name: string;
  path: string;
  certificates: ParsedCertificate[];
  warnings: string[];
}

export class TrustStoreError extends SigscanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
    this.name = 'TrustStoreError';
  }
}

export const storeLabel = (ref: TrustStoreRef): string => `${ref.type}:${ref.name}`;

/** The directory holding `x509/`: `<dir>/truststore` (notation's layout), else `<dir>/trust-store`. */
export async function trustStoreRoot(notationDir: string): Promise<string> {
  for (const name of ['truststore', 'trust-store']) {
    const path = join(notationDir, name);
    try {
      const info = await lstat(path);
      if (info.isSymbolicLink()) {
        throw new TrustStoreError(`${path} is a symlink; notation trust stores must be real directories`);
      }
      if (info.isDirectory()) return path;
    } catch (err) {
      if (err instanceof TrustStoreError) throw err;
    }
  }
  return join(notationDir, 'truststore');
}

export async function loadTrustStore(root: string, ref: TrustStoreRef): Promise<NotationTrustStore> {
  const label = storeLabel(ref);
  const path = join(root, 'x509', ref.type, ref.name);
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    throw new TrustStoreError(`trust store "${label}" does not exist (looked for ${path})`, { cause: err });
  }
  if (info.isSymbolicLink()) {
    throw new TrustStoreError(`trust store "${label}" (${path}) is a symlink; symlinked stores are rejected`);
  }
  if (!info.isDirectory()) throw new TrustStoreError(`trust store "${label}" (${path}) is not a directory`);
  const warnings: string[] = [];
  const certificates: ParsedCertificate[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const file = join(path, entry.name);
    if (entry.isSymbolicLink()) {
      throw new TrustStoreError(
        `trust store "${label}": ${file} is a symlink; symlinked certificate files are rejected`,
      );
    }
    if (entry.isDirectory()) {
      warnings.push(`trust store "${label}": sub-directory ${entry.name} is ignored`);
      continue;
    }
    if (!entry.isFile()) {
      warnings.push(`trust store "${label}": ${entry.name} is not a regular file and is ignored`);
      continue;
    }
    const certs = parseCertificateFile(
      new Uint8Array(await readFile(file)),
      `trust store "${label}": ${file}`,
    );
    for (const c of certs) {
      if (!isCa(c) && !(await selfSigned(c))) {
        throw new TrustStoreError(
          `trust store "${label}": ${file} holds ${c.summary.subject}, which is neither a CA nor a self-signed certificate`,
        );
      }
    }
    certificates.push(...certs);
  }
  if (certificates.length === 0) {
    throw new TrustStoreError(`trust store "${label}" (${path}) holds no X.509 certificate`);
  }
  return { ...ref, path, certificates, warnings };
}

/** One or more PEM certificates, or one DER certificate. */
export function parseCertificateFile(bytes: Uint8Array, what: string): ParsedCertificate[] {
  const text = Buffer.from(bytes).toString('latin1');
  try {
    if (text.includes('-----BEGIN')) {
      const ders = pemCertificates(text);
      if (ders.length === 0) throw new Error('no CERTIFICATE block');
      return ders.map(parseCertificate);
    }
    return [parseCertificate(bytes)];
  } catch (err) {
    throw new TrustStoreError(`${what} is not a PEM or DER certificate: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function isCa(c: ParsedCertificate): boolean {
  const bc = c.cert.extensions?.find((e) => e.extnID === '2.5.29.19')?.parsedValue as
    { cA?: boolean } | undefined;
  return bc?.cA === true;
}

export async function selfSigned(c: ParsedCertificate): Promise<boolean> {
  // notation-core-go isSelfSigned is isIssuedBy(cert, cert): the two Names byte for byte.
  if (!equalBytes(c.subjectDer, c.issuerDer)) return false;
  try {
    return await c.cert.verify(c.cert);
  } catch {
    return false;
  }
}

/** Stores are read once per verifier instance (one scan), on first use. */
export class TrustStoreCache {
  private readonly loaded = new Map<string, Promise<NotationTrustStore>>();

  constructor(
    private readonly root: Promise<string> | undefined,
    /** In-memory stores (the `--trust-root` fallback), by `type:name`. */
    private readonly memory: Map<string, NotationTrustStore> = new Map(),
  ) {}

  get(ref: TrustStoreRef): Promise<NotationTrustStore> {
    const key = storeLabel(ref);
    const fixed = this.memory.get(key);
    if (fixed) return Promise.resolve(fixed);
    let p = this.loaded.get(key);
    if (!p) {
      if (!this.root) return Promise.reject(new TrustStoreError(`trust store "${key}" is not configured`));
      p = this.root.then((root) => loadTrustStore(root, ref));
      this.loaded.set(key, p);
    }
    return p;
  }
}
