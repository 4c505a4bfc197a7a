import type { Finding } from '../../model/index.js';
import { DEFAULT_LIMITS, type Limits } from '../../util/limits.js';
import {
  parseSignedData,
  signerTimestamps,
  type SignedDataInfo,
  type SignerInfoView,
  type TimestampInfo,
} from '../cms.js';
import type { ParsedCertificate } from '../x509.js';
import { ArchiveFile, openZip, type ZipArchive, type ZipEntry } from '../zip/index.js';
import {
  digestAttributes,
  digestBytes,
  equalBytes,
  isDisabledDigest,
  isWeakDigest,
  newHash,
  strongest,
  type DigestAttribute,
} from './digest.js';
import {
  attribute,
  mainSectionBytes,
  parseManifest,
  sectionBytes,
  sectionBytesWithoutBlankLine,
  sectionsByName,
  type ManifestSection,
  type ParsedManifest,
} from './manifest.js';

/**
 * Signed JAR analysis (JAR/WAR/EAR/APK v1; formats.md §6). Extracts what each signature block claims
 * and checks the digest chain entry → manifest section → .SF. It does not check the CMS signature over
 * the .SF, build chains or decide trust: that is the trust layer's job, fed by the raw bytes kept here.
 */

export const MANIFEST_NAME = 'META-INF/MANIFEST.MF';
/** Lists of entry names in a report are cut here; the counts stay exact. */
export const ENTRY_LIST_CAP = 100;
/** Per-entry findings beyond this many are folded into one. */
const FINDING_CAP = 20;

export type JarLimits = Pick<
  Limits,
  'maxArchiveEntries' | 'maxArchiveUncompressedBytes' | 'maxCompressionRatio' | 'maxSignatureBlobBytes'
>;

export interface JarSignature {
  /** e.g. `META-INF/CERT.RSA`. */
  blockName: string;
  /** The paired `.SF`, when present. */
  signatureFileName?: string;
  blockDer: Uint8Array;
  signatureFileBytes?: Uint8Array;
  signedData?: SignedDataInfo;
  /** First SignerInfo of the block (jarsigner and SignApk write exactly one). */
  signer?: SignerInfoView;
  signerInfoCount: number;
  signerCertificate?: ParsedCertificate;
  /** The block's other certificates, in the order it carries them. */
  chain: ParsedCertificate[];
  /** jarsigner's spelling, e.g. `SHA256withRSA`. */
  algorithm?: string;
  /** Digest algorithm of the CMS SignerInfo. */
  cmsDigestAlgorithm?: string;
  /** Strongest algorithm of the .SF manifest digest (what jarsigner calls the digest algorithm). */
  digestAlgorithm?: string;
  createdBy?: string;
  androidApkSigned?: string;
  timestamp?: TimestampInfo;
  /** `<ALG>-Digest-Manifest` present and matching the whole MANIFEST.MF. */
  manifestDigestMatches: boolean;
  /** Names of entries whose content digest verified through a manifest section this signer covers. */
  signedEntries: string[];
  /** Non-signature files this signer does not cover (central-directory order). */
  unsignedEntries: string[];
  /** Every digest algorithm this signature relies on. */
  digestAlgorithms: string[];
  /**
   * For each check this signature passes (the CMS digest, the .SF's manifest or section digests, each
   * signed entry's digests), the strongest algorithm it offers: what the JDK still has when it skips
   * disabled algorithms (SignatureFileVerifier and ManifestEntryVerifier ignore a disabled digest and use
   * the others). A weak algorithm here means the JDK has nothing else to rely on for that check.
   */
  requiredDigestAlgorithms: string[];
  /** Problems specific to this signature; archive-wide ones are in JarAnalysis.findings. */
  findings: Finding[];
}

export interface JarAnalysis {
  manifestName?: string;
  /** Non-directory, non-signature entries (distinct names). */
  entriesTotal: number;
  /** Entries whose content does not match their manifest digest. */
  mismatchedEntries: string[];
  /** Manifest sections with digests for entries that are not in the archive. */
  missingEntries: string[];
  duplicateEntries: string[];
  signatures: JarSignature[];
  /** Problems that concern every signature of the archive. */
  findings: Finding[];
}

