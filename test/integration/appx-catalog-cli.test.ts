/**
 * Issue #15 through the CLI: APPX/MSIX packages, and files signed by a catalog beside them (`sigscan fs` on
 * a driver-package-like directory, with the corpus's Microsoft catalog and DXCore.dll, which that catalog
 * lists by its Authenticode image hash).
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeAppx } from '../helpers/authenticode/appx.js';
import { sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import { makeSignedPe, makeTestPki } from '../helpers/pe/signed-pe.js';
import { reportSchemaErrors } from '../report/helpers.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

const SIGNIFY = join(CORPUS_DIR, 'authenticode/signify');
const CATALOG = join(SIGNIFY, '115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat');
const TRUST = join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem');
const AT = '2026-11-21T00:00:00Z';

describe('sigscan fs: files listed in a catalog beside them', () => {
  let dir: string;
  let targets: Map<string, JsonTarget>;
  let report: JsonReport;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-catsigned-'));
    await copyFile(CATALOG, join(dir, 'dxcore.cat'));
    await copyFile(join(SIGNIFY, 'DXCore.dll'), join(dir, 'DXCore.dll'));
    await copyFile(join(SIGNIFY, 'whois.exe'), join(dir, 'whois.exe'));
    // The member with one byte changed in a section: listed nowhere any more.
    const changed = readFileSync(join(SIGNIFY, 'DXCore.dll'));
    changed[0x1000] = changed[0x1000]! ^ 0x01;
    await writeFile(join(dir, 'DXCore-patched.dll'), changed);
    ({ report } = await sigscanJson(['fs', dir, '--trust-root', TRUST, '--tsa-root', TRUST, '--at', AT]));
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
    expect(s!.findings.map((f) => f.code)).not.toContain('CATALOG_MEMBERS_NOT_CHECKED');
    expect(targets.get('dxcore.cat')!.signatures[0]!.verdict).toMatchObject({ status: 'verified' });
  });

  it('the report is valid against the JSON schema', () => {
    expect(reportSchemaErrors(report)).toEqual([]);
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

describe('sigscan fs: APPX/MSIX packages end to end', () => {
  it('a signed .msix is verified, an unsigned .appx is unsigned, and the report fits the schema', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-appx-cli-'));
    try {
      const pki = await makeTestPki(join(dir, 'pki'));
      await makeSignedPe(pki, makeAppx(dir, 'plain.appx'), join(dir, 'app.msix'));
      const { report, code } = await sigscanJson([
        'fs',
        join(dir, 'app.msix'),
        join(dir, 'plain.appx'),
        '--trust-root',
        pki.caPem,
      ]);
      const byName = new Map(report.targets.map((t) => [t.path!.slice(dir.length + 1), t]));
      expect(byName.get('app.msix')).toMatchObject({ format: 'appx', status: 'signed' });
      expect(byName.get('app.msix')!.signatures.map((s) => [s.location, s.verdict.code])).toEqual([
        ['AppxSignature.p7x', 'CHAIN_VALID'],
      ]);
      expect(byName.get('plain.appx')).toMatchObject({ format: 'appx', status: 'unsigned' });
      expect(reportSchemaErrors(report)).toEqual([]);
      expect(code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
