/**
 * Files signed by a catalog beside them (issue #15): `sigscan fs` on a driver-package-like directory, with
 * the corpus's Microsoft catalog and DXCore.dll, which that catalog lists by its Authenticode image hash.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonTarget } from '../helpers/cli.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

const SIGNIFY = join(CORPUS_DIR, 'authenticode/signify');
const CATALOG = join(SIGNIFY, '115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat');
const TRUST = join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem');
const AT = '2026-11-21T00:00:00Z';

describe('sigscan fs: files listed in a catalog beside them', () => {
  let dir: string;
  let targets: Map<string, JsonTarget>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-catsigned-'));
    await copyFile(CATALOG, join(dir, 'dxcore.cat'));
    await copyFile(join(SIGNIFY, 'DXCore.dll'), join(dir, 'DXCore.dll'));
    await copyFile(join(SIGNIFY, 'whois.exe'), join(dir, 'whois.exe'));
    // The member with one byte changed in a section: listed nowhere any more.
    const changed = readFileSync(join(SIGNIFY, 'DXCore.dll'));
    changed[0x1000] = changed[0x1000]! ^ 0x01;
    await writeFile(join(dir, 'DXCore-patched.dll'), changed);
    const { report } = await sigscanJson(['fs', dir, '--trust-root', TRUST, '--tsa-root', TRUST, '--at', AT]);
    targets = new Map(report.targets.map((t) => [t.path!.slice(dir.length + 1), t]));
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const catalogSignatures = (name: string) =>
    targets.get(name)!.signatures.filter((s) => s.location.startsWith('catalog:'));

  it('the listed file gets the catalog signature at catalog:<path>, verified as the catalog is', () => {
    const [s, ...more] = catalogSignatures('DXCore.dll');
    expect(more).toEqual([]);
    expect(s!.location).toBe(`catalog:${join(dir, 'dxcore.cat')}`);
    expect(s!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(s!.signer.subject).toContain('CN=Microsoft Windows');
    expect(targets.get('dxcore.cat')!.signatures[0]!.verdict).toMatchObject({ status: 'verified' });
  });

  it('an unlisted file and a changed member get no catalog signature', () => {
    expect(catalogSignatures('whois.exe')).toEqual([]);
    expect(catalogSignatures('DXCore-patched.dll')).toEqual([]);
    // The patched copy's own embedded signature now fails on its image hash.
    expect(targets.get('DXCore-patched.dll')!.signatures.map((s) => s.verdict.code)).toEqual([
      'IMAGE_HASH_MISMATCH',
    ]);
  });
});