interface BlockFile {
  entry: ZipEntry;
  sf?: ZipEntry;
  /** Several `.SF` files differing only in case. */
  ambiguous: boolean;
}

type EntryStatus =
  { state: 'ok'; algorithms: string[] } | { state: 'mismatch'; algorithms: string[] } | { state: 'nodigest' };

/**
 * JDK rule (JarFile.isSigningRelated): MANIFEST.MF, *.SF/*.RSA/*.DSA/*.EC and SIG-* with an optional
 * 1-3 character alphanumeric extension, directly inside META-INF/, compared case-insensitively.
 */
export function isSignatureRelated(name: string): boolean {
  const upper = name.toUpperCase();
  if (!upper.startsWith('META-INF/')) return false;
  const base = upper.slice('META-INF/'.length);
  if (base.includes('/')) return false;
  if (base === 'MANIFEST.MF' || isBlockOrSf(base)) return true;
  return isSigName(base);
}

function isBlockOrSf(base: string): boolean {
  return base.endsWith('.SF') || base.endsWith('.RSA') || base.endsWith('.DSA') || base.endsWith('.EC');
}

function isSigName(base: string): boolean {
  if (!base.startsWith('SIG-')) return false;
  const dot = base.lastIndexOf('.');
  if (dot === -1) return true;
  return /^[A-Z0-9]{1,3}$/.test(base.slice(dot + 1));
}

function isBlockName(name: string): boolean {
  const upper = name.toUpperCase();
  if (!upper.startsWith('META-INF/')) return false;
  const base = upper.slice('META-INF/'.length);
  if (base.includes('/') || base.endsWith('.SF')) return false;
  return base.endsWith('.RSA') || base.endsWith('.DSA') || base.endsWith('.EC') || isSigName(base);
}

function baseWithoutExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  const slash = name.lastIndexOf('/');
  return dot > slash ? name.slice(0, dot) : name;
}

/** True for a ZIP archive with a META-INF/MANIFEST.MF entry; never throws. */
export async function looksLikeJar(bytes: Uint8Array | ArchiveFile): Promise<boolean> {
  if ((bytes instanceof ArchiveFile ? bytes.size : bytes.byteLength) < 22) return false;
  let zip: ZipArchive;
  try {
    // Sniffing reads no entry data, so size limits do not apply here; refusing an oversized archive is
    // the detector's job, where the refusal becomes a visible error instead of a silently skipped file.
    zip = await openZip(bytes, {
      maxArchiveEntries: Number.MAX_SAFE_INTEGER,
      maxArchiveUncompressedBytes: 0,
      maxCompressionRatio: Number.POSITIVE_INFINITY,
    });
  } catch {
    return false;
  }
  try {
    return findManifest(zip) !== undefined;
  } finally {
    zip.close();
  }
}

function findManifest(zip: ZipArchive): ZipEntry | undefined {
  return zip.get(MANIFEST_NAME) ?? zip.entries.find((e) => e.name.toUpperCase() === MANIFEST_NAME);
}

/**
 * Opens a JAR-family archive and analyses every signature block in it. A ZIP without block files
 * returns no signatures. Throws SigscanError MALFORMED_ZIP for bytes that are not a readable ZIP.
 */
export async function analyzeJar(
  bytes: Uint8Array | ArchiveFile,
  limits: JarLimits = DEFAULT_LIMITS,
): Promise<JarAnalysis> {
  const zip = await openZip(bytes, limits);
  try {
    return await analyzeArchive(zip, limits);
  } finally {
    zip.close();
  }
}

