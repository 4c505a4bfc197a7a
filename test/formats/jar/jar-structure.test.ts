/**
 * The JAR structure checks of src/formats/jar/jar.ts (issue #18, mutation testing): which ZIP entries are
 * signature files, blocks and manifests, ZIP ambiguities and local headers that disagree with the central
 * directory, names the JDK's verifier takes for one file, entries named like directories that hold data,
 * and the cap on per-entry findings. Every archive starts from a jarsigner-signed JAR
 * (fixtures/jar/hello-signed.jar) or one made here with keytool/jar/jarsigner, changed by rewriting its
 * entries with Python's zipfile or by byte surgery; `jarsigner -verify -strict` is asked about the same
 * bytes. JARs and jarsigner's answers are cached per day (Stryker reruns beforeAll for every mutant).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { Finding } from '../../../src/model/index.js';
import {
  analyzeJar,
  isSignatureRelated,
  looksLikeJar,
  type JarAnalysis,
} from '../../../src/formats/jar/index.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { genKey, jarsignerVerify, makeSignedJar, putEntries, signJar } from '../../helpers/jar/index.js';
import { PROJECT_ROOT } from '../../helpers/tools.js';

const SIGNED = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
/** hello-signed.jar's entries, in central-directory order. */
const ORIGINAL = [
  'META-INF/MANIFEST.MF',
  'META-INF/RELEASE.SF',
  'META-INF/RELEASE.RSA',
  'META-INF/',
  'com/',
  'com/example/',
  'com/example/hello.txt',
];

/** One entry of a rebuilt archive: a copy of an entry of the signed JAR (possibly renamed), or new bytes. */
type Item = { copy: string; as?: string } | { name: string; data: string };
const keep = (names = ORIGINAL): Item[] => names.map((copy) => ({ copy }));
const text = (name: string, data: string): Item => ({ name, data: Buffer.from(data).toString('base64') });

const REBUILD = [
  'import base64, json, sys, warnings, zipfile',
  'warnings.simplefilter("ignore")',
  'items = json.loads(sys.stdin.read())',
  'with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as out:',
  '  for it in items:',
  '    if "copy" in it:',
  '      info = src.getinfo(it["copy"])',
  '      data = src.read(info)',
  '      name = it.get("as", it["copy"])',
  '    else:',
  '      info, name, data = None, it["name"], base64.b64decode(it["data"])',
  '    zi = zipfile.ZipInfo(name, info.date_time if info else (2026, 1, 1, 0, 0, 0))',
  '    zi.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED',
  '    out.writestr(zi, data)',
].join('\n');

/** The signed JAR's entries rewritten as `items` lists them, in that order. */
function rebuild(out: string, items: Item[]): void {
  execFileSync('python3', ['-c', REBUILD, SIGNED, out], { input: JSON.stringify(items) });
}

function u32(b: Uint8Array, at: number): number {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUInt32LE(at);
}
function eocd(b: Uint8Array): number {
  for (let i = b.length - 22; i >= 0; i--) if (u32(b, i) === 0x06054b50) return i;
  throw new Error('no end record');
}

/** 16 bytes that belong to no entry inserted before the central directory, whose offset is moved along. */
function withGap(src: Uint8Array): Uint8Array {
  const end = eocd(src);
  const cd = u32(src, end + 16);
  const out = Buffer.concat([src.subarray(0, cd), Buffer.alloc(16, 0x41), src.subarray(cd)]);
  out.writeUInt32LE(cd + 16, end + 16 + 16);
  return new Uint8Array(out);
}

/** The local header of `name` renamed (same length) to `to`; the central directory keeps `name`. */
function withLocalName(src: Uint8Array, name: string, to: string): Uint8Array {
  const out = Buffer.from(src);
  const needle = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04])]);
  for (let i = out.indexOf(needle); i !== -1; i = out.indexOf(needle, i + 4)) {
    const len = out.readUInt16LE(i + 26);
    if (out.toString('latin1', i + 30, i + 30 + len) === name) {
      out.write(to, i + 30, 'latin1');
      return new Uint8Array(out);
    }
  }
  throw new Error(`no local header for ${name}`);
}

