import { extname } from 'node:path';

import { SigscanError } from '../errors.js';
import { sipHash } from './pe/image-hash.js';

/**
 * Authenticode signature blocks at the end of text scripts (formats.md §7.8): PowerShell (`# SIG # ...`),
 * its XML files (`<!-- SIG # ... -->`), MOF (`/* SIG # ... *\/`) and Windows Script Host JScript
 * (`// SIG // ...`). The rules follow osslsigncode's script.c (mtrojnar/osslsigncode @ edad27d59b17), the
 * only open implementation of Microsoft's script SIPs: the signed hash covers the text before the line
 * break that precedes the block, as UTF-16LE (UTF-8 text is converted, UTF-16LE text with a BOM is hashed
 * as stored). Hand-written: no library reads these blocks, and a lenient reader is exactly what an attacker
 * wants (osslsigncode skips text before each comment prefix and after the end line).
 */

export type ScriptCommentStyle = 'hash' | 'xml' | 'c' | 'js';

/** The extensions osslsigncode signs as scripts, by comment style. */
export const SCRIPT_EXTENSIONS: Readonly<Record<string, ScriptCommentStyle>> = {
  '.ps1': 'hash',
  '.psd1': 'hash',
  '.psm1': 'hash',
  '.ps1xml': 'xml',
  '.psc1': 'xml',
  '.cdxml': 'xml',
  '.mof': 'c',
  '.js': 'js',
};

interface CommentText {
  open: string;
  close: string;
  header: string;
  footer: string;
}

const COMMENTS: Record<ScriptCommentStyle, CommentText> = {
  hash: { open: '# ', close: '', header: 'SIG # Begin signature block', footer: 'SIG # End signature block' },
  xml: {
    open: '<!-- ',
    close: ' -->',
    header: 'SIG # Begin signature block',
    footer: 'SIG # End signature block',
  },
  c: {
    open: '/* ',
    close: ' */',
    header: 'SIG # Begin signature block',
    footer: 'SIG # End signature block',
  },
  js: { open: '// SIG // ', close: '', header: 'Begin signature block', footer: 'End signature block' },
};

/** SIP GUID of the PowerShell/script SIP, as osslsigncode writes it in SpcSipInfo (SpcUUIDSipInfoPs). */
export const SCRIPT_SIP_GUID = '1fcc3b60594b084eb724d2c6297ef351';

export type ScriptProblemCode =
  | 'SCRIPT_DUPLICATE_SIGNATURE_BLOCK'
  | 'SCRIPT_CONTENT_AFTER_SIGNATURE'
  | 'SCRIPT_SIGNATURE_BLOCK_MALFORMED'
  | 'SCRIPT_ENCODING_AMBIGUOUS';

export interface ScriptProblem {
  code: ScriptProblemCode;
  message: string;
}

export interface ScriptSignatureBlock {
  style: ScriptCommentStyle;
  encoding: 'utf-8' | 'utf-16le';
  /** The PKCS #7 ContentInfo decoded from the block; undefined for an unsigned script. */
  signatureDer?: Uint8Array;
  /** 1-based line of the `Begin signature block` line. */
  blockLine?: number;
  /** Text length (UTF-16 code units) covered by the signature. */
  signedLength: number;
  /** Where our reading and another reader's could differ; each refuses the signature. */
  problems: ScriptProblem[];
  /** The script SIP hash: the covered text as UTF-16LE. */
  hash(algorithm: string): Uint8Array;
}

/** The comment style a script's name implies, or undefined when it is not a signable script. */
export function scriptStyle(path: string): ScriptCommentStyle | undefined {
  return SCRIPT_EXTENSIONS[extname(path).toLowerCase()];
}

/**
 * Finds and reads the signature block of a script. Throws MALFORMED_SCRIPT for text no script SIP reads
 * (UTF-16 big-endian, an odd-length UTF-16 file, a block on the first line, which osslsigncode takes for
 * "no signature" while the text says otherwise).
 */
