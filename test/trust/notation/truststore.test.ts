import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadTrustStore, trustStoreRoot } from '../../../src/trust/notation/truststore.js';
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