async function analyzeArchive(zip: ZipArchive, limits: JarLimits): Promise<JarAnalysis> {
  const files = zip.entries.filter((e) => !e.isDirectory);
  const content = files.filter((e) => !isSignatureRelated(e.name));
  const contentNames = [...new Set(content.map((e) => e.name))];
  const blocks = findBlocks(zip);
  const analysis: JarAnalysis = {
    entriesTotal: contentNames.length,
    mismatchedEntries: [],
    missingEntries: [],
    duplicateEntries: [...zip.duplicateNames],
    signatures: [],
    findings: [],
  };
  if (blocks.length === 0) return analysis;

  const findings = analysis.findings;
  // First, so that a verdict names the root cause: everything below reads the archive one way.
  for (const message of zip.ambiguities) {
    findings.push({ code: 'ZIP_AMBIGUOUS', severity: 'integrity', message });
  }
  findings.push(...nameCollisions(zip));
  for (const name of zip.duplicateNames) {
    findings.push({
      code: 'DUPLICATE_ENTRY',
      severity: 'integrity',
      message: `entry ${name} occurs more than once; verifiers and class loaders may read different copies`,
    });
  }
  for (const name of zip.localHeaderMismatches) {
    findings.push({
      code: 'LOCAL_HEADER_MISMATCH',
      severity: 'integrity',
      message: `local header of entry ${name} names a different file than the central directory`,
    });
  }

  const manifestEntry = findManifest(zip);
  let manifest: ParsedManifest | undefined;
  let sectionIndex = new Map<string, ManifestSection>();
  if (!manifestEntry) {
    findings.push({
      code: 'MANIFEST_MISSING',
      severity: 'integrity',
      message: `signature blocks present but no ${MANIFEST_NAME}`,
    });
  } else {
    analysis.manifestName = manifestEntry.name;
    manifest = parseManifest(await zip.read(manifestEntry, limits.maxSignatureBlobBytes));
    for (const err of manifest.errors.slice(0, FINDING_CAP)) {
      findings.push({
        code: 'MANIFEST_MALFORMED',
        severity: 'integrity',
        message: `${manifestEntry.name}: ${err.message}`,
      });
    }
    const indexed = sectionsByName(manifest);
    sectionIndex = indexed.byName;
    for (const name of indexed.duplicates) {
      findings.push({
        code: 'DUPLICATE_MANIFEST_SECTION',
        severity: 'integrity',
        message: `${manifestEntry.name} has more than one section for ${name}`,
      });
    }
  }

  const status = await verifyEntries(zip, content, sectionIndex);
  const present = new Set(zip.entries.map((e) => e.name));
  for (const [name, section] of sectionIndex) {
    if (!present.has(name) && digestAttributes(section.attributes, '-Digest').length > 0) {
      analysis.missingEntries.push(name);
    }
  }
  for (const name of contentNames)
    if (status.get(name)?.state === 'mismatch') analysis.mismatchedEntries.push(name);
  addCapped(findings, analysis.mismatchedEntries, (name) => ({
    code: 'ENTRY_DIGEST_MISMATCH',
    severity: 'integrity',
    message: `content of ${name} does not match its digest in the manifest`,
  }));
  addCapped(findings, analysis.missingEntries, (name) => ({
    code: 'ENTRY_MISSING',
    // A digest no signer's .SF covers: jarsigner only warns. Signed ones are per signature (analyzeBlock).
    severity: 'warning',
    message: `manifest has a digest for ${name}, which is not in the archive`,
  }));

  for (const block of blocks) {
    analysis.signatures.push(
      await analyzeBlock(zip, block, manifest, sectionIndex, status, contentNames, present, limits),
    );
  }
  return analysis;
}

