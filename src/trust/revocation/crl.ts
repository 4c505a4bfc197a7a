import * as asn1js from 'asn1js';
import { verify as cryptoVerify } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as pkijs from 'pkijs';

import { SigscanError } from '../../errors.js';
import { sha256Hex, toArrayBuffer } from '../../formats/der.js';
import { namesEqual, type ParsedCertificate } from '../../formats/x509.js';
import { certificatePublicKey, hashNameForOid } from '../cms-verify.js';
import { hasKeyUsage } from '../x509-chain.js';

/** RFC 5280 §5.3.1 CRLReason names, by code (7 is unused). */
export const CRL_REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

const REASON_CODE = '2.5.29.21';
const INVALIDITY_DATE = '2.5.29.24';
const DELTA_CRL_INDICATOR = '2.5.29.27';
const ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const CERTIFICATE_ISSUER = '2.5.29.29';
/** CRL extensions a complete, direct CRL may mark critical and that this code understands. */
const KNOWN_CRITICAL_CRL_EXTENSIONS = new Set<string>();
const CRL_SIGN = 0x02;

/** One revoked serial as its CRL lists it. */
export interface CrlEntry {
  revokedAt: Date;
  /** CRLReason name; absent when the entry carries no reasonCode. */
  reason?: string;
  /** The invalidityDate entry extension (RFC 5280 §5.3.2): when the key is known or suspected to have become unusable. */
  invalidityDate?: Date;
}

/** A CRL as read from a file or fetched, not yet trusted: `crlUsableFor` decides that per issuer. */
export interface LoadedCrl {
  /** The file (or URL) it came from, for messages and the report. */
  source: string;
  sha256: string;
  crl: pkijs.CertificateRevocationList;
  issuerDer: Uint8Array;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** By serial number (hex, no leading zero octets). */
  entries: Map<string, CrlEntry>;
  /** Why it cannot be used at all (delta CRL, indirect CRL, unknown critical extension), when so. */
  unsupported?: string;
}

/**
 * The invalidityDate (2.5.29.24, a GeneralizedTime) among a CRL entry's or OCSP SingleResponse's
 * extensions; undefined when absent or not a GeneralizedTime (the revocation then counts in full).
 */
export function invalidityDateOf(extensions: pkijs.Extension[]): Date | undefined {
  const x = extensions.find((e) => e.extnID === INVALIDITY_DATE);
  if (!x) return undefined;
  const value = asn1js.fromBER(toArrayBuffer(new Uint8Array(x.extnValue.valueBlock.valueHexView))).result;
  return value instanceof asn1js.GeneralizedTime ? value.toDate() : undefined;
}

export function serialKey(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex');
}

/** Parses one DER CRL. Throws SigscanError MALFORMED_CRL. */
export function parseCrl(der: Uint8Array, source: string): LoadedCrl {
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new SigscanError('MALFORMED_CRL', `${source}: not a valid X.509 CRL: ${(cause as Error).message}`, {
      cause,
    });
  }
  const entries = new Map<string, CrlEntry>();
  let unsupported: string | undefined;
  for (const e of crl.revokedCertificates ?? []) {
    const ext = e.crlEntryExtensions?.extensions ?? [];
    if (ext.some((x) => x.extnID === CERTIFICATE_ISSUER)) {
      unsupported =
        'it is an indirect CRL (certificateIssuer entry extension), which sigscan does not support';
    }
    const critical = ext.find((x) => x.critical && x.extnID !== REASON_CODE);
    if (critical) unsupported ??= `an entry carries the unknown critical extension ${critical.extnID}`;
    const reasonExt = ext.find((x) => x.extnID === REASON_CODE);
    const invalidityDate = invalidityDateOf(ext);
    entries.set(serialKey(new Uint8Array(e.userCertificate.valueBlock.valueHexView)), {
      revokedAt: e.revocationDate.value,
      ...(reasonExt ? { reason: reasonName(reasonExt) } : {}),
      ...(invalidityDate ? { invalidityDate } : {}),
    });
  }
  for (const x of crl.crlExtensions?.extensions ?? []) {
    if (x.extnID === DELTA_CRL_INDICATOR) unsupported ??= 'it is a delta CRL, which sigscan does not support';
    else if (x.extnID === ISSUING_DISTRIBUTION_POINT) {
      // A partitioned or indirect CRL covers only part of the issuer's certificates; treating it as
      // complete could call a revoked certificate good.
      unsupported ??=
        'it has an issuingDistributionPoint (partitioned or indirect CRL), which sigscan does not support';
    } else if (x.critical && !KNOWN_CRITICAL_CRL_EXTENSIONS.has(x.extnID)) {
      unsupported ??= `it carries the unknown critical extension ${x.extnID}`;
    }
  }
  return {
    source,
    sha256: sha256Hex(der),
    crl,
    issuerDer: new Uint8Array(crl.issuer.valueBeforeDecode),
    thisUpdate: crl.thisUpdate.value,
    ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.value } : {}),
    entries,
    ...(unsupported ? { unsupported } : {}),
  };
}

