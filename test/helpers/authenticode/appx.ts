import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { cachedToolRunSync } from '../tool-answers.js';

/**
 * Unsigned APPX packages made with Info-ZIP `zip` (no extra fields, no directory entries: what MakeAppx
 * writes) for osslsigncode to sign. The block map is generated here, with real 64 KiB block hashes of
 * the files as given, unless `blockMapOf` says which contents to hash instead (a lying block map).
 */
export const APPX_MARKER = 'SIGSCAN-APPX-MARKER-CONTENT';

/**
 * zip stores each file's mtime: with a fixed one the same spec makes the same package every run, so its
 * signatures and osslsigncode's answers come from the day cache (test/helpers/tool-answers.ts).
 */
const FIXED_MTIME = new Date('2026-01-01T00:00:00Z');

function writeFixed(path: string, content: string | Buffer): void {
  writeFileSync(path, content);
  utimesSync(path, FIXED_MTIME, FIXED_MTIME);
}

export interface AppxSpec {
  /** Package files (ZIP names) and their contents; AppxManifest.xml and a payload by default. */
  files?: Record<string, string | Buffer>;
  /** Stored uncompressed, so a test can find and flip a byte of it in the archive. */
  stored?: Record<string, string | Buffer>;
  /** Block-map entries (Windows names) and the contents hashed for them; by default every file as is. */
  blockMapOf?: Record<string, string | Buffer>;
  /** Makes a bundle (AppxMetadata/AppxBundleManifest.xml). */
  bundle?: boolean;
  /** Info-ZIP `-fz`: ZIP64 records even for a small archive. */
  zip64?: boolean;
}

export const APPX_MANIFEST =
  '<?xml version="1.0" encoding="utf-8"?>\n' +
  '<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10">' +
  '<Identity Name="Sigscan.Test" Publisher="CN=Sigscan RSA Code Signer, OU=Builds, O=Sigscan Test, L=Berlin, C=DE" Version="1.0.0.0"/>' +
  '</Package>\n';

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="xml" ContentType="application/vnd.ms-appx.manifest+xml"/>' +
  '<Default Extension="bin" ContentType="application/octet-stream"/>' +
  '<Default Extension="txt" ContentType="text/plain"/>' +
  '<Default Extension="appx" ContentType="application/vnd.ms-appx"/>' +
  '<Override PartName="/AppxBlockMap.xml" ContentType="application/vnd.ms-appx.blockmap+xml"/>' +
  '</Types>';

/** Deterministic bytes over more than one 64 KiB block, so block indexing is exercised. */
export function payloadBytes(): Buffer {
  const out = Buffer.alloc(70_000);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

/** The default stored payload: the marker, then payloadBytes(). */
export function defaultPayload(): Buffer {
  return Buffer.concat([Buffer.from(APPX_MARKER), payloadBytes()]);
}

export function blockMapXml(files: Record<string, string | Buffer>): string {
  let xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" HashMethod="http://www.w3.org/2001/04/xmlenc#sha256">';
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    xml += `<File Name="${name}" Size="${data.length}" LfhSize="${30 + Buffer.byteLength(name.replaceAll('\\', '/'))}">`;
    for (let i = 0; i < data.length; i += 65536) {
      const hash = createHash('sha256')
        .update(data.subarray(i, i + 65536))
        .digest('base64');
      xml += `<Block Hash="${hash}"/>`;
    }
    xml += '</File>';
  }
  return `${xml}</BlockMap>\n`;
}

/**
 * Writes `dir/<name>` (an unsigned package) from `spec`; returns its path. Zipped once a day per name and spec
 * (cachedToolRunSync): a dozen zip runs a test run otherwise, redone for every mutant.
 */
export function makeAppx(dir: string, name: string, spec: AppxSpec = {}): string {
  const built = cachedToolRunSync('appx-make-v1', [name, JSON.stringify(spec)], (d) => {
    zipAppx(d, name, spec);
  });
  const out = join(dir, name);
  copyFileSync(join(built, name), out);
  return out;
}

function zipAppx(dir: string, name: string, spec: AppxSpec): string {
  const work = join(dir, `${name}.d`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const stored = spec.stored ?? { 'payload.bin': defaultPayload() };
  const files: Record<string, string | Buffer> = {
    'AppxManifest.xml': APPX_MANIFEST,
    ...(spec.bundle ? { 'AppxMetadata/AppxBundleManifest.xml': '<Bundle/>\n' } : {}),
    ...(spec.files ?? { 'readme.txt': 'hello from an APPX package\n' }),
  };
  const all = { ...stored, ...files };
  for (const [file, content] of Object.entries(all)) {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    writeFixed(join(work, file), content);
  }
  const listed =
    spec.blockMapOf ?? Object.fromEntries(Object.entries(all).map(([k, v]) => [k.replaceAll('/', '\\'), v]));
  writeFixed(join(work, 'AppxBlockMap.xml'), blockMapXml(listed));
  writeFixed(join(work, '[Content_Types].xml'), CONTENT_TYPES);
  const out = join(dir, name);
  rmSync(out, { force: true });
  const zip = (args: string[]) =>
    execFileSync('zip', ['-X', '-D', '-q', ...(spec.zip64 ? ['-fz'] : []), ...args], { cwd: work });
  zip(['-0', out, ...Object.keys(stored)]);
  zip([out, ...Object.keys(files), 'AppxBlockMap.xml', '[Content_Types].xml']);
  rmSync(work, { recursive: true, force: true });
  return out;
}

/** Replaces (or adds) entries of an existing package with `zip`, as a tamperer would. */
export function zipUpdate(pkg: string, dir: string, files: Record<string, string | Buffer>): void {
  const work = join(dir, `update-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  mkdirSync(work, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    writeFixed(join(work, file), content);
  }
  execFileSync('zip', ['-X', '-D', '-q', pkg, ...Object.keys(files)], { cwd: work });
  rmSync(work, { recursive: true, force: true });
}

/** Deletes entries of an existing package with `zip -d`. */
export function zipDelete(pkg: string, names: string[]): void {
  execFileSync('zip', ['-q', '-d', pkg, ...names]);
}

/** An entry's uncompressed bytes, by `unzip -p`. */
export function unzipEntry(pkg: string, name: string): Buffer {
  return execFileSync('unzip', ['-p', pkg, name.replaceAll('[', '[[]')], { maxBuffer: 1 << 26 });
}