/**
 * Names that two readers could take for the same entry, or that the JDK refuses to read as a signed JAR:
 * - more than one manifest, compared as ZipFile.Source.initCEN counts them (META-INF/ and MANIFEST.MF
 *   both case-insensitive): JarFile.getManifestFromReference builds no JarVerifier when
 *   JUZFA.getManifestNum != 1, so JDK 17 treats the JAR as unsigned while a reader that takes the first
 *   (or the exact-case) manifest sees it signed;
 * - signature-related names (META-INF/*.SF, .RSA, .DSA, .EC, SIG-*) differing only in case: JarVerifier
 *   keys .SF bytes by the upper-cased name (sigFileData), so the last copy read wins there;
 * - names equal once JarVerifier.beginEntry drops a leading `./` or `/`;
 * - entries named with a trailing `/` that carry data: ZipEntry.isDirectory says directory, so no
 *   verifier digests them, yet ZipFile.getEntry("a/B.class") returns `a/B.class/` when no `a/B.class`
 *   exists (ZipFile.Source.getEntryPos with addSlash).
 */
function nameCollisions(zip: ZipArchive): Finding[] {
  const out: Finding[] = [];
  const manifests = zip.entries.filter(
    (e) => !e.name.endsWith('/') && e.name.toUpperCase() === MANIFEST_NAME,
  );
  if (manifests.length > 1) {
    out.push({
      code: 'MULTIPLE_MANIFESTS',
      severity: 'integrity',
      message:
        `${manifests.length} manifests (${manifests.map((e) => e.name).join(', ')}); ` +
        'the JDK treats a JAR with more than one as unsigned',
    });
  }
  // A key's first name alone until another name shares it: a Set per entry showed in profiles.
  const byKey = new Map<string, string | Set<string>>();
  for (const e of zip.entries) {
    let key = e.name.startsWith('./') ? e.name.slice(2) : e.name.startsWith('/') ? e.name.slice(1) : e.name;
    if (isSignatureRelated(key)) key = key.toUpperCase();
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, e.name);
    else if (typeof seen === 'string') {
      if (seen !== e.name) byKey.set(key, new Set([seen, e.name]));
    } else seen.add(e.name);
  }
  const collisions = [...byKey.values()].filter(
    (names): names is Set<string> =>
      typeof names !== 'string' && ![...names].every((n) => n.toUpperCase() === MANIFEST_NAME),
  );
  addCapped(out, collisions, (names) => ({
    code: 'DUPLICATE_ENTRY',
    severity: 'integrity',
    message: `entries ${[...names].join(', ')} name the same file for the JDK's JAR verifier`,
  }));
  const loaded = zip.entries.filter((e) => e.name.endsWith('/') && !e.isDirectory);
  addCapped(out, loaded, (e) => ({
    code: 'DIRECTORY_ENTRY_WITH_DATA',
    severity: 'integrity',
    message:
      `${e.name} is named like a directory but holds ${e.uncompressedSize} bytes: no verifier checks it, ` +
      `and the JDK returns it for ${e.name.slice(0, -1)}`,
  }));
  return out;
}

function addCapped<T>(findings: Finding[], names: T[], make: (name: T) => Finding): void {
  for (const name of names.slice(0, FINDING_CAP)) findings.push(make(name));
  if (names.length > FINDING_CAP) {
    const first = make(names[FINDING_CAP]!);
    findings.push({ ...first, message: `${names.length - FINDING_CAP} more entries: ${first.message}` });
  }
}

function findBlocks(zip: ZipArchive): BlockFile[] {
  const sfByBase = new Map<string, ZipEntry[]>();
  for (const e of zip.entries) {
    const upper = e.name.toUpperCase();
    if (
      upper.startsWith('META-INF/') &&
      !upper.slice(9).includes('/') &&
      upper.endsWith('.SF') &&
      !e.isDirectory
    ) {
      const key = baseWithoutExtension(upper);
      sfByBase.set(key, [...(sfByBase.get(key) ?? []), e]);
    }
  }
  const out: BlockFile[] = [];
  const seen = new Set<string>();
  for (const e of zip.entries) {
    if (e.isDirectory || !isBlockName(e.name) || seen.has(e.name)) continue;
    seen.add(e.name);
    const candidates = sfByBase.get(baseWithoutExtension(e.name.toUpperCase())) ?? [];
    // Unknown SIG-* files are only signatures when they come with a .SF; otherwise they are just
    // signature-related metadata the JDK skips.
    if (e.name.toUpperCase().includes('/SIG-') && candidates.length === 0) continue;
    const distinct = [...new Set(candidates.map((c) => c.name))];
    const exact = candidates.find((c) => c.name === `${baseWithoutExtension(e.name)}.SF`);
    out.push({ entry: e, sf: exact ?? candidates[0], ambiguous: distinct.length > 1 });
  }
  return out;
}

