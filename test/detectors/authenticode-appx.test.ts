import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { authenticodeAppxDetector } from '../../src/detectors/authenticode-appx.js';
import { detectorsFor } from '../../src/detectors/index.js';
import {
  APPX_MANIFEST,
  APPX_MARKER,
  blockMapXml,
  defaultPayload,
  makeAppx,
  unzipEntry,
  zipDelete,
  zipUpdate,
} from '../helpers/authenticode/appx.js';
import {
  containerMatrix,
  detectWith,
  evaluateWith,
  fileTargetOf,
  trustConfig,
} from '../helpers/authenticode/containers.js';
import { osslsigncodeVerifyWith } from '../helpers/pe/signed-pe.js';

const { fixtures } = containerMatrix({
  format: 'appx',
  detector: authenticodeAppxDetector,
  extension: '.appx',
  makeUnsigned: async (dir) => makeAppx(dir, 'unsigned.appx'),
  tamper: (bytes) => {
    const at = Buffer.from(bytes).indexOf(APPX_MARKER);
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at]! ^ 0x01;
    return bytes;
  },
  tamperCode: 'APPX_DIGEST_MISMATCH',
  // osslsigncode does not nest APPX signatures, and prints one digest per part (checked below).
  sipFormat: false,
});

const ownRoot = async () => trustConfig({ roots: [fixtures().pki.caPem] });
const copy = (from: string, name: string): string => {
  const to = join(fixtures().dir, name);
  copyFileSync(from, to);
  return to;
};

/** Ours beside osslsigncode's for one file. */
async function both(path: string) {
  const tool = await osslsigncodeVerifyWith(path, { caFile: fixtures().pki.caPem });
  const outcomes = await evaluateWith(authenticodeAppxDetector, path, 'appx', await ownRoot());
  expect(outcomes).toHaveLength(1);
  return { tool, ...outcomes[0]! };
}

