import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { authenticodeCatalogDetector } from '../../src/detectors/authenticode-catalog.js';
import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import { catalogMatches } from '../../src/formats/catalog-match.js';
import { catalogMemberList, type CatalogMember } from '../../src/formats/catalog.js';
import { readPeAuthenticode } from '../../src/formats/pe/index.js';
import { catalogMemberEvidence } from '../../src/detectors/catalog-member.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { detectWith, evaluateWith, fileTargetOf, trustConfig } from '../helpers/authenticode/containers.js';
import { makeTestPki } from '../helpers/pe/signed-pe.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

/** signify's corpus: a Windows catalog and DXCore.dll, one of the files it lists (by image hash). */
const SIGNIFY = join(CORPUS_DIR, 'authenticode/signify');
const CATALOG = join(SIGNIFY, '115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat');
const DXCORE_IMAGE_SHA256 = '06fa542ca0a1626e11e99e79896c9eaa79b5cfc3f9ad0ac8b84d4b2e8c5a292c';

async function members(): Promise<CatalogMember[]> {
  const [e] = await detectWith(authenticodeCatalogDetector, CATALOG, 'cat');
  return (e!.material as AuthenticodeMaterial).catalogMembers!;
}

describe('catalog members', () => {
  it('lists each member hash with its kind, algorithm and name (the Hint path here)', async () => {
    const list = await members();
    const dxcore = list.find((m) => m.hash === DXCORE_IMAGE_SHA256);
    expect(dxcore).toMatchObject({ kind: 'pe-image', algorithm: 'SHA-256' });
    expect(dxcore!.file).toMatch(/_[0-9a-f]+\\dxcore\.dll$/);
    expect(list.every((m) => /^[0-9a-f]+$/.test(m.hash))).toBe(true);
  });

  it("the detector's list is the CTL's: hashed subjects only, PE and flat-file members both", async () => {
    const [e] = await detectWith(authenticodeCatalogDetector, CATALOG, 'cat');
    const m = e!.material as AuthenticodeMaterial;
    // For a catalog the SpcIndirectDataContent slot holds the CTL (its signed content).
    expect(m.catalogMembers).toEqual(catalogMemberList(m.spcIndirectDataDer));
    const kinds = new Set(m.catalogMembers!.map((x) => x.kind));
    expect([...kinds].sort()).toEqual(['flat-file', 'pe-image']);
    expect(m.catalogMembers!.length).toBeLessThanOrEqual(e!.details?.['catalogMembers'] as number);
  });
});

describe('catalog member matching (signtool verify /c)', () => {
  it('DXCore.dll is the member with its Authenticode image hash', async () => {
    const bytes = new Uint8Array(readFileSync(join(SIGNIFY, 'DXCore.dll')));
    // The file carries its own signature too: the image hash leaves the certificate table out.
    expect(readPeAuthenticode(bytes).signatures.length).toBe(1);
    const matched = catalogMatches(await members(), bytes);
    expect(matched.map((m) => [m.kind, m.algorithm, m.hash])).toEqual([
      ['pe-image', 'SHA-256', DXCORE_IMAGE_SHA256],
    ]);
  });

  it('one byte of DXCore.dll changed in a section: no member matches', async () => {
    const bytes = new Uint8Array(readFileSync(join(SIGNIFY, 'DXCore.dll')));
    bytes[0x1000] = bytes[0x1000]! ^ 0x01;
    expect(catalogMatches(await members(), bytes)).toEqual([]);
  });

  it('another PE of the corpus is not a member', async () => {
    const bytes = new Uint8Array(readFileSync(join(SIGNIFY, 'whois.exe')));
    expect(catalogMatches(await members(), bytes)).toEqual([]);
  });

  it('flat-file members match on the hash of the whole file, with their own algorithm', () => {
    const file = new Uint8Array(Buffer.from('a driver INF, hashed whole\r\n'));
    const sha1 = createHash('sha1').update(file).digest('hex');
    const list: CatalogMember[] = [
      { kind: 'flat-file', algorithm: 'SHA-1', hash: sha1, file: 'x.inf' },
      { kind: 'pe-image', algorithm: 'SHA-1', hash: sha1 },
      { kind: 'flat-file', algorithm: 'SHA-256', hash: sha1 },
    ];
    expect(catalogMatches(list, file)).toEqual([list[0]]);
  });
});

describe('catalog-signed files: the catalog signature as the file evidence', () => {
  const at = Date.parse('2026-11-21T00:00:00Z') / 1000;
  const CORPUS_TRUST = join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem');

  async function evaluate(file: string, roots: string[]) {
    const catalog = await detectWith(authenticodeCatalogDetector, CATALOG, 'cat');
    const bytes = new Uint8Array(readFileSync(file));
    const evidence = catalogMemberEvidence(catalog, 'drivers/dxcore.cat', bytes);
    const cfg = await trustConfig({ roots, tsaRoots: roots, at });
    const evaluator = new TrustEvaluator(cfg);
    const target = fileTargetOf(file, bytes, 'pe');
    return Promise.all(
      evidence.map(async (e) => ({ evidence: e, verdict: await evaluator.evaluate(e, target) })),
    );
  }

  it('DXCore.dll listed in the Microsoft-signed catalog: verified, at catalog:<path>', async () => {
    const [o, ...rest] = await evaluate(join(SIGNIFY, 'DXCore.dll'), [CORPUS_TRUST]);
    expect(rest).toEqual([]);
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(o!.evidence.location).toBe('catalog:drivers/dxcore.cat');
    expect(o!.evidence.signer?.subject).toContain('CN=Microsoft Windows');
    expect(o!.evidence.details?.['catalogMember']).toMatchObject({ hash: DXCORE_IMAGE_SHA256 });
  });

  it("the same, without the catalog signer's root: untrusted, as the catalog itself is", async () => {
    const pki = await makeTestPki(await mkdtemp(join(tmpdir(), 'sigscan-catmember-')));
    const [o] = await evaluate(join(SIGNIFY, 'DXCore.dll'), [pki.caPem]);
    expect(o!.verdict.status).toBe('untrusted');
    const [c] = await evaluateWith(
      authenticodeCatalogDetector,
      CATALOG,
      'cat',
      await trustConfig({ roots: [pki.caPem], tsaRoots: [pki.caPem], at }),
    );
    expect(o!.verdict).toEqual(c!.verdict);
  });

  it('a file the catalog does not list, or a changed member: no catalog evidence', async () => {
    expect(await evaluate(join(SIGNIFY, 'whois.exe'), [CORPUS_TRUST])).toEqual([]);
    const changed = join(await mkdtemp(join(tmpdir(), 'sigscan-catmember-')), 'DXCore.dll');
    const bytes = readFileSync(join(SIGNIFY, 'DXCore.dll'));
    bytes[0x1000] = bytes[0x1000]! ^ 0x01;
    writeFileSync(changed, bytes);
    expect(await evaluate(changed, [CORPUS_TRUST])).toEqual([]);
  });
});
