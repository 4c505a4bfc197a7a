import { isAscii } from 'node:buffer';

/**
 * MANIFEST.MF and .SF parsing (JAR spec; formats.md §6.2). Digests in a .SF cover raw manifest bytes,
 * so every section keeps its exact byte range; nothing is ever re-serialised. Parsing is lenient: a
 * syntax error is recorded and the parser goes on, because a corrupt manifest is a finding about a
 * signature, not a reason to lose the rest of it.
 */

export interface ManifestAttribute {
  name: string;
  value: string;
  /** 1-based physical line of the attribute's first line. */
  line: number;
}

export interface ManifestSection {
  /** Value of the `Name` attribute; undefined for the main section. */
  name?: string;
  attributes: ManifestAttribute[];
  /** Byte offset of the first line of the section. */
  start: number;
  /** End (exclusive) of the section's last attribute line, including its line break. */
  endOfAttributes: number;
  /** End (exclusive) including the blank line that terminates the section (= endOfAttributes at EOF). */
  end: number;
  /** Whether a blank line terminated the section (false when the file just ends). */
  terminated: boolean;
}

export interface ManifestSyntaxError {
  line: number;
  message: string;
}

export interface ParsedManifest {
  bytes: Uint8Array;
  main: ManifestSection;
  /** Named sections in file order (duplicates kept). */
  sections: ManifestSection[];
  errors: ManifestSyntaxError[];
}

const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,69}$/;
/**
 * java.util.jar.Manifest reads each line into a 512-byte buffer (Manifest.read's `lbuf`, JDK 17): a line whose
 * content fills it is refused ("line too long").
 */
const JDK_LINE_BUFFER = 512;
const utf8 = new TextDecoder('utf-8');

interface PhysicalLine {
  start: number;
  /** End of content, before the terminator. */
  contentEnd: number;
  /** After the terminator. */
  next: number;
  number: number;
}

/**
 * Calls `visit` for each physical line (terminated by CRLF, LF or CR). The terminators are found with
 * Buffer.indexOf rather than byte by byte, and the line is passed as plain numbers: the manifest of a JAR
 * of thousands of classes has thousands of lines, and a generator's object per line showed in profiles.
 */
function eachPhysicalLine(
  bytes: Uint8Array,
  visit: (start: number, contentEnd: number, next: number, number: number) => void,
): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = buf.length;
  let lf = -1;
  let cr = -1;
  let pos = 0;
  let number = 1;
  while (pos < length) {
    // Each search runs again only once the position has passed its last hit: linear overall.
    if (lf !== length && lf < pos) lf = indexOrEnd(buf, 0x0a, pos);
    if (cr !== length && cr < pos) cr = indexOrEnd(buf, 0x0d, pos);
    const i = Math.min(lf, cr);
    let next = i;
    if (i < length) next = buf[i] === 0x0d && buf[i + 1] === 0x0a ? i + 2 : i + 1;
    visit(pos, i, next, number);
    pos = next;
    number++;
  }
}

function indexOrEnd(buf: Buffer, byte: number, from: number): number {
  const i = buf.indexOf(byte, from);
  return i === -1 ? buf.length : i;
}

function* physicalLines(bytes: Uint8Array): Generator<PhysicalLine> {
  const lines: PhysicalLine[] = [];
  eachPhysicalLine(bytes, (start, contentEnd, next, number) =>
    lines.push({ start, contentEnd, next, number }),
  );
  yield* lines;
}