describe('appx: the tagged hashes', () => {
  it("each of AXPC, AXCD, AXCT, AXBM is osslsigncode's calculated digest", async () => {
    const f = fixtures();
    const tool = await osslsigncodeVerifyWith(f.signed, { caFile: f.pki.caPem });
    const calculated = (what: string) =>
      new RegExp(`Checking ${what} hashes:[\\s\\S]*?Calculated message digest : ([0-9A-F]+)`)
        .exec(tool.output)?.[1]
        ?.toLowerCase();
    const [e] = await detectWith(authenticodeAppxDetector, f.signed, 'appx');
    const hex = e!.details?.['imageHash'] as string;
    // APPX, then tag + 32-byte hash each: AXPC AXCD AXCT AXBM.
    const part = (i: number) => hex.slice(8 + i * 72 + 8, 8 + (i + 1) * 72);
    expect(hex.slice(0, 8)).toBe(Buffer.from('APPX').toString('hex'));
    expect(part(0)).toBe(calculated('Data'));
    expect(part(1)).toBe(calculated('Central Directory'));
    expect(part(2)).toBe(calculated('Content Types'));
    expect(part(3)).toBe(calculated('Block Map'));
    expect(e!.details).toMatchObject({
      imageHashMatches: true,
      appxHashMethod: 'SHA-256',
      appxParts: ['AXPC', 'AXCD', 'AXCT', 'AXBM'],
      blockMapFiles: 3,
      sipGuid: '4bdfc50a07cee24db76e23c839a09fd1',
    });
    expect(e!.signer?.subject).toContain('CN=Sigscan RSA Code Signer');
  });

  it('the payload tamper names AXPC and the block-map block that changed', async () => {
    const { verdict, evidence, tool } = await both(fixtures().tampered);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_DIGEST_MISMATCH' });
    expect(verdict.message).toContain('AXPC hash differs');
    expect(evidence.findings?.map((x) => x.code)).toEqual([
      'APPX_DIGEST_MISMATCH',
      'APPX_BLOCKMAP_MISMATCH',
      'IMAGE_HASH_MISMATCH',
    ]);
    expect(evidence.findings?.[1]?.message).toContain('block 0 of payload.bin');
    expect(tool.passed).toBe(false);
  });

  it('AppxBlockMap.xml replaced after signing (made to match a changed payload): AXBM differs', async () => {
    const f = fixtures();
    const path = copy(f.signed, 'blockmap-edited.appx');
    const changed = defaultPayload();
    changed[changed.length - 1] = changed[changed.length - 1]! ^ 0xff;
    zipUpdate(path, f.dir, {
      'AppxBlockMap.xml': blockMapXml({
        'payload.bin': changed,
        'AppxManifest.xml': unzipEntry(path, 'AppxManifest.xml'),
        'readme.txt': unzipEntry(path, 'readme.txt'),
      }),
    });
    const { verdict, tool } = await both(path);
    expect(verdict.status).toBe('invalid');
    expect(verdict.code).toBe('APPX_DIGEST_MISMATCH');
    expect(verdict.message).toMatch(/AXPC, AXCD, AXBM hashes differ/);
    expect(tool.passed).toBe(false);
  });

  it('[Content_Types].xml edited after signing: AXCT differs', async () => {
    const f = fixtures();
    const path = copy(f.signed, 'content-types-edited.appx');
    const types = unzipEntry(path, '[Content_Types].xml').toString('utf8');
    zipUpdate(path, f.dir, {
      '[Content_Types].xml': types.replace('text/plain', 'application/x-msdownload'),
    });
    const { verdict, tool } = await both(path);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_DIGEST_MISMATCH' });
    expect(verdict.message).toContain('AXCT');
    expect(verdict.message).not.toContain('AXBM');
    expect(tool.passed).toBe(false);
  });

  it("another package's signature swapped in: every part but the shared content types differs", async () => {
    const f = fixtures();
    const otherUnsigned = makeAppx(f.dir, 'other-unsigned.appx', {
      files: { 'readme.txt': 'another app\n' },
    });
    const other = await f.sign(otherUnsigned, 'other-signed');
    const path = copy(f.signed, 'swapped.appx');
    zipUpdate(path, f.dir, { 'AppxSignature.p7x': unzipEntry(other, 'AppxSignature.p7x') });
    const { verdict, tool } = await both(path);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_DIGEST_MISMATCH' });
    expect(verdict.message).toContain('AXPC, AXCD, AXBM hashes differ');
    expect(tool.passed).toBe(false);
    // The swapped signature is itself good for its own package.
    expect((await both(other)).verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });
});

describe('appx: AppxMetadata/CodeIntegrity.cat (AXCI)', () => {
  it('is hashed as osslsigncode hashes it, and a changed one is named', async () => {
    const f = fixtures();
    const files = { 'readme.txt': 'ci\n', 'AppxMetadata/CodeIntegrity.cat': 'catalog bytes v1\n' };
    const signed = await f.sign(makeAppx(f.dir, 'ci.appx', { files }), 'ci-signed');
    const good = await both(signed);
    expect(good.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(good.evidence.details?.['appxParts']).toEqual(['AXPC', 'AXCD', 'AXCT', 'AXBM', 'AXCI']);
    const ci = /Checking Code Integrity hashes:[\s\S]*?Calculated message digest : ([0-9A-F]+)/.exec(
      good.tool.output,
    )?.[1];
    expect(String(good.evidence.details?.['imageHash']).slice(-64)).toBe(ci?.toLowerCase());

    const path = copy(signed, 'ci-edited.appx');
    zipUpdate(path, f.dir, { 'AppxMetadata/CodeIntegrity.cat': 'catalog bytes v2\n' });
    const bad = await both(path);
    expect(bad.verdict).toMatchObject({ status: 'invalid', code: 'APPX_DIGEST_MISMATCH' });
    expect(bad.verdict.message).toMatch(/AXPC, AXCD, AXCI hashes differ/);
    expect(bad.tool.passed).toBe(false);
  });
});

describe('appx: every file in the block map, every listed file present', () => {
  it('a file added after signing: the records change, and it is in no block map', async () => {
    const f = fixtures();
    const path = copy(f.signed, 'file-added.appx');
    zipUpdate(path, f.dir, { 'extra.txt': 'smuggled\n' });
    const { verdict, evidence, tool } = await both(path);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_DIGEST_MISMATCH' });
    expect(evidence.findings?.map((x) => x.code)).toContain('APPX_FILE_NOT_IN_BLOCKMAP');
    expect(tool.passed).toBe(false);
  });

  it('a file removed after signing: the records change, and a listed file is missing', async () => {
    const f = fixtures();
    const path = copy(f.signed, 'file-removed.appx');
    zipDelete(path, ['readme.txt']);
    const { verdict, evidence, tool } = await both(path);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_DIGEST_MISMATCH' });
    expect(evidence.findings?.find((x) => x.code === 'APPX_BLOCKMAP_FILE_MISSING')?.message).toContain(
      'readme.txt',
    );
    expect(tool.passed).toBe(false);
  });

  // osslsigncode signs and verifies the four tagged hashes only; the Windows installer also checks each
  // file against the block map. A package signed with a wrong block map passes osslsigncode, not us.
  it('signed with a file the block map does not list: osslsigncode accepts, we refuse', async () => {
    const f = fixtures();
    const unsigned = makeAppx(f.dir, 'unlisted.appx', {
      files: { 'readme.txt': 'hi\n', 'hidden.txt': 'not in the block map\n' },
      blockMapOf: {
        'payload.bin': defaultPayload(),
        'AppxManifest.xml': APPX_MANIFEST,
        'readme.txt': 'hi\n',
      },
    });
    const signed = await f.sign(unsigned, 'unlisted-signed');
    const { verdict, evidence, tool } = await both(signed);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_FILE_NOT_IN_BLOCKMAP' });
    expect(verdict.message).toContain('hidden.txt');
    expect(evidence.findings?.map((x) => x.code)).toEqual(['APPX_FILE_NOT_IN_BLOCKMAP']);
    expect(tool.passed, tool.output).toBe(true);
  });

  it('signed with a block map listing a file the package lacks: osslsigncode accepts, we refuse', async () => {
    const f = fixtures();
    const all = {
      'payload.bin': defaultPayload(),
      'AppxManifest.xml': APPX_MANIFEST,
      'readme.txt': 'hello from an APPX package\n',
      'Assets\\logo.png': 'a logo that was never packed',
    };
    const signed = await f.sign(makeAppx(f.dir, 'missing.appx', { blockMapOf: all }), 'missing-signed');
    const { verdict, tool } = await both(signed);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_BLOCKMAP_FILE_MISSING' });
    expect(verdict.message).toContain('Assets\\logo.png');
    expect(tool.passed, tool.output).toBe(true);
  });

  it('signed with a wrong block hash: osslsigncode accepts, we refuse', async () => {
    const f = fixtures();
    const signed = await f.sign(
      makeAppx(f.dir, 'wrong-hash.appx', {
        blockMapOf: {
          'payload.bin': defaultPayload(),
          'AppxManifest.xml': APPX_MANIFEST,
          'readme.txt': 'what the block map was made from\n'.padEnd(27, '!'),
        },
      }),
      'wrong-hash-signed',
    );
    const { verdict, tool } = await both(signed);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'APPX_BLOCKMAP_MISMATCH' });
    expect(verdict.message).toContain('readme.txt');
    expect(tool.passed, tool.output).toBe(true);
  });
});