const manifestOf = () => execFileSync('unzip', ['-p', SIGNED, 'META-INF/MANIFEST.MF'], { encoding: 'utf8' });
const sfOf = () => execFileSync('unzip', ['-p', SIGNED, 'META-INF/RELEASE.SF'], { encoding: 'utf8' });
const rsaOf = () => execFileSync('unzip', ['-p', SIGNED, 'META-INF/RELEASE.RSA']);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const dirsWithData = (n: number): Item[] =>
  Array.from({ length: n }, (_, i) =>
    text(`com/example/d${String(i).padStart(2, '0')}.class/`, `data ${i}\n`),
  );

/** Rebuilt variants of hello-signed.jar (name → items). */
const REBUILT: Record<string, () => Item[]> = {
  // A second manifest differing only in case: JDK 17 builds no verifier (getManifestNum != 1).
  'two-manifests': () => [...keep(), text('meta-inf/manifest.mf', manifestOf())],
  // A manifest named `./META-INF/MANIFEST.MF`: JarVerifier drops the `./`, ZipFile does not.
  'dot-slash-manifest': () => [...keep(), text('./META-INF/MANIFEST.MF', manifestOf())],
  // Another copy of a signed entry under `./name` and `/name`, other content.
  'dot-slash-entry': () => [...keep(), text('./com/example/hello.txt', 'evil\n')],
  'slash-entry': () => [...keep(), text('/com/example/hello.txt', 'evil\n')],
  // Outside META-INF names are case-sensitive: HELLO.txt is another file, merely unsigned.
  'case-content': () => [...keep(), text('com/example/HELLO.txt', 'other\n')],
  // The very same name twice.
  'exact-duplicate': () => [...keep(), text('com/example/hello.txt', 'evil\n')],
  // `hello.txt/` with data: a directory to ZipEntry.isDirectory, returned by getEntry("hello.txt") when
  // no hello.txt exists.
  'dir-with-data': () => [
    ...keep(ORIGINAL.filter((n) => n !== 'com/example/hello.txt')),
    { copy: 'com/example/hello.txt' },
    text('com/example/Evil.class/', 'not checked\n'),
  ],
  'dirs-20': () => [...keep(), ...dirsWithData(20)],
  'dirs-21': () => [...keep(), ...dirsWithData(21)],
  // The only manifest spelled in lower case: JarFile.getManEntry finds it case-insensitively.
  'lower-manifest': () => [
    { copy: 'META-INF/MANIFEST.MF', as: 'meta-inf/manifest.mf' },
    ...keep(ORIGINAL.slice(1)),
  ],
  // A tampered case twin of the .SF placed BEFORE the real one in the central directory.
  'sf-twin-first': () => [
    { copy: 'META-INF/MANIFEST.MF' },
    text(
      'META-INF/release.sf',
      sfOf().replace(/SHA-256-Digest-Manifest: \S+/, 'SHA-256-Digest-Manifest: AAAA'),
    ),
    ...keep(ORIGINAL.slice(1)),
  ],
  // A .SF whose name upper-cases (as JarVerifier keys .SF data, toUpperCase(Locale.ENGLISH)) to
  // META-INF/RELEASE.SF but lower-cases to another name: U+017F LATIN SMALL LETTER LONG S.
  'sf-long-s-twin': () => [...keep(), text('META-INF/RELEA\u017fE.SF', sfOf())],
  // Names around the block/.SF rules: a SIG-* block with its .SF (a signature), a SIG-* without one (not
  // a signature), a lone SIG-*.SF (a .SF, never a block), a block one directory too deep and a top-level
  // file whose name ends in .RSA (content, not signature files).
  'sig-names': () => [
    ...keep(),
    { name: 'META-INF/SIG-FOO', data: b64(rsaOf()) },
    text('META-INF/SIG-FOO.SF', sfOf()),
    { name: 'META-INF/SIG-BAR', data: b64(rsaOf()) },
    text('META-INF/SIG-X.SF', sfOf()),
    { name: 'META-INF/sub/X.RSA', data: b64(rsaOf()) },
    { name: 'signature.RSA', data: b64(rsaOf()) },
  ],
  // hello.txt removed after signing: its manifest section and .SF section stay.
  'entry-removed': () => keep(ORIGINAL.filter((n) => n !== 'com/example/hello.txt')),
  // A manifest with 25 lines that are not `Name: value` headers.
  'manifest-errors': () => [
    text('META-INF/MANIFEST.MF', manifestOf().replace('\r\n\r\n', `\r\n${'broken line\r\n'.repeat(25)}\r\n`)),
    ...keep(ORIGINAL.slice(1)),
  ],
  // No manifest, no signature files.
  plain: () => [text('a.txt', 'a\n')],
  // hello.txt's only digest is of an algorithm nobody knows.
  'unknown-digest': () => [
    text('META-INF/MANIFEST.MF', manifestOf().replace(/SHA-256-Digest: \S+/, 'FOO-Digest: AAAA')),
    ...keep(ORIGINAL.slice(1)),
  ],
};