function reasonName(ext: pkijs.Extension): string {
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView.slice().buffer);
  const value = parsed.result instanceof asn1js.Enumerated ? parsed.result.valueBlock.valueDec : -1;
  return CRL_REASONS[value] ?? `reason ${value}`;
}

/** PEM (`X509 CRL` blocks) or DER files, or a directory of them (`--crl`). */
export async function readCrls(path: string): Promise<LoadedCrl[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new SigscanError('USAGE', `--crl ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (info.isDirectory()) {
    const out: LoadedCrl[] = [];
    for (const name of (await readdir(path)).sort()) {
      const child = join(path, name);
      if ((await stat(child)).isFile()) out.push(...(await readCrls(child)));
    }
    return out;
  }
  const bytes = new Uint8Array(await readFile(path));
  const text = Buffer.from(bytes).toString('latin1');
  try {
    if (!text.includes('-----BEGIN X509 CRL-----')) return [parseCrl(bytes, path)];
    const blocks = [...text.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)];
    return blocks.map((m) =>
      parseCrl(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')), path),
    );
  } catch (err) {
    throw new SigscanError('USAGE', `--crl ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The CRL names this certificate's issuer (RFC 5280 §6.3.3 (a)): only then is it about the certificate. */
export function crlCovers(crl: LoadedCrl, cert: ParsedCertificate): boolean {
  return namesEqual(crl.issuerDer, cert.issuerDer);
}

/**
 * Why this CRL may not be used to judge certificates of `issuer` at `at`, or undefined when it may:
 * supported kind, the issuer may sign CRLs, the signature verifies with the issuer's own key (a CRL
 * that merely copies the issuer's name proves nothing), and `at` lies within thisUpdate..nextUpdate.
 */
export function crlProblem(crl: LoadedCrl, issuer: ParsedCertificate, at: Date): string | undefined {
  if (crl.unsupported) return crl.unsupported;
  if (hasKeyUsage(issuer, CRL_SIGN) === false) {
    return `its issuer ${issuer.summary.subject} may not sign CRLs (keyUsage lacks cRLSign)`;
  }
  if (!crlSignedBy(crl, issuer)) {
    return `its signature does not verify with the key of ${issuer.summary.subject}`;
  }
  if (at < crl.thisUpdate) {
    return `it was issued ${crl.thisUpdate.toISOString()}, after the check time ${at.toISOString()}`;
  }
  if (!crl.nextUpdate) return 'it has no nextUpdate, so nothing says when it stops being current';
  if (at > crl.nextUpdate) {
    return `it expired ${crl.nextUpdate.toISOString()} (nextUpdate), before the check time ${at.toISOString()}`;
  }
  return undefined;
}

function crlSignedBy(crl: LoadedCrl, issuer: ParsedCertificate): boolean {
  const outer = crl.crl.signatureAlgorithm.algorithmId;
  // RFC 5280 §5.1.1.2: the algorithm inside the signed part must equal the outer one.
  if (crl.crl.signature.algorithmId !== outer) return false;
  const hash = hashNameForOid(outer);
  if (!hash) return false;
  try {
    return cryptoVerify(
      hash,
      crl.crl.tbsView,
      certificatePublicKey(issuer),
      Buffer.from(crl.crl.signatureValue.valueBlock.valueHexView),
    );
  } catch {
    return false;
  }
}
