import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hex } from '../../../src/formats/der.js';
import { readPeAuthenticode } from '../../../src/formats/pe/authenticode.js';
import { computeImageHash, imageHashRanges } from '../../../src/formats/pe/image-hash.js';
import { parsePeLayout } from '../../../src/formats/pe/pe-file.js';
import { SIGNED_CORPUS_FILES, SIGNIFY_DIR, UNSIGNED_PE } from '../../helpers/pe/corpus.js';
import { makeSignedPe, makeTestPki, osslsigncodeVerify, type TestPki } from '../../helpers/pe/signed-pe.js';

const read = (path: string) => new Uint8Array(readFileSync(path));

describe('computeImageHash on the signify corpus', () => {
  it.each(SIGNED_CORPUS_FILES)('%s: equals the digest in SpcIndirectDataContent', (name) => {
    const bytes = read(join(SIGNIFY_DIR, name));
    const pe = readPeAuthenticode(bytes);
    const { indirectData } = pe.signatures[0]!.signature;
    expect(hex(computeImageHash(bytes, pe.layout, indirectData.digestAlgorithm))).toBe(
      hex(indirectData.digest),
    );
  });
});

describe('imageHashRanges', () => {
  it('skips exactly the checksum, the certificate directory entry and the table', () => {
    const layout = parsePeLayout(read(join(SIGNIFY_DIR, 'whois.exe')));
    const { checksumOffset: c, certificateDirectoryOffset: d, certificateTable: t } = layout;
    expect(imageHashRanges(layout)).toEqual([
      [0, c],
      [c + 4, d],
      [d + 8, t.offset],
    ]);
  });

  it('ignores changes to the skipped fields and sees a change anywhere else', () => {
    const original = read(join(SIGNIFY_DIR, 'pciide.sys'));
    const layout = parsePeLayout(original);
    const digest = (bytes: Uint8Array) => hex(computeImageHash(bytes, parsePeLayout(bytes), 'SHA-1'));
    const reference = digest(original);

    const checksumChanged = original.slice();
    checksumChanged[layout.checksumOffset] = checksumChanged[layout.checksumOffset]! ^ 0xff;
    expect(digest(checksumChanged)).toBe(reference);

    const tableChanged = original.slice();
    tableChanged[layout.certificateTable.offset + 100] =
      tableChanged[layout.certificateTable.offset + 100]! ^ 0xff;
    expect(digest(tableChanged)).toBe(reference);

    const headerChanged = original.slice();
    headerChanged[layout.checksumOffset + 4] = headerChanged[layout.checksumOffset + 4]! ^ 0xff;
    expect(digest(headerChanged)).not.toBe(reference);
  });
});

describe('computeImageHash of an unsigned image (pad-to-8 rule)', () => {
  let dir: string;
  let pki: TestPki;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-imagehash-'));
    pki = await makeTestPki(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('predicts the digest osslsigncode embeds when it signs a file whose length is not a multiple of 8', async () => {
    const unsigned = read(UNSIGNED_PE);
    expect(unsigned.length % 8).not.toBe(0);
    const input = join(dir, 'unsigned.exe');
    copyFileSync(UNSIGNED_PE, input);
    for (const hash of ['sha256', 'sha1'] as const) {
      const signedPath = await makeSignedPe(pki, input, join(dir, `signed-${hash}.exe`), { hash });
      const signed = read(signedPath);
      const pe = readPeAuthenticode(signed);
      const { indirectData } = pe.signatures[0]!.signature;
      const ours = hex(computeImageHash(unsigned, parsePeLayout(unsigned), indirectData.digestAlgorithm));
      expect(ours).toBe(hex(indirectData.digest));
      // And osslsigncode agrees with the digest it computes over the signed file.
      const verify = await osslsigncodeVerify(signedPath, pki);
      expect(verify.signatures[0]!.calculatedDigest).toBe(ours);
    }
  });
});
