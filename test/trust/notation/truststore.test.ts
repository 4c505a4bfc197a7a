import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  loadTrustStore,
  TrustStoreCache,
  TrustStoreError,
  trustStoreRoot,
} from '../../../src/trust/notation/truststore.js';
import { testPki } from '../../helpers/notation/pki.js';
import { extraPki, tempDir } from './support.js';

function storeDir(type = 'ca', name = 'prod'): { root: string; path: string } {
  const dir = tempDir();
  const root = join(dir, 'truststore');
  const path = join(root, 'x509', type, name);
  mkdirSync(path, { recursive: true });
  return { root, path };
}

describe('notation trust stores', () => {
  it('loads PEM bundles and DER files, and finds <dir>/truststore', async () => {
    const pki = testPki();
    const other = extraPki();
    const { root, path } = storeDir();
    writeFileSync(join(path, 'bundle.pem'), pki.root.pem + other.root.pem);
    writeFileSync(join(path, 'inter.der'), other.intermediate.der);
    expect(await trustStoreRoot(join(root, '..'))).toBe(root);
    const store = await loadTrustStore(root, { type: 'ca', name: 'prod' });
    expect(store.certificates.map((c) => c.summary.subject)).toEqual([
      pki.root.subject,
      other.root.subject,
      other.intermediate.subject,
    ]);
    expect(store.warnings).toEqual([]);
  });

  it('ignores sub-directories with a warning', async () => {
    const { root, path } = storeDir('tsa', 'stamps');
    writeFileSync(join(path, 'root.pem'), testPki().root.pem);
    mkdirSync(join(path, 'nested'));
    writeFileSync(join(path, 'nested', 'x.pem'), extraPki().root.pem);
    const store = await loadTrustStore(root, { type: 'tsa', name: 'stamps' });
    expect(store.certificates).toHaveLength(1);
    expect(store.warnings).toEqual(['trust store "tsa:stamps": sub-directory nested is ignored']);
  });

  it('rejects a symlinked certificate file', async () => {
    const { root, path } = storeDir();
    writeFileSync(join(path, '..', 'elsewhere.pem'), testPki().root.pem);
    symlinkSync(join(path, '..', 'elsewhere.pem'), join(path, 'root.pem'));
    await expect(loadTrustStore(root, { type: 'ca', name: 'prod' })).rejects.toThrow(
      /symlink; symlinked certificate files are rejected/,
    );
  });

  it('rejects a symlinked store directory', async () => {
    const { root, path } = storeDir();
    writeFileSync(join(path, 'root.pem'), testPki().root.pem);
    symlinkSync(path, join(root, 'x509', 'ca', 'alias'));
    await expect(loadTrustStore(root, { type: 'ca', name: 'alias' })).rejects.toThrow(
      /symlinked stores are rejected/,
    );
  });

  it('rejects a missing or empty store, a non-certificate file, and a non-CA non-self-signed certificate', async () => {
    const { root, path } = storeDir();
    await expect(loadTrustStore(root, { type: 'ca', name: 'missing' })).rejects.toThrow(/does not exist/);
    await expect(loadTrustStore(root, { type: 'ca', name: 'prod' })).rejects.toThrow(
      /holds no X.509 certificate/,
    );
    writeFileSync(join(path, 'notes.txt'), 'hello');
    await expect(loadTrustStore(root, { type: 'ca', name: 'prod' })).rejects.toThrow(
      /not a PEM or DER certificate/,
    );
    const leafOnly = storeDir();
    writeFileSync(join(leafOnly.path, 'leaf.pem'), extraPki().leaf.pem);
    await expect(loadTrustStore(leafOnly.root, { type: 'ca', name: 'prod' })).rejects.toThrow(
      /neither a CA nor a self-signed certificate/,
    );
  });

  it('accepts a self-signed signing certificate (pinned leaf)', async () => {
    const { root, path } = storeDir();
    writeFileSync(join(path, 'self.pem'), extraPki().selfSigned.pem);
    expect((await loadTrustStore(root, { type: 'ca', name: 'prod' })).certificates).toHaveLength(1);
  });
});