/** Digests every content entry that has a manifest section; each copy of a duplicated name counts. */
async function verifyEntries(
  zip: ZipArchive,
  content: ZipEntry[],
  sections: Map<string, ManifestSection>,
): Promise<Map<string, EntryStatus>> {
  const out = new Map<string, EntryStatus>();
  for (const entry of content) {
    const section = sections.get(entry.name);
    const digests = section ? digestAttributes(section.attributes, '-Digest').filter((d) => d.supported) : [];
    if (digests.length === 0) {
      if (!out.has(entry.name)) out.set(entry.name, { state: 'nodigest' });
      continue;
    }
    const algorithms =
      digests.length === 1 ? [digests[0]!.algorithm] : [...new Set(digests.map((d) => d.algorithm))];
    const pending = digestEntry(zip, entry, algorithms);
    const computed = Array.isArray(pending) ? pending : await pending;
    // Every supported digest present must match: a correct weak digest must not excuse a wrong strong one.
    const ok = digests.every((d) => equalBytes(computed[algorithms.indexOf(d.algorithm)]!, d.expected));
    const previous = out.get(entry.name);
    if (!ok || previous?.state === 'mismatch') out.set(entry.name, { state: 'mismatch', algorithms });
    else out.set(entry.name, { state: 'ok', algorithms });
  }
  return out;
}

/**
 * The entry's digests, one per algorithm in order, from one pass over its bytes. A small entry is
 * expanded and hashed in one synchronous step: a promise and a stream per entry cost more than the
 * hashing on JARs of thousands of small classes. Large ones are inflated chunk by chunk (`stream` hands
 * over what the reader has without copying).
 */
function digestEntry(
  zip: ZipArchive,
  entry: ZipEntry,
  algorithms: string[],
): Uint8Array[] | Promise<Uint8Array[]> {
  const data = zip.readAtOnce(entry);
  if (data) return algorithms.map((a) => digestBytes(a, data));
  return digestStreamed(zip, entry, algorithms);
}

async function digestStreamed(zip: ZipArchive, entry: ZipEntry, algorithms: string[]): Promise<Uint8Array[]> {
  const hashes = algorithms.map((a) => newHash(a));
  for await (const chunk of zip.stream(entry)) for (const h of hashes) h.update(chunk);
  return hashes.map((h) => new Uint8Array(h.digest()));
}

