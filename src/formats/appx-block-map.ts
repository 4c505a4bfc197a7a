import { SigscanError } from '../errors.js';

/**
 * `AppxBlockMap.xml` (schema http://schemas.microsoft.com/appx/2010/blockmap): `<BlockMap HashMethod=...>`
 * holding one `<File Name Size LfhSize>` per package file, each with one `<Block Hash [Size]>` per 64 KiB
 * of its uncompressed bytes. Read by a small strict tokenizer, not a general XML parser: comments, CDATA,
 * DTDs, processing instructions and unknown elements are refused, because a reader that skipped them
 * differently from the Windows installer's would see other hashes in the same signed bytes.
 */

export interface BlockMapFile {
  size: number;
  /** The block hashes, decoded from base64. */
  blocks: Uint8Array[];
}

export interface BlockMap {
  /** `SHA-256`, `SHA-384` or `SHA-512`, from HashMethod. */
  hashAlgorithm: string;
  /** By Name as written (Windows separators). */
  files: Map<string, BlockMapFile>;
}

const HASH_METHODS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'SHA-256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'SHA-384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'SHA-512',
};

const HASH_LENGTHS: Record<string, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

function malformed(why: string): SigscanError {
  return new SigscanError('MALFORMED_APPX', `AppxBlockMap.xml: ${why}`);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw malformed(`a bare & in an attribute value`);
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const named = ENTITIES[ref];
    if (named === undefined) throw malformed(`unknown entity ${whole}`);
    return named;
  });
}

interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
  attributes: Map<string, string>;
}

function parseTag(inner: string): Tag {
  const closing = inner.startsWith('/');
  const selfClosing = inner.endsWith('/');
  const body = inner.slice(closing ? 1 : 0, selfClosing ? -1 : undefined);
  const m = /^([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)/.exec(body);
  if (!m) throw malformed(`unreadable tag <${inner}>`);
  const attributes = new Map<string, string>();
  const rest = body.slice(m[1]!.length);
  const attribute = /\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
  let at = 0;
  while (at < rest.length) {
    attribute.lastIndex = at;
    const a = attribute.exec(rest);
    if (!a) {
      if (/^\s*$/.test(rest.slice(at))) break;
      throw malformed(`unreadable attributes in <${inner}>`);
    }
    if (attributes.has(a[1]!)) throw malformed(`attribute ${a[1]} given twice in <${m[1]}>`);
    attributes.set(a[1]!, unescape(a[2] ?? a[3]!));
    at = attribute.lastIndex;
  }
  if (closing && (attributes.size > 0 || selfClosing)) throw malformed(`bad closing tag <${inner}>`);
  return { name: m[1]!, closing, selfClosing, attributes };
}

function decimal(value: string | undefined, what: string): number {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value)) throw malformed(`${what} is not a number`);
  return Number(value);
}

/** Parses the block map; throws MALFORMED_APPX on anything this reader would not read the one way. */
export function readBlockMap(bytes: Uint8Array): BlockMap {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new SigscanError('MALFORMED_APPX', 'AppxBlockMap.xml is not UTF-8', { cause });
  }
  text = text.replace(/^<\?xml\s[^?]*\?>/, '');
  if (/<!|<\?/.test(text)) throw malformed('comments, CDATA, DTDs and processing instructions are not read');

  let hashAlgorithm: string | undefined;
  const files = new Map<string, BlockMapFile>();
  let file: BlockMapFile | undefined;
  let depth = 0;
  let closed = false;
  const tag = /<([^<>]*)>/g;
  let last = 0;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    if (text.slice(last, m.index).trim() !== '') throw malformed('text outside attributes');
    last = tag.lastIndex;
    const t = parseTag(m[1]!);
    if (closed) throw malformed('content after </BlockMap>');
    if (depth === 0) {
      if (t.name !== 'BlockMap' || t.closing || t.selfClosing) throw malformed('the root is not <BlockMap>');
      const method = t.attributes.get('HashMethod');
      hashAlgorithm = method === undefined ? undefined : HASH_METHODS[method];
      if (!hashAlgorithm) throw malformed(`HashMethod ${method ?? '(none)'} is not supported`);
      depth = 1;
    } else if (depth === 1) {
      if (t.name === 'BlockMap' && t.closing) {
        closed = true;
        depth = 0;
      } else if (t.name === 'File' && !t.closing) {
        const name = t.attributes.get('Name');
        if (!name) throw malformed('a <File> without Name');
        if (files.has(name)) throw malformed(`${name} is listed twice`);
        file = { size: decimal(t.attributes.get('Size'), `the Size of ${name}`), blocks: [] };
        files.set(name, file);
        if (!t.selfClosing) depth = 2;
      } else {
        throw malformed(`unexpected <${m[1]}> in <BlockMap>`);
      }
    } else {
      if (t.name === 'File' && t.closing) {
        depth = 1;
      } else if (t.name === 'Block' && t.selfClosing) {
        const hash = t.attributes.get('Hash');
        const decoded = hash === undefined ? undefined : Buffer.from(hash, 'base64');
        if (
          !decoded ||
          decoded.toString('base64') !== hash ||
          decoded.length !== HASH_LENGTHS[hashAlgorithm!]
        ) {
          throw malformed(`a block hash is not ${hashAlgorithm} in base64`);
        }
        file!.blocks.push(new Uint8Array(decoded));
      } else {
        throw malformed(`unexpected <${m[1]}> in <File>`);
      }
    }
  }
  if (!closed || text.slice(last).trim() !== '') throw malformed('not a complete <BlockMap> document');
  return { hashAlgorithm: hashAlgorithm!, files };
}