export function readScriptSignature(bytes: Uint8Array, style: ScriptCommentStyle): ScriptSignatureBlock {
  const problems: ScriptProblem[] = [];
  let text: string;
  let encoding: ScriptSignatureBlock['encoding'];
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    throw new SigscanError('MALFORMED_SCRIPT', 'UTF-16 big-endian text: script SIPs read it as UTF-8');
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    if (bytes.length % 2 !== 0) throw new SigscanError('MALFORMED_SCRIPT', 'UTF-16 text of odd length');
    encoding = 'utf-16le';
    // The BOM stays in the text: it is hashed as stored.
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf16le');
  } else {
    encoding = 'utf-8';
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
      problems.push({
        code: 'SCRIPT_ENCODING_AMBIGUOUS',
        message:
          'the script is not valid UTF-8: how invalid bytes become UTF-16 for the hash differs between readers',
      });
    }
  }

  const comment = COMMENTS[style];
  const headerLine = comment.open + comment.header + comment.close;
  const footerLine = comment.open + comment.footer + comment.close;

  // osslsigncode's rule: the first LF-terminated line that starts with the commented header.
  const lines = splitLines(text);
  const blockIndex = lines.findIndex((l) => l.terminated && l.text.startsWith(headerLine));
  return readBlock(
    text,
    bytes,
    encoding,
    style,
    lines,
    blockIndex,
    headerLine,
    footerLine,
    comment,
    problems,
  );
}

interface Line {
  /** Offset of the line's first code unit in the text. */
  start: number;
  /** Without the LF; a CR before it is kept. */
  text: string;
  terminated: boolean;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    const lf = text.indexOf('\n', start);
    if (lf < 0) {
      if (start < text.length) lines.push({ start, text: text.slice(start), terminated: false });
      break;
    }
    lines.push({ start, text: text.slice(start, lf), terminated: true });
    start = lf + 1;
  }
  return lines;
}

function readBlock(
  text: string,
  bytes: Uint8Array,
  encoding: ScriptSignatureBlock['encoding'],
  style: ScriptCommentStyle,
  lines: Line[],
  blockIndex: number,
  headerLine: string,
  footerLine: string,
  comment: CommentText,
  problems: ScriptProblem[],
): ScriptSignatureBlock {
  let signedLength = text.length;
  let signatureDer: Uint8Array | undefined;
  let blockLine: number | undefined;

  if (blockIndex === 0) {
    throw new SigscanError(
      'MALFORMED_SCRIPT',
      'the signature block starts on the first line: osslsigncode reads that as unsigned',
    );
  }
  if (blockIndex > 0) {
    const header = lines[blockIndex]!;
    blockLine = blockIndex + 1;
    // The hash ends at the LF before the block, and one code unit earlier when the header line ends in
    // CR (signers write CRLF before every block line); this is script.c's script_ctx_get, byte for byte.
    signedLength = header.start - 1;
    if (header.text.endsWith('\r')) signedLength -= 1;

    const base64: string[] = [];
    let end = -1;
    if (stripCr(header.text) !== headerLine) {
      problems.push({
        code: 'SCRIPT_SIGNATURE_BLOCK_MALFORMED',
        message: `line ${blockLine}: text after the begin line's marker`,
      });
    }
    for (let i = blockIndex + 1; i < lines.length; i++) {
      const line = stripCr(lines[i]!.text);
      if (line === footerLine) {
        end = i;
        break;
      }
      const body =
        line.startsWith(comment.open) && line.endsWith(comment.close)
          ? line.slice(comment.open.length, line.length - comment.close.length)
          : undefined;
      if (body === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
        problems.push({
          code: 'SCRIPT_SIGNATURE_BLOCK_MALFORMED',
          message: `line ${i + 1} inside the signature block is not a commented base64 line`,
        });
        continue;
      }
      base64.push(body);
    }
    if (end < 0) {
      throw new SigscanError('MALFORMED_SCRIPT', `the signature block at line ${blockLine} has no end line`);
    }
    signatureDer = new Uint8Array(Buffer.from(base64.join(''), 'base64'));

    const rest = lines.slice(end + 1);
    if (rest.some((l) => l.text.startsWith(headerLine))) {
      problems.push({
        code: 'SCRIPT_DUPLICATE_SIGNATURE_BLOCK',
        message: 'a second signature block follows the first: readers may pick either',
      });
    } else if (rest.some((l) => l.text.trim() !== '')) {
      problems.push({
        code: 'SCRIPT_CONTENT_AFTER_SIGNATURE',
        message: 'text follows the signature block: it runs, but no signature covers it',
      });
    }
  }

  const covered =
    encoding === 'utf-16le'
      ? bytes.subarray(0, signedLength * 2)
      : Buffer.from(text.slice(0, signedLength), 'utf16le');
  return {
    style,
    encoding,
    signatureDer,
    blockLine,
    signedLength,
    problems,
    hash: (algorithm) => new Uint8Array(sipHash(algorithm).update(covered).digest()),
  };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
