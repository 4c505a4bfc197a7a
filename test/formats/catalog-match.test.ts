import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { authenticodeCatalogDetector } from '../../src/detectors/authenticode-catalog.js';
import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import { catalogMatches } from '../../src/formats/catalog-match.js';
import { catalogMemberList, type CatalogMember } from '../../src/formats/catalog.js';
import { readPeAuthenticode } from '../../src/formats/pe/index.js';
import { detectWith } from '../helpers/authenticode/containers.js';
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