interface Oracle {
  verified: boolean;
  exitCode: number;
}

let dir: string;
let oracle: Record<string, Oracle>;

beforeAll(async () => {
  dir = await cachedFixtureDir('jar-structure-v2', async (d) => {
    for (const [name, items] of Object.entries(REBUILT)) rebuild(join(d, `${name}.jar`), items());
    const signed = new Uint8Array(readFileSync(SIGNED));
    writeFileSync(join(d, 'gap.jar'), withGap(signed));
    writeFileSync(
      join(d, 'local-name.jar'),
      withLocalName(signed, 'com/example/hello.txt', 'com/example/hellO.txt'),
    );
    copyFileSync(SIGNED, join(d, 'control.jar'));
    // A real DSA signature (block META-INF/DSA.DSA).
    await breathe();
    makeSignedJar(d, { name: 'dsa.jar', alias: 'dsa', keyalg: 'DSA', keysize: 2048, dname: 'CN=DSA Signer' });
    // A manifest section with no digest for an entry that is absent when signing (jarsigner keeps the
    // section, and its .SF digests it), and the entry added afterwards.
    const keystore = join(d, 'keystore.p12');
    genKey(keystore, { alias: 'late', keyalg: 'RSA', dname: 'CN=Late Signer' });
    const src = join(d, 'late-src');
    mkdirSync(join(src, 'com'), { recursive: true });
    writeFileSync(join(src, 'com', 'a.txt'), 'a\n');
    writeFileSync(
      join(d, 'late-manifest.txt'),
      'Manifest-Version: 1.0\nCreated-By: sigscan test\n\nName: late.txt\nX-Note: added later\n\n',
    );
    execFileSync('jar', ['cfm', join(d, 'late-absent.jar'), join(d, 'late-manifest.txt'), '-C', src, '.']);
    signJar(join(d, 'late-absent.jar'), { keystore, alias: 'late' });
    copyFileSync(join(d, 'late-absent.jar'), join(d, 'late.jar'));
    putEntries(join(d, 'late.jar'), { 'late.txt': 'added after signing\n' });

    const found: Record<string, Oracle> = {};
    for (const name of [
      ...Object.keys(REBUILT),
      'gap',
      'local-name',
      'control',
      'dsa',
      'late-absent',
      'late',
    ]) {
      await breathe();
      const r = jarsignerVerify(join(d, `${name}.jar`));
      found[name] = { verified: r.verified, exitCode: r.exitCode };
    }
    writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(found, null, 1));
  });
  oracle = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as Record<string, Oracle>;
}, 240_000);

