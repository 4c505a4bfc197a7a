import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import { parseCertificate } from '../../src/formats/x509.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { osslsigncodeVerifyWith } from '../helpers/pe/signed-pe.js';
import { sbverify } from '../helpers/pe/surgery.js';
import { embeddedCertificate, toPem, vendorFile } from '../helpers/pe/vendor.js';
import { CORPUS_AT, config, detectFile, evaluateFile } from './helpers.js';

/**
 * Real vendor-signed files must keep verifying (issue #11). scripts/fetch-vendor-files.sh puts them in
 * .cache/vendor (Debian bookworm packages, npm); a missing file skips its test. Oracles run here:
 *
 * | file (package)                                   | osslsigncode 2.9 | sbverify | sigscan                  |
 * |--------------------------------------------------|------------------|----------|--------------------------|
 * | fwupdx64.efi.signed (fwupd-amd64-signed 1:1.4+1) | Succeeded        | OK       | verified (was invalid NOT_PE_IMAGE_DATA) |
 * | grubx64.efi.signed (grub-efi-amd64-signed)       | Succeeded        | OK       | verified                 |
 * | signtool.exe (electron-winstaller 5.4.4)         | Succeeded        | -        | verified (was untrusted CERT_BAD_SIGNATURE) |
 * | shimx64.efi.signed (shim-signed), 2 records      | Failed (one record only) | OK | verified, each record |
 */

const fwupd = vendorFile('fwupdx64.efi.signed');
const grub = vendorFile('grubx64.efi.signed');
const shim = vendorFile('shimx64.efi.signed');
const signtool = vendorFile('electron-winstaller-signtool.exe');

let dir: string;
let debianCa: string | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-vendor-'));
  // The Debian Secure Boot CA is the vendor certificate Debian's shim embeds.
  if (shim) {
    debianCa = join(dir, 'debian-secure-boot-ca.pem');
    writeFileSync(debianCa, toPem(embeddedCertificate(shim, 'Debian Secure Boot CA').der));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ours(file: string, roots: string[], at?: string, tsaRoots: string[] = []) {
  const outcomes = await evaluateFile(file, 'pe', await config({ roots, tsaRoots, at }));
  return outcomes.map((o) => ({ status: o.verdict.status, code: o.verdict.code }));
}

describe('Debian-signed EFI binaries (Debian Secure Boot CA from shim)', () => {
  it.skipIf(!fwupd || !shim)(
    'fwupdx64.efi.signed: SpcIndirectData type 1.3.6.1.4.1.311.2.1.21 (pesign) is PE image data: verified',
    async () => {
      const [e] = await detectFile(fwupd!, 'pe');
      expect(e!.details?.['imageHashMatches']).toBe(true);
      expect(await ours(fwupd!, [debianCa!])).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
      expect((await sbverify(debianCa!, fwupd!)).passed).toBe(true);
      expect((await osslsigncodeVerifyWith(fwupd!, { caFile: debianCa! })).passed).toBe(true);
    },
  );

  it.skipIf(!grub || !shim)('grubx64.efi.signed: verified', async () => {
    expect(await ours(grub!, [debianCa!])).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
    expect((await sbverify(debianCa!, grub!)).passed).toBe(true);
    expect((await osslsigncodeVerifyWith(grub!, { caFile: debianCa! })).passed).toBe(true);
  });
});

describe('Microsoft-signed signtool.exe of 2010 (electron-winstaller 5.4.4)', () => {
  const legacy = join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem');

  it.skipIf(!signtool)(
    'Microsoft Code Signing PCA signed with OIW sha1WithRSASignature (1.3.14.3.2.29) under the 1997 Microsoft Root Authority: verified through the timestamp',
    async () => {
      expect(await ours(signtool!, [legacy], CORPUS_AT, [legacy])).toEqual([
        { status: 'verified', code: 'CHAIN_VALID' },
      ]);
      const tool = await osslsigncodeVerifyWith(signtool!, { caFile: legacy, tsaCaFile: legacy });
      expect(tool.passed, tool.output).toBe(true);
    },
  );
});

describe('shim signed by Microsoft twice (two WIN_CERTIFICATE records in an EFI image)', () => {
  it.skipIf(!shim)(
    'each record verifies against its own UEFI CA (given as anchor), as sbverify; osslsigncode 2.9 reads one record and fails',
    async () => {
      const evidence = await detectFile(shim!, 'pe');
      expect(evidence.map((e) => e.location)).toEqual(['certificate-table[0]', 'certificate-table[1]']);
      // The UEFI CAs are intermediates in the signatures (their roots are not public files we can fetch):
      // given as --trust-root they are anchors (the partial-chain model, README "Verdicts").
      const anchors = ['Microsoft Corporation UEFI CA 2011', 'Microsoft UEFI CA 2023'].map((cn) => {
        const der = evidence
          .flatMap((e) => (e.material as AuthenticodeMaterial).certificatesDer)
          .find((d) => parseCertificate(d).summary.subject.startsWith(`CN=${cn},`));
        const path = join(dir, `${cn.replace(/ /g, '-')}.pem`);
        writeFileSync(path, toPem(der!));
        return path;
      });
      // UEFI ignores certificate validity; we do not (and Microsoft's TSA root is not at hand): check as of
      // a day after the later signer certificate began, when both were valid.
      const at = new Date(
        Math.max(...evidence.map((e) => Date.parse(e.signer!.certificate!.notBefore!))) + 86_400_000,
      ).toISOString();
      expect(await ours(shim!, anchors, at)).toEqual([
        { status: 'verified', code: 'CHAIN_VALID' },
        { status: 'verified', code: 'CHAIN_VALID' },
      ]);
      for (const anchor of anchors) expect((await sbverify(anchor, shim!)).passed).toBe(true);
      expect((await osslsigncodeVerifyWith(shim!, { caFile: anchors[0]! })).passed).toBe(false);
    },
  );
});