export function parseManifest(bytes: Uint8Array): ParsedManifest {
  const errors: ManifestSyntaxError[] = [];
  const sections: ManifestSection[] = [];
  let current: ManifestSection | undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ASCII bytes decode to the same text as Latin-1 and UTF-8; Latin-1 is read straight from the buffer.
  const ascii = isAscii(buf);
  // A logical attribute accumulates continuation lines before it is decoded: a multi-byte UTF-8
  // character may be split across the 72-byte boundary. Its first line is [start, end).
  let pending: { start: number; end: number; parts?: Uint8Array[]; line: number } | undefined;

  const flushAttribute = (): void => {
    if (!pending || !current) return;
    // Most attributes fit on one line: decode that line in place instead of concatenating one part.
    const text = pending.parts
      ? utf8.decode(Buffer.concat(pending.parts))
      : ascii
        ? buf.toString('latin1', pending.start, pending.end)
        : utf8.decode(bytes.subarray(pending.start, pending.end));
    const colon = text.indexOf(': ');
    const name = colon === -1 ? text : text.slice(0, colon);
    if (colon === -1 || !HEADER_NAME.test(name)) {
      errors.push({ line: pending.line, message: `invalid header field (line ${pending.line})` });
    } else {
      current.attributes.push({ name, value: text.slice(colon + 2), line: pending.line });
    }
    pending = undefined;
  };

  const closeSection = (end: number, terminated: boolean): void => {
    flushAttribute();
    if (!current) return;
    current.end = end;
    current.terminated = terminated;
    sections.push(current);
    current = undefined;
  };

  let lastEnd = 0;
  eachPhysicalLine(bytes, (start, contentEnd, next, number) => {
    lastEnd = next;
    if (contentEnd - start >= JDK_LINE_BUFFER) {
      errors.push({ line: number, message: `line too long (line ${number})` });
    } else if (contentEnd - start === JDK_LINE_BUFFER - 1 && next - contentEnd === 2 && next < bytes.length) {
      // The CR of this CRLF is the buffer's last byte, so the JDK reads the LF alone, as a blank line that ends
      // the section here; a non-blank line after it is read as the start of another section (or refused),
      // where sigscan sees one section. Refused rather than read two ways.
      const after = bytes[next];
      if (after !== 0x0d && after !== 0x0a) {
        errors.push({ line: number + 1, message: `invalid manifest format (line ${number + 1})` });
      }
    }
    const empty = contentEnd === start;
    if (empty) {
      // Blank lines between sections belong to no section.
      if (current) closeSection(next, true);
      return;
    }
    if (bytes[start] === 0x20) {
      if (!pending) {
        errors.push({
          line: number,
          message: `continuation line without a header (line ${number})`,
        });
      } else {
        pending.parts ??= [bytes.subarray(pending.start, pending.end)];
        pending.parts.push(bytes.subarray(start + 1, contentEnd));
      }
      if (current) current.endOfAttributes = next;
      return;
    }
    flushAttribute();
    if (!current) {
      current = {
        attributes: [],
        start,
        endOfAttributes: next,
        end: next,
        terminated: false,
      };
    }
    current.endOfAttributes = next;
    pending = { start, end: contentEnd, line: number };
  });
  closeSection(lastEnd, false);

  const [first, ...rest] = sections;
  const main: ManifestSection = first ?? {
    attributes: [],
    start: 0,
    endOfAttributes: 0,
    end: 0,
    terminated: false,
  };
  if (first && first.start !== 0) {
    // The main-attributes digest runs from byte 0; leading blank lines belong to it. The JDK's Manifest
    // ends the main attributes at the first blank line and then wants `Name:`: it refuses such a file.
    const line = lineOf(bytes, first.start);
    main.start = 0;
    errors.push({ line, message: `invalid manifest format (line ${line})` });
  }
  for (const section of rest) {
    const names = section.attributes.filter((a) => a.name.toLowerCase() === 'name');
    if (names.length === 0) {
      const line = lineOf(bytes, section.start);
      errors.push({ line, message: `section without a Name attribute (line ${line})` });
    } else {
      section.name = names[0]!.value;
      if (section.attributes[0] !== names[0]) {
        // java.util.jar.Manifest reads a section's first line as its name (`Name: `, any case) and throws
        // "invalid manifest format" otherwise; a Name further down is never the section's name there.
        const line = lineOf(bytes, section.start);
        errors.push({ line, message: `invalid manifest format (line ${line})` });
      }
    }
  }
  return { bytes, main, sections: rest, errors };
}

function lineOf(bytes: Uint8Array, offset: number): number {
  let n = 1;
  for (const line of physicalLines(bytes)) {
    if (line.start >= offset) return line.number;
    n = line.number;
  }
  return n;
}

/** Attribute names are case-insensitive (java.util.jar.Attributes.Name). */
export function attribute(section: ManifestSection, name: string): string | undefined {
  const lower = name.toLowerCase();
  return section.attributes.find((a) => a.name.toLowerCase() === lower)?.value;
}

/** Bytes a .SF section digest covers: the section through its terminating blank line. */
export function sectionBytes(manifest: ParsedManifest, section: ManifestSection): Uint8Array {
  return manifest.bytes.subarray(section.start, section.end);
}

/**
 * The same section without its blank line: Netscape signtool (and the JDK's "digestWorkaround")
 * digest it this way.
 */
export function sectionBytesWithoutBlankLine(manifest: ParsedManifest, section: ManifestSection): Uint8Array {
  return manifest.bytes.subarray(section.start, section.endOfAttributes);
}

/** Bytes `…-Digest-Manifest-Main-Attributes` covers: from byte 0 through the main section's blank line. */
export function mainSectionBytes(manifest: ParsedManifest): Uint8Array {
  return manifest.bytes.subarray(0, manifest.main.end);
}

/** Named sections by name; later duplicates are reported, the first one wins. */
export function sectionsByName(manifest: ParsedManifest): {
  byName: Map<string, ManifestSection>;
  duplicates: string[];
} {
  const byName = new Map<string, ManifestSection>();
  const duplicates = new Set<string>();
  for (const s of manifest.sections) {
    if (s.name === undefined) continue;
    if (byName.has(s.name)) duplicates.add(s.name);
    else byName.set(s.name, s);
  }
  return { byName, duplicates: [...duplicates] };
}