describe('notation trust store root: truststore, else trust-store', () => {
  it('prefers truststore; takes trust-store when only it is a directory; defaults to truststore', async () => {
    const both = tempDir();
    mkdirSync(join(both, 'truststore'));
    mkdirSync(join(both, 'trust-store'));
    expect(await trustStoreRoot(both)).toBe(join(both, 'truststore'));
    const alt = tempDir();
    mkdirSync(join(alt, 'trust-store'));
    expect(await trustStoreRoot(alt)).toBe(join(alt, 'trust-store'));
    const fileFirst = tempDir();
    writeFileSync(join(fileFirst, 'truststore'), 'not a directory');
    mkdirSync(join(fileFirst, 'trust-store'));
    expect(await trustStoreRoot(fileFirst)).toBe(join(fileFirst, 'trust-store'));
    const none = tempDir();
    expect(await trustStoreRoot(none)).toBe(join(none, 'truststore'));
  });

  it('a symlinked truststore is a TrustStoreError, not a fall-through to trust-store', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'trust-store'));
    symlinkSync(join(dir, 'real'), join(dir, 'truststore'));
    const err = await trustStoreRoot(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrustStoreError);
    expect((err as Error).name).toBe('TrustStoreError');
    expect((err as Error).message).toBe(
      `${join(dir, 'truststore')} is a symlink; notation trust stores must be real directories`,
    );
  });
});

describe('notation trust stores: order, odd entries and causes', () => {
  it('reads certificate files in name order', async () => {
    const { root, path } = storeDir();
    const other = extraPki();
    writeFileSync(join(path, 'c.pem'), testPki().root.pem);
    writeFileSync(join(path, 'a.pem'), other.root.pem);
    writeFileSync(join(path, 'b.der'), other.intermediate.der);
    const store = await loadTrustStore(root, { type: 'ca', name: 'prod' });
    expect(store.certificates.map((c) => c.summary.subject)).toEqual([
      other.root.subject,
      other.intermediate.subject,
      testPki().root.subject,
    ]);
  });

  it('a FIFO in the store is ignored with a warning', async () => {
    const { root, path } = storeDir();
    writeFileSync(join(path, 'root.pem'), testPki().root.pem);
    execFileSync('mkfifo', [join(path, 'pipe')]);
    const store = await loadTrustStore(root, { type: 'ca', name: 'prod' });
    expect(store.certificates).toHaveLength(1);
    expect(store.warnings).toEqual(['trust store "ca:prod": pipe is not a regular file and is ignored']);
  });

  it('a store path that is a file is not a directory', async () => {
    const { root } = storeDir();
    writeFileSync(join(root, 'x509', 'ca', 'flat'), testPki().root.pem);
    await expect(loadTrustStore(root, { type: 'ca', name: 'flat' })).rejects.toThrow(
      `trust store "ca:flat" (${join(root, 'x509', 'ca', 'flat')}) is not a directory`,
    );
  });

  it('a missing store keeps the file system error as its cause', async () => {
    const { root } = storeDir();
    const err = await loadTrustStore(root, { type: 'ca', name: 'missing' }).catch((e: unknown) => e);
    expect((err as Error & { cause?: { code?: string } }).cause?.code).toBe('ENOENT');
  });

  it('a PEM file without a CERTIFICATE block is refused, with the cause kept', async () => {
    const { root, path } = storeDir();
    writeFileSync(join(path, 'root.pem'), testPki().root.pem);
    const keyPem = testPki().root.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(path, 'z-key.pem'), keyPem);
    const err = await loadTrustStore(root, { type: 'ca', name: 'prod' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrustStoreError);
    expect((err as Error).message).toBe(
      `trust store "ca:prod": ${join(path, 'z-key.pem')} is not a PEM or DER certificate: no CERTIFICATE block`,
    );
    expect(((err as Error).cause as Error).message).toBe('no CERTIFICATE block');
  });
});

describe('TrustStoreCache', () => {
  it('reads a store once: removed after the first read, it is still served', async () => {
    const { root, path } = storeDir();
    writeFileSync(join(path, 'root.pem'), testPki().root.pem);
    const cache = new TrustStoreCache(Promise.resolve(root));
    const first = await cache.get({ type: 'ca', name: 'prod' });
    rmSync(path, { recursive: true });
    expect(await cache.get({ type: 'ca', name: 'prod' })).toBe(first);
  });

  it('without a root, a store not held in memory is not configured', async () => {
    await expect(new TrustStoreCache(undefined).get({ type: 'tsa', name: 'x' })).rejects.toThrow(
      'trust store "tsa:x" is not configured',
    );
  });
});