const bytesOf = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.jar`)));
const analyze = (name: string) => analyzeJar(bytesOf(name));
const all = (a: JarAnalysis): Finding[] => [...a.findings, ...a.signatures.flatMap((s) => s.findings)];
const integrityCodes = (a: JarAnalysis) =>
  all(a)
    .filter((f) => f.severity === 'integrity')
    .map((f) => f.code)
    .sort();
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('signature-related names (JarFile.isSigningRelated)', () => {
  it.each([
    // Nine characters before the name, as long as `META-INF/`: only the prefix check keeps them content.
    ['signature.RSA', false],
    ['signaturaCERT.SF', false],
    ['0123456789/X.RSA', false],
  ])('%s → %s', (name, want) => {
    expect(isSignatureRelated(name)).toBe(want);
  });
});

describe('JAR structure findings on jarsigner-signed JARs after ZIP surgery (oracle: jarsigner -verify -strict)', () => {
  it('the control: jarsigner verifies, sigscan has no finding and no missing entry', async () => {
    // Exit 4: the self-signed signer is not in a truststore (-strict); the signature itself verifies.
    expect(oracle['control']).toEqual({ verified: true, exitCode: 4 });
    const a = await analyze('control');
    expect(all(a).filter((f) => f.severity !== 'info')).toEqual([]);
    expect(a.missingEntries).toEqual([]);
    expect(a.signatures.map((s) => s.signedEntries)).toEqual([['com/example/hello.txt']]);
  });

  it('bytes between the last entry and the central directory: ZIP_AMBIGUOUS, first among the findings', async () => {
    // java.util.zip reads the central directory by the end record's offset and ignores the gap.
    expect(oracle['gap']).toEqual(oracle['control']);
    const a = await analyze('gap');
    expect(integrityCodes(a)).toEqual(['ZIP_AMBIGUOUS']);
    expect(a.findings[0]!.code).toBe('ZIP_AMBIGUOUS');
    expect(a.findings[0]!.message).toBe(
      '16 bytes between the data of com/example/hello.txt and the central directory belong to no entry',
    );
  });

  it('a local header naming another file than the central directory: LOCAL_HEADER_MISMATCH', async () => {
    // JarFile reads names from the central directory only: jarsigner does not notice.
    expect(oracle['local-name']).toEqual(oracle['control']);
    const a = await analyze('local-name');
    expect(integrityCodes(a)).toEqual(['LOCAL_HEADER_MISMATCH']);
    expect(a.findings.find((f) => f.code === 'LOCAL_HEADER_MISMATCH')!.message).toBe(
      'local header of entry com/example/hello.txt names a different file than the central directory',
    );
  });

  it('two manifests differing in case: MULTIPLE_MANIFESTS only (not also a duplicate entry); the JDK sees no signature', async () => {
    expect(oracle['two-manifests']).toEqual({ verified: false, exitCode: 16 });
    const a = await analyze('two-manifests');
    expect(integrityCodes(a)).toEqual(['MULTIPLE_MANIFESTS']);
    expect(a.findings.find((f) => f.code === 'MULTIPLE_MANIFESTS')!.message).toBe(
      '2 manifests (META-INF/MANIFEST.MF, meta-inf/manifest.mf); the JDK treats a JAR with more than one as unsigned',
    );
  });

  it('./META-INF/MANIFEST.MF beside the manifest: a DUPLICATE_ENTRY, not a second manifest', async () => {
    const a = await analyze('dot-slash-manifest');
    expect(integrityCodes(a)).toEqual(['DUPLICATE_ENTRY']);
    expect(a.findings[0]!.message).toBe(
      "entries META-INF/MANIFEST.MF, ./META-INF/MANIFEST.MF name the same file for the JDK's JAR verifier",
    );
    // jarsigner verifies (exit 20: 16 for the unsigned ./ copy, 4 for the chain); sigscan refuses.
    expect(oracle['dot-slash-manifest']).toEqual({ verified: true, exitCode: 20 });
  });

  it.each([
    ['dot-slash-entry', './com/example/hello.txt'],
    ['slash-entry', '/com/example/hello.txt'],
  ])(
    '%s: %s collides with com/example/hello.txt (JarVerifier drops the prefix): DUPLICATE_ENTRY',
    async (name, other) => {
      const a = await analyze(name);
      expect(integrityCodes(a)).toEqual(['DUPLICATE_ENTRY']);
      expect(a.findings.map((f) => f.message)).toContain(
        `entries com/example/hello.txt, ${other} name the same file for the JDK's JAR verifier`,
      );
      // JarVerifier reads the other copy under the signed name: a digest error.
      expect(oracle[name]).toEqual({ verified: false, exitCode: 1 });
    },
  );

  it('content names differing only in case are two files: no finding beyond the unsigned entry', async () => {
    expect(oracle['case-content']).toEqual({ verified: true, exitCode: 20 });
    const a = await analyze('case-content');
    expect(integrityCodes(a)).toEqual([]);
    expect(a.signatures[0]!.unsignedEntries).toEqual(['com/example/HELLO.txt']);
  });

  it('an exact duplicate name: one DUPLICATE_ENTRY (from the ZIP reader), not a second collision', async () => {
    const a = await analyze('exact-duplicate');
    expect(a.duplicateEntries).toEqual(['com/example/hello.txt']);
    expect(codes(a.findings).filter((c) => c === 'DUPLICATE_ENTRY')).toHaveLength(1);
    expect(integrityCodes(a)).toEqual(['DUPLICATE_ENTRY', 'ENTRY_DIGEST_MISMATCH']);
    expect(oracle['exact-duplicate']).toEqual({ verified: false, exitCode: 1 });
  });

  it('an entry named like a directory that holds data: DIRECTORY_ENTRY_WITH_DATA', async () => {
    const a = await analyze('dir-with-data');
    expect(integrityCodes(a)).toEqual(['DIRECTORY_ENTRY_WITH_DATA']);
    expect(a.findings[0]!.message).toBe(
      'com/example/Evil.class/ is named like a directory but holds 12 bytes: no verifier checks it, ' +
        'and the JDK returns it for com/example/Evil.class',
    );
    // jarsigner verifies (exit 20: it lists the entry as unsigned); sigscan refuses.
    expect(oracle['dir-with-data']).toEqual({ verified: true, exitCode: 20 });
  });

  it('20 such entries: 20 findings; 21: 20 and one folded "1 more entries"', async () => {
    const twenty = (await analyze('dirs-20')).findings.filter((f) => f.code === 'DIRECTORY_ENTRY_WITH_DATA');
    expect(twenty).toHaveLength(20);
    const a = await analyze('dirs-21');
    const found = a.findings.filter((f) => f.code === 'DIRECTORY_ENTRY_WITH_DATA');
    expect(found).toHaveLength(21);
    expect(found[20]!.message).toBe(
      '1 more entries: com/example/d20.class/ is named like a directory but holds 8 bytes: no verifier ' +
        'checks it, and the JDK returns it for com/example/d20.class',
    );
    expect(oracle['dirs-21']).toEqual({ verified: true, exitCode: 20 });
  });

  it('a manifest spelled meta-inf/manifest.mf is found (as JarFile.getManEntry finds it)', async () => {
    const bytes = bytesOf('lower-manifest');
    expect(await looksLikeJar(bytes)).toBe(true);
    const a = await analyzeJar(bytes);
    expect(a.manifestName).toBe('meta-inf/manifest.mf');
    expect(integrityCodes(a)).toEqual([]);
    expect(a.signatures[0]!.manifestDigestMatches).toBe(true);
    expect(a.signatures[0]!.signedEntries).toEqual(['com/example/hello.txt']);
    expect(oracle['lower-manifest']).toEqual(oracle['control']);
  });

  it('a .SF case twin listed first: the block still pairs with the exact-case .SF (and the twin is flagged)', async () => {
    const a = await analyze('sf-twin-first');
    expect(a.signatures).toHaveLength(1);
    expect(a.signatures[0]!.signatureFileName).toBe('META-INF/RELEASE.SF');
    expect(a.signatures[0]!.manifestDigestMatches).toBe(true);
    expect(integrityCodes(a)).toEqual(['AMBIGUOUS_SIGNATURE_FILE', 'DUPLICATE_ENTRY']);
    // jarsigner reads the exact-case .SF and verifies; sigscan refuses the ambiguity.
    expect(oracle['sf-twin-first']).toEqual(oracle['control']);
  });

  it('a .SF equal to RELEASE.SF once upper-cased (long s): DUPLICATE_ENTRY and AMBIGUOUS_SIGNATURE_FILE', async () => {
    const a = await analyze('sf-long-s-twin');
    expect(integrityCodes(a)).toEqual(['AMBIGUOUS_SIGNATURE_FILE', 'DUPLICATE_ENTRY']);
    expect(a.findings.map((f) => f.message)).toContain(
      "entries META-INF/RELEASE.SF, META-INF/RELEA\u017fE.SF name the same file for the JDK's JAR verifier",
    );
    // jarsigner takes one of the two (the exact name) and verifies; sigscan refuses the ambiguity.
    expect(oracle['sf-long-s-twin']).toEqual(oracle['control']);
  });

  it('SIG-* is a block only with its .SF; a lone SIG-*.SF, META-INF/sub/X.RSA and signature.RSA are not blocks', async () => {
    const a = await analyze('sig-names');
    expect(a.signatures.map((s) => [s.blockName, s.signatureFileName])).toEqual([
      ['META-INF/RELEASE.RSA', 'META-INF/RELEASE.SF'],
      ['META-INF/SIG-FOO', 'META-INF/SIG-FOO.SF'],
    ]);
    // The deep block and the top-level .RSA are content; the SIG-* files and .SF files are not.
    expect(a.entriesTotal).toBe(3);
    expect(a.signatures[0]!.unsignedEntries).toEqual(['META-INF/sub/X.RSA', 'signature.RSA']);
    expect(integrityCodes(a)).toEqual([]);
    expect(oracle['sig-names']).toEqual({ verified: true, exitCode: 20 });
  });

  it('a DSA-signed JAR: the .DSA block is found', async () => {
    expect(oracle['dsa']).toEqual(oracle['control']);
    const a = await analyze('dsa');
    expect(a.signatures.map((s) => s.blockName)).toEqual(['META-INF/DSA.DSA']);
    expect(a.signatures[0]!.algorithm).toBe('SHA256withDSA');
    expect(a.signatures[0]!.signerCertificate!.summary.subject).toBe('CN=DSA Signer');
    expect(integrityCodes(a)).toEqual([]);
  });

  it('a signed entry removed: ENTRY_MISSING (archive warning and per-signature integrity)', async () => {
    const a = await analyze('entry-removed');
    expect(a.missingEntries).toEqual(['com/example/hello.txt']);
    expect(a.findings.map((f) => [f.code, f.severity])).toEqual([['ENTRY_MISSING', 'warning']]);
    expect(integrityCodes(a)).toEqual(['ENTRY_MISSING']);
    // jarsigner only warns about a nonexistent signed entry; sigscan refuses.
    expect(oracle['entry-removed']).toEqual(oracle['control']);
  });

  it('a manifest section without digests names no missing entry; the entry added later is unsigned', async () => {
    const absent = await analyze('late-absent');
    expect(absent.missingEntries).toEqual([]);
    expect(oracle['late-absent']).toEqual(oracle['control']);
    const a = await analyze('late');
    expect(a.missingEntries).toEqual([]);
    expect(a.signatures[0]!.signedEntries).toEqual(['com/a.txt']);
    expect(a.signatures[0]!.unsignedEntries).toEqual(['late.txt']);
    expect(codes(a.signatures[0]!.findings)).toContain('UNSIGNED_ENTRIES');
    // The JDK throws "digest missing for late.txt"; sigscan's trust layer refuses it as UNSIGNED_ENTRIES.
    expect(oracle['late']).toEqual({ verified: false, exitCode: 1 });
  });

  it('25 malformed manifest lines: 20 MANIFEST_MALFORMED findings (capped)', async () => {
    const a = await analyze('manifest-errors');
    expect(a.findings.filter((f) => f.code === 'MANIFEST_MALFORMED')).toHaveLength(20);
    expect(oracle['manifest-errors']).toEqual({ verified: false, exitCode: 1 });
  });

  it('an entry whose only digest is of an unknown algorithm is unsigned, not an error', async () => {
    const a = await analyze('unknown-digest');
    expect(a.signatures[0]!.signedEntries).toEqual([]);
    expect(a.signatures[0]!.unsignedEntries).toEqual(['com/example/hello.txt']);
    expect(a.mismatchedEntries).toEqual([]);
    // The edit also changes the section the .SF digests: both refuse on that.
    expect(integrityCodes(a)).toEqual(['SF_DIGEST_MISMATCH']);
    expect(oracle['unknown-digest']).toEqual({ verified: false, exitCode: 1 });
  });

  it('a ZIP without signature blocks gets no findings, even without a manifest', async () => {
    const a = await analyze('plain');
    expect(a.signatures).toEqual([]);
    expect(a.findings).toEqual([]);
    expect(oracle['plain']).toEqual({ verified: false, exitCode: 0 });
  });
});
