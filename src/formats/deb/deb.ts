import type { Finding } from '../../model/index.js';
import { SigscanError } from '../../errors.js';

/**
 * Debian binary packages are `ar` archives (deb(5)): `debian-binary`, `control.tar[.gz|.xz|.zst]`,
 * `data.tar[...]`, in that order; debsigs(1) adds `_gpg<role>` members (`_gpgorigin`, `_gpgmaint`, ...),
 * each a detached OpenPGP signature over the concatenated contents of the first three members (debsig-verify's
 * `sigVerify`: `debian-binary`, then the control and data members, as found). Hand-parsed: the ar format
 * is a 8-byte magic and 60-byte member headers, and no library in package.json reads it.
 */

const AR_MAGIC = '!<arch>\n';
const MEMBER_HEADER = 60;

export interface ArMember {
  name: string;
  /** Offset of the member's data. */
  offset: number;
  size: number;
}

export interface DebSignature {
  /** `origin`, `maint`, ... from `_gpg<role>`. */
  role: string;
  member: string;
  packet: Uint8Array;
}

export interface DebAnalysis {
  members: ArMember[];
  signatures: DebSignature[];
  /** debian-binary + control.tar.* + data.tar.*: what every debsigs signature covers. */
  signed: Uint8Array;
  findings: Finding[];
}

function malformed(message: string): SigscanError {
  return new SigscanError('MALFORMED_DEB', message);
}

/** `!<arch>\n` followed by a `debian-binary` member. */
export function looksLikeDeb(bytes: Uint8Array): boolean {
  if (bytes.byteLength < AR_MAGIC.length + 16) return false;
  const head = Buffer.from(bytes.subarray(0, AR_MAGIC.length + 16)).toString('latin1');
  return head.startsWith(AR_MAGIC) && /^debian-binary(\/)? *$/.test(head.slice(AR_MAGIC.length));
}

export function readAr(bytes: Uint8Array): ArMember[] {
  if (!Buffer.from(bytes.subarray(0, AR_MAGIC.length)).toString('latin1').startsWith(AR_MAGIC)) {
    throw malformed('not an ar archive');
  }
  const members: ArMember[] = [];
  let p = AR_MAGIC.length;
  while (p < bytes.byteLength) {
    if (p + MEMBER_HEADER > bytes.byteLength) throw malformed(`truncated ar member header at ${p}`);
    const header = Buffer.from(bytes.subarray(p, p + MEMBER_HEADER)).toString('latin1');
    if (header.slice(58, 60) !== '`\n') throw malformed(`bad ar member header at ${p}`);
    const name = header.slice(0, 16).trimEnd().replace(/\/$/, '');
    const sizeText = header.slice(48, 58).trim();
    if (!/^\d+$/.test(sizeText)) throw malformed(`ar member ${name} has no decimal size`);
    const size = Number(sizeText);
    const offset = p + MEMBER_HEADER;
    if (offset + size > bytes.byteLength) throw malformed(`ar member ${name} runs past the end of the file`);
    members.push({ name, offset, size });
    // Members start on even offsets: odd sizes are followed by one padding byte.
    p = offset + size + (size % 2);
  }
  return members;
}

/**
 * The package's members and its debsigs signatures. Where dpkg and debsig-verify could read different
 * packages (a member twice, control or data missing or out of order, a member between them), the
 * signatures are refused with an integrity finding.
 */
export function analyzeDeb(bytes: Uint8Array): DebAnalysis {
  const members = readAr(bytes);
  const findings: Finding[] = [];
  const names = members.map((m) => m.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) {
    findings.push({
      code: 'DEB_AMBIGUOUS',
      severity: 'integrity',
      message: `member ${duplicate} occurs twice: dpkg and debsig-verify may read different copies`,
    });
  }
  const [first, control, data] = members;
  const layoutOk =
    first?.name === 'debian-binary' &&
    control !== undefined &&
    /^control\.tar(\.\w+)?$/.test(control.name) &&
    data !== undefined &&
    /^data\.tar(\.\w+)?$/.test(data.name);
  if (!layoutOk) {
    findings.push({
      code: 'DEB_AMBIGUOUS',
      severity: 'integrity',
      message: `members are ${names.slice(0, 4).join(', ')}: dpkg needs debian-binary, control.tar.*, data.tar.* first and in that order`,
    });
  }
  const extra = members.slice(3).filter((m) => !m.name.startsWith('_'));
  if (layoutOk && extra.length > 0) {
    findings.push({
      code: 'DEB_AMBIGUOUS',
      severity: 'integrity',
      message: `member ${extra[0]!.name} after data.tar is neither signed nor a signature`,
    });
  }
  const covered = layoutOk ? [first, control, data] : [];
  const signed = new Uint8Array(covered.reduce((n, m) => n + m.size, 0));
  let at = 0;
  for (const m of covered) {
    signed.set(bytes.subarray(m.offset, m.offset + m.size), at);
    at += m.size;
  }
  const signatures = members
    .filter((m) => /^_gpg\w+$/.test(m.name))
    .map((m) => ({
      role: m.name.slice(4),
      member: m.name,
      packet: bytes.subarray(m.offset, m.offset + m.size),
    }));
  return { members, signatures, signed, findings };
}