describe('appx: one reading of the ZIP', () => {
  it('entries differing only in case, signed: osslsigncode accepts, we refuse (ZIP_AMBIGUOUS)', async () => {
    const f = fixtures();
    const files = { 'readme.txt': 'lower\n', 'README.txt': 'upper\n' };
    const signed = await f.sign(
      makeAppx(f.dir, 'case.appx', {
        files,
        blockMapOf: {
          'payload.bin': defaultPayload(),
          'AppxManifest.xml': APPX_MANIFEST,
          'readme.txt': 'lower\n',
          'README.txt': 'upper\n',
        },
      }),
      'case-signed',
    );
    const { verdict, tool } = await both(signed);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(verdict.message).toContain('differ only in case');
    expect(tool.passed, tool.output).toBe(true);
  });

  it('entries named a b.txt and a%20b.txt (one OPC part), signed: osslsigncode accepts, we refuse', async () => {
    const f = fixtures();
    const files = { 'readme.txt': 'hi\n', 'a b.txt': 'one\n', 'a%20b.txt': 'one\n' };
    const signed = await f.sign(
      makeAppx(f.dir, 'encoded.appx', {
        files,
        blockMapOf: {
          'payload.bin': defaultPayload(),
          'AppxManifest.xml': APPX_MANIFEST,
          'readme.txt': 'hi\n',
          'a b.txt': 'one\n',
        },
      }),
      'encoded-signed',
    );
    const { verdict, tool } = await both(signed);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(verdict.message).toContain('a b.txt');
    expect(tool.passed, tool.output).toBe(true);
  });

  it('a stub prepended to a signed package, offsets fixed by zip -A: both refuse', async () => {
    const f = fixtures();
    const path = join(f.dir, 'prepended.appx');
    writeFileSync(path, Buffer.concat([Buffer.from('MZ self-extractor stub\n'), readFileSync(f.signed)]));
    execFileSync('zip', ['-q', '-A', path]);
    const { verdict, tool } = await both(path);
    expect(verdict).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(tool.passed).toBe(false);
  });
});