async function analyzeBlock(
  zip: ZipArchive,
  block: BlockFile,
  manifest: ParsedManifest | undefined,
  sections: Map<string, ManifestSection>,
  status: Map<string, EntryStatus>,
  contentNames: string[],
  present: Set<string>,
  limits: JarLimits,
): Promise<JarSignature> {
  const findings: Finding[] = [];
  const blockDer = await zip.read(block.entry, limits.maxSignatureBlobBytes);
  const sig: JarSignature = {
    blockName: block.entry.name,
    blockDer,
    signerInfoCount: 0,
    chain: [],
    manifestDigestMatches: false,
    signedEntries: [],
    unsignedEntries: [],
    digestAlgorithms: [],
    requiredDigestAlgorithms: [],
    findings,
  };
  const algorithmsUsed = new Set<string>();
  const required = new Set<string>();

  try {
    const info = parseSignedData(blockDer);
    sig.signedData = info;
    sig.signerInfoCount = info.signers.length;
    sig.signer = info.signers[0];
    if (!sig.signer) {
      findings.push({
        code: 'SIGNATURE_BLOCK_MALFORMED',
        severity: 'integrity',
        message: `${block.entry.name} has no SignerInfo`,
      });
    }
  } catch (err) {
    const unknownType = block.entry.name.toUpperCase().includes('/SIG-');
    findings.push({
      code: unknownType ? 'SIGNATURE_BLOCK_UNSUPPORTED' : 'SIGNATURE_BLOCK_MALFORMED',
      severity: unknownType ? 'warning' : 'integrity',
      message: `${block.entry.name} is not a CMS SignedData: ${(err as Error).message}`,
    });
  }

  const signer = sig.signer;
  if (signer && sig.signedData) {
    sig.signerCertificate = signer.certificate;
    sig.chain = sig.signedData.certificates.filter((c) => c !== signer.certificate);
    sig.cmsDigestAlgorithm = signer.digestAlgorithm;
    sig.algorithm = signatureAlgorithmName(signer);
    algorithmsUsed.add(signer.digestAlgorithm);
    required.add(signer.digestAlgorithm);
    const signatureHash = /^(MD2|MD5|SHA1|SHA-1)with/i.exec(signer.signatureAlgorithm)?.[1];
    if (signatureHash)
      required.add(signatureHash.toUpperCase() === 'SHA1' ? 'SHA-1' : signatureHash.toUpperCase());
    if (!signer.certificate) {
      findings.push({
        code: 'SIGNER_CERTIFICATE_MISSING',
        severity: 'integrity',
        message: `${block.entry.name} does not carry the certificate its SignerInfo names`,
      });
    }
    // sig.algorithm is named after the SignerInfo's digest (signatureAlgorithmName), so the digest alone
    // says whether it is MD2/MD5 "with" anything.
    if (isDisabledDigest(signer.digestAlgorithm)) {
      // A fact for the report; the trust layer decides (WEAK_ALGORITHM, or accepted with
      // --allow-weak-algorithms), so this is not an integrity finding.
      findings.push({
        code: 'DISABLED_ALGORITHM',
        severity: 'warning',
        message: `${block.entry.name} is signed with ${sig.algorithm ?? signer.digestAlgorithm}, which the JDK disables for JARs (the JAR counts as unsigned)`,
      });
    }
    try {
      sig.timestamp = signerTimestamps(signer, sig.signedData.certificates).find((t) => t.kind === 'rfc3161');
    } catch (err) {
      // The JDK refuses the whole block (PKCS9Attributes cannot be read: jarsigner treats the jar as unsigned),
      // so dropping only the timestamp could say `verified` where the platform does not: an integrity failure.
      findings.push({
        code: 'TIMESTAMP_MALFORMED',
        severity: 'integrity',
        message: `${block.entry.name}: unreadable timestamp token: ${(err as Error).message}`,
      });
    }
    if (sig.timestamp) checkTimestampImprint(sig, signer, sig.timestamp);
  }

  if (block.ambiguous) {
    findings.push({
      code: 'AMBIGUOUS_SIGNATURE_FILE',
      severity: 'integrity',
      message: `several .SF files differing only in case match ${block.entry.name}`,
    });
  }
  if (!block.sf) {
    findings.push({
      code: 'SIGNATURE_FILE_MISSING',
      severity: 'integrity',
      message: `no ${baseWithoutExtension(block.entry.name)}.SF for signature block ${block.entry.name}`,
    });
  } else {
    sig.signatureFileName = block.sf.name;
    sig.signatureFileBytes = await zip.read(block.sf, limits.maxSignatureBlobBytes);
    const covered = checkSignatureFile(
      sig,
      sig.signatureFileBytes,
      manifest,
      sections,
      algorithmsUsed,
      required,
    );
    // jarsigner only warns about "nonexistent signed entries", but the archive is then not what was
    // signed (a signed class or resource was removed): invalid, not a warning beside `verified`.
    const missing = [...covered].filter((name) => !present.has(name));
    addCapped(findings, missing, (name) => ({
      code: 'ENTRY_MISSING',
      severity: 'integrity',
      message: `${block.sf!.name} signs ${name}, which is not in the archive`,
    }));
    for (const name of contentNames) {
      const st = status.get(name);
      if (st?.state === 'ok' && covered.has(name)) {
        sig.signedEntries.push(name);
        for (const a of st.algorithms) algorithmsUsed.add(a);
        required.add(strongest(st.algorithms)!);
      }
    }
  }
  const signed = new Set(sig.signedEntries);
  sig.unsignedEntries = contentNames.filter((n) => !signed.has(n));
  if (sig.unsignedEntries.length > 0) {
    const shown = sig.unsignedEntries.slice(0, 5).join(', ');
    findings.push({
      code: 'UNSIGNED_ENTRIES',
      severity: 'warning',
      message:
        `${sig.unsignedEntries.length} of ${contentNames.length} entries are not signed by ${block.entry.name} ` +
        `and have not been integrity-checked: ${shown}${sig.unsignedEntries.length > 5 ? ', ...' : ''}`,
    });
  }
  sig.digestAlgorithms = [...algorithmsUsed].sort();
  sig.requiredDigestAlgorithms = [...required].sort();
  const weak = sig.digestAlgorithms.filter(isWeakDigest);
  if (weak.length > 0) {
    findings.push({
      code: 'WEAK_DIGEST',
      severity: 'warning',
      message: `${block.entry.name} relies on weak digest algorithm(s): ${weak.join(', ')}`,
    });
  }
  return sig;
}

