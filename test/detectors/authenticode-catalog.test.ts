import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { authenticodeCatalogDetector } from '../../src/detectors/authenticode-catalog.js';
import { readElement } from '../../src/formats/der-reader.js';
import { CMS_READ } from '../../src/formats/cms.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import {
  containerMatrix,
  detectWith,
  evaluateWith,
  trustConfig,
} from '../helpers/authenticode/containers.js';
import { osslsigncodeVerifyWith } from '../helpers/pe/signed-pe.js';

/** The real catalog in the corpus (signify's, covering DXCore.dll; signed by Microsoft Windows). */
const CORPUS_CAT = join(
  CORPUS_DIR,
  'authenticode/signify/115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat',
);
const CORPUS_TRUST = join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem');
const MEMBER_NAME = Buffer.from('dxcore', 'utf16le');

function der(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

/**
 * makecat is Windows-only: the unsigned catalog is the corpus catalog's own trust list (its encapsulated
 * ContentInfo, bytes unchanged) in a SignedData without signers, which is what makecat writes before
 * signtool signs it. osslsigncode then signs it like signtool would.
 */
function unsignedCatalog(dir: string): string {
  const signed = new Uint8Array(readFileSync(CORPUS_CAT));
  const outer = readElement(signed, CMS_READ);
  const content = readElement(signed, CMS_READ, outer.contentStart + 11);
  const signedData = readElement(signed, CMS_READ, content.contentStart);
  // version, digestAlgorithms, then the encapsulated ContentInfo (the CTL).
  let at = signedData.contentStart;
  for (let i = 0; i < 2; i++) at = readElement(signed, CMS_READ, at).end;
  const encapsulated = signed.subarray(at, readElement(signed, CMS_READ, at).end);
  const body = Buffer.concat([
    Buffer.from([2, 1, 1]),
    der(0x31, new Uint8Array(0)),
    encapsulated,
    der(0x31, new Uint8Array(0)),
  ]);
  const contentInfo = der(
    0x30,
    Buffer.concat([Buffer.from('06092a864886f70d010702', 'hex'), der(0xa0, der(0x30, body))]),
  );
  const path = join(dir, 'unsigned.cat');
  writeFileSync(path, contentInfo);
  return path;
}

const { fixtures } = containerMatrix({
  format: 'cat',
  detector: authenticodeCatalogDetector,
  extension: '.cat',
  makeUnsigned: async (dir) => unsignedCatalog(dir),
  tamper: (bytes) => {
    const at = Buffer.from(bytes).indexOf(MEMBER_NAME);
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at]! ^ 0x01;
    return bytes;
  },
  tamperCode: 'CMS_DIGEST_MISMATCH',
  sipFormat: false,
});

describe('cat: security catalogs', () => {
  it('lists the members (count, hash algorithm) and says they were not matched to files', async () => {
    const [e] = await detectWith(authenticodeCatalogDetector, fixtures().signed, 'cat');
    expect(e!.details).toMatchObject({
      signedContent: 'embedded',
      catalogMembers: 20,
      catalogMemberHashAlgorithms: ['SHA-256'],
      catalogSubjectAlgorithm: '1.3.6.1.4.1.311.12.1.3',
    });
    expect(e!.details?.['imageHashMatches']).toBeUndefined();
    expect(e!.findings?.map((f) => [f.code, f.severity])).toEqual([
      ['CATALOG_MEMBERS_NOT_CHECKED', 'warning'],
    ]);
  });

  it('the corpus catalog (Microsoft Windows, RFC 3161 stamped): ours beside osslsigncode', async () => {
    const at = Date.parse('2026-11-21T00:00:00Z') / 1000;
    const tool = await osslsigncodeVerifyWith(CORPUS_CAT, {
      caFile: CORPUS_TRUST,
      tsaCaFile: CORPUS_TRUST,
      time: at,
    });
    const outcomes = await evaluateWith(
      authenticodeCatalogDetector,
      CORPUS_CAT,
      'cat',
      await trustConfig({ roots: [CORPUS_TRUST], tsaRoots: [CORPUS_TRUST], at }),
    );
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.evidence.signer.subject).toContain('CN=Microsoft Windows');
    expect(outcomes[0]!.evidence.countersigner?.kind).toBeDefined();
    // The signer certificate expired in June 2026; the Microsoft timestamp inside its validity carries it.
    expect(outcomes[0]!.verdict, outcomes[0]!.verdict.message).toMatchObject({
      status: 'verified',
      code: 'CHAIN_VALID',
    });
    expect(tool.passed, tool.output).toBe(true);
  });

  it('bytes after the PKCS #7: osslsigncode ignores them, we refuse', async () => {
    const f = fixtures();
    const path = join(f.dir, 'trailing.cat');
    writeFileSync(path, Buffer.concat([readFileSync(f.signed), Buffer.from('trailing')]));
    const tool = await osslsigncodeVerifyWith(path, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(
      authenticodeCatalogDetector,
      path,
      'cat',
      await trustConfig({ roots: [f.pki.caPem] }),
    );
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'CATALOG_DATA_AFTER_SIGNATURE' });
    expect(tool.passed, tool.output).toBe(true);
  });
});