describe('appx: layouts not read', () => {
  // osslsigncode signs a ZIP64 package but then fails its own verify of it; Windows' own packages over
  // 4 GiB use ZIP64. Until its AXCD end records are read, such a package is an error, never verified.
  it('a ZIP64 package (zip -fz) signed by osslsigncode: UNSUPPORTED, not a verdict', async () => {
    const f = fixtures();
    const signed = await f.sign(makeAppx(f.dir, 'zip64.appx', { zip64: true }), 'zip64-signed');
    await expect(detectWith(authenticodeAppxDetector, signed, 'appx')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('ZIP64') as unknown,
    });
    const tool = await osslsigncodeVerifyWith(signed, { caFile: f.pki.caPem });
    expect(tool.passed).toBe(false);
  });
});

describe('appx: wiring', () => {
  it('file scans run the APPX detector on appx targets, and only there', async () => {
    const f = fixtures();
    const bytes = new Uint8Array(readFileSync(f.signed));
    const target = fileTargetOf(f.signed, bytes, 'appx');
    const applying = (await detectorsFor('file')).filter((d) => d.applies(target)).map((d) => d.name);
    expect(applying).toContain('authenticode-appx');
    // Beside the package's own signature, a catalog in its directory may list it.
    expect(applying.filter((n) => n.startsWith('authenticode'))).toEqual([
      'authenticode-appx',
      'authenticode-catalog-member',
    ]);
    expect(authenticodeAppxDetector.applies({ ...target, format: 'jar' })).toBe(false);
  });
});

describe('appx: bundles', () => {
  async function bundleOf(name: string, inner: string) {
    const f = fixtures();
    const bundle = await f.sign(
      makeAppx(f.dir, `${name}.appxbundle`, { bundle: true, files: { 'app.appx': readFileSync(inner) } }),
      name,
    );
    const tool = await osslsigncodeVerifyWith(bundle, { caFile: f.pki.caPem });
    const outcomes = await evaluateWith(authenticodeAppxDetector, bundle, 'appx', await ownRoot());
    return { tool, outcomes };
  }

  it('a bundle is verified with the bundle SIP GUID, and the package inside with its own signature', async () => {
    const { tool, outcomes } = await bundleOf('bundle', fixtures().signed);
    expect(outcomes.map((o) => [o.evidence.location, o.verdict.status, o.verdict.code])).toEqual([
      ['AppxSignature.p7x', 'verified', 'CHAIN_VALID'],
      ['app.appx!AppxSignature.p7x', 'verified', 'CHAIN_VALID'],
    ]);
    expect(outcomes[0]!.evidence.details).toMatchObject({
      appxBundle: true,
      sipGuid: 'b3585f0fdeaa9a4ba43495742d92eceb',
    });
    expect(outcomes[1]!.evidence.details).toMatchObject({
      appxBundle: false,
      sipGuid: '4bdfc50a07cee24db76e23c839a09fd1',
    });
    expect(tool.passed, tool.output).toBe(true);
  });

  it('a package tampered before it was bundled: the bundle verifies, the package inside is invalid', async () => {
    const { tool, outcomes } = await bundleOf('bundle-tampered', fixtures().tampered);
    expect(outcomes.map((o) => [o.evidence.location, o.verdict.status, o.verdict.code])).toEqual([
      ['AppxSignature.p7x', 'verified', 'CHAIN_VALID'],
      ['app.appx!AppxSignature.p7x', 'invalid', 'APPX_DIGEST_MISMATCH'],
    ]);
    // osslsigncode checks the bundle's own signature only.
    expect(tool.passed, tool.output).toBe(true);
  });
});