/**
 * Checks the .SF against the manifest and returns the entry names whose manifest sections it covers.
 * JDK order: a matching whole-manifest digest covers every section the .SF lists; otherwise the
 * main-attributes digest and each listed section digest must match.
 */
function checkSignatureFile(
  sig: JarSignature,
  sfBytes: Uint8Array,
  manifest: ParsedManifest | undefined,
  sections: Map<string, ManifestSection>,
  algorithmsUsed: Set<string>,
  required: Set<string>,
): Set<string> {
  const findings = sig.findings;
  const sfName = sig.signatureFileName!;
  const sf = parseManifest(sfBytes);
  for (const err of sf.errors.slice(0, FINDING_CAP)) {
    findings.push({
      code: 'SIGNATURE_FILE_MALFORMED',
      severity: 'integrity',
      message: `${sfName}: ${err.message}`,
    });
  }
  if (attribute(sf.main, 'Signature-Version') === undefined) {
    findings.push({
      code: 'SIGNATURE_FILE_MALFORMED',
      severity: 'integrity',
      message: `${sfName} has no Signature-Version`,
    });
  }
  sig.createdBy = attribute(sf.main, 'Created-By');
  sig.androidApkSigned = attribute(sf.main, 'X-Android-APK-Signed');
  const covered = new Set<string>();
  if (!manifest) return covered;

  const wholeDigests = digestAttributes(sf.main.attributes, '-Digest-Manifest').filter((d) => d.supported);
  sig.digestAlgorithm = strongest(wholeDigests.map((d) => d.algorithm));
  sig.manifestDigestMatches = wholeDigests.length > 0 && matchesAll(wholeDigests, manifest.bytes);
  if (sig.manifestDigestMatches) {
    for (const d of wholeDigests) algorithmsUsed.add(d.algorithm);
    required.add(sig.digestAlgorithm!);
  }
  if (!sig.manifestDigestMatches) {
    const mainDigests = digestAttributes(sf.main.attributes, '-Digest-Manifest-Main-Attributes').filter(
      (d) => d.supported,
    );
    if (mainDigests.length > 0) {
      if (matchesAll(mainDigests, mainSectionBytes(manifest))) {
        for (const d of mainDigests) algorithmsUsed.add(d.algorithm);
        required.add(strongest(mainDigests.map((d) => d.algorithm))!);
      } else {
        findings.push({
          code: 'SF_DIGEST_MISMATCH',
          severity: 'integrity',
          message: `${sfName}: digest of the manifest main attributes does not match`,
        });
      }
    }
  }

  const mismatched: string[] = [];
  const missingSections: string[] = [];
  for (const sfSection of sf.sections) {
    if (sfSection.name === undefined) continue;
    const name = sfSection.name;
    const digests = digestAttributes(sfSection.attributes, '-Digest').filter((d) => d.supported);
    if (digests.length === 0) continue;
    sig.digestAlgorithm ??= strongest(digests.map((d) => d.algorithm));
    if (sig.manifestDigestMatches) {
      covered.add(normalizeSfName(name));
      continue;
    }
    const section = sections.get(name);
    if (!section) {
      missingSections.push(name);
      continue;
    }
    const withBlank = sectionBytes(manifest, section);
    // The JDK also accepts the section without its blank line (Netscape signtool's digest).
    const ok =
      matchesAll(digests, withBlank) || matchesAll(digests, sectionBytesWithoutBlankLine(manifest, section));
    if (ok) {
      covered.add(normalizeSfName(name));
      for (const d of digests) algorithmsUsed.add(d.algorithm);
      required.add(strongest(digests.map((d) => d.algorithm))!);
    } else {
      mismatched.push(name);
    }
  }
  addCapped(findings, mismatched, (name) => ({
    code: 'SF_DIGEST_MISMATCH',
    severity: 'integrity',
    message: `${sfName}: digest of manifest section ${name} does not match`,
  }));
  addCapped(findings, missingSections, (name) => ({
    code: 'SF_DIGEST_MISMATCH',
    severity: 'integrity',
    message: `${sfName} has a digest for manifest section ${name}, but the manifest has no such section`,
  }));
  if (
    !sig.manifestDigestMatches &&
    wholeDigests.length > 0 &&
    mismatched.length + missingSections.length === 0
  ) {
    // Legitimate when the manifest grew after signing (e.g. a second signer added sections).
    findings.push({
      code: 'MANIFEST_DIGEST_MISMATCH',
      severity: 'info',
      message: `${sfName}: whole-manifest digest does not match; sections were checked one by one`,
    });
  }
  return covered;
}

function normalizeSfName(name: string): string {
  if (name.startsWith('./')) return name.slice(2);
  if (name.startsWith('/')) return name.slice(1);
  return name;
}

function matchesAll(digests: DigestAttribute[], data: Uint8Array): boolean {
  return digests.every((d) => equalBytes(digestBytes(d.algorithm, data), d.expected));
}

function checkTimestampImprint(sig: JarSignature, signer: SignerInfoView, ts: TimestampInfo): void {
  const alg = ts.imprintAlgorithm;
  if (!alg || !ts.imprint) return;
  let computed: Uint8Array;
  try {
    computed = digestBytes(alg, signer.signatureValue);
  } catch {
    return; // an imprint algorithm we cannot compute is for the trust layer to judge
  }
  if (!equalBytes(computed, ts.imprint)) {
    sig.findings.push({
      code: 'TIMESTAMP_IMPRINT_MISMATCH',
      severity: 'integrity',
      message: `${sig.blockName}: timestamp token does not cover this signature's value`,
    });
  }
}

/** jarsigner's name for the signature algorithm: digest without dash + "with" + key algorithm. */
export function signatureAlgorithmName(signer: SignerInfoView): string {
  const digest = signer.digestAlgorithm.replace('-', '');
  const sigAlg = signer.signatureAlgorithm;
  if (sigAlg.includes('with')) {
    const key = sigAlg.slice(sigAlg.indexOf('with') + 4);
    return `${digest}with${key}`;
  }
  if (sigAlg === 'RSA') return `${digest}withRSA`;
  if (sigAlg === 'EC') return `${digest}withECDSA`;
  if (sigAlg === 'DSA') return `${digest}withDSA`;
  if (sigAlg === 'RSASSA-PSS' || sigAlg === 'Ed25519') return sigAlg;
  const keyAlg = signer.certificate?.summary.publicKeyAlgorithm.split('-')[0];
  if (keyAlg === 'ECDSA' || keyAlg === 'RSA' || keyAlg === 'DSA') return `${digest}with${keyAlg}`;
  return sigAlg;
}
