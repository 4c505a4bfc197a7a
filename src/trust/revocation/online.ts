import * as asn1js from 'asn1js';
import { createHash, verify as cryptoVerify } from 'node:crypto';
import * as pkijs from 'pkijs';

import { describeError } from '../../errors.js';
import { toArrayBuffer } from '../../formats/der.js';
import { parseCertificate, type ParsedCertificate } from '../../formats/x509.js';
import { certificatePublicKey, hashNameForOid } from '../cms-verify.js';
import { answerFromCrl, type OnlineRevocation, type SourceAnswer } from './check.js';
import {
  CRL_REASONS,
  crlCovers,
  crlProblem,
  invalidityDateOf,
  parseCrl,
  serialKey,
  type CrlEntry,
  type LoadedCrl,
} from './crl.js';

/** Fetches one revocation document: a CRL by its URL, or an OCSP response by GET (RFC 6960 Appendix A.1). */
export type RevocationFetch = (url: URL, kind: 'crl' | 'ocsp') => Promise<Uint8Array>;

const CRL_DISTRIBUTION_POINTS = '2.5.29.31';
const AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
const OCSP_ACCESS_METHOD = '1.3.6.1.5.5.7.48.1';
const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OCSP_SIGNING_EKU = '1.3.6.1.5.5.7.3.9';
const SHA1 = '1.3.14.3.2.26';
const URI_NAME = 6;
/** Clock skew allowed for an OCSP thisUpdate, as OpenSSL's OCSP_check_validity callers commonly allow. */
const SKEW_MS = 5 * 60_000;
/** An OCSP answer without nextUpdate is taken as current only this long after its thisUpdate. */
const MAX_AGE_WITHOUT_NEXT_UPDATE_MS = 60 * 60_000;

/** The http(s) URLs a certificate names: OCSP responders (AIA) and CRL distribution points. */
export function revocationSources(cert: pkijs.Certificate): { ocsp: string[]; crl: string[] } {
  const ocsp: string[] = [];
  const crl: string[] = [];
  for (const ext of cert.extensions ?? []) {
    if (ext.extnID === AUTHORITY_INFO_ACCESS && ext.parsedValue instanceof pkijs.InfoAccess) {
      for (const d of ext.parsedValue.accessDescriptions) {
        if (d.accessMethod === OCSP_ACCESS_METHOD) pushUri(ocsp, d.accessLocation);
      }
    }
    if (ext.extnID === CRL_DISTRIBUTION_POINTS && ext.parsedValue instanceof pkijs.CRLDistributionPoints) {
      for (const point of ext.parsedValue.distributionPoints) {
        // A point naming its own CRL issuer is an indirect CRL: out of scope, as in crl.ts.
        if (point.cRLIssuer || !Array.isArray(point.distributionPoint)) continue;
        for (const name of point.distributionPoint) pushUri(crl, name);
      }
    }
  }
  return { ocsp, crl };
}

function pushUri(into: string[], name: pkijs.GeneralName): void {
  if (name.type !== URI_NAME || typeof name.value !== 'string') return;
  // LDAP and file URLs are not fetched: only what the scan's HTTP transport can reach.
  if (/^https?:\/\//i.test(name.value) && !into.includes(name.value)) into.push(name.value);
}

/**
 * `--revocation online`: asks the OCSP responders a certificate names, then its CRL distribution
 * points, until one gives a usable answer. Every document is checked as the offline ones are (signed by
 * the issuer or its delegated OCSP responder, current at the check time). Answers are kept for the scan:
 * every file from one vendor names the same sources.
 */
export class OnlineRevocationClient implements OnlineRevocation {
  private readonly crls = new Map<string, Promise<LoadedCrl | Error>>();
  private readonly ocsp = new Map<string, Promise<SourceAnswer>>();

  constructor(private readonly fetch: RevocationFetch) {}

  async check(cert: ParsedCertificate, issuer: ParsedCertificate, checkTime: Date): Promise<SourceAnswer[]> {
    const sources = revocationSources(cert.cert);
    const answers: SourceAnswer[] = [];
    for (const url of sources.ocsp) {
      const key = `${url}\n${cert.summary.sha256Fingerprint}\n${checkTime.getTime()}`;
      let pending = this.ocsp.get(key);
      if (!pending) {
        pending = this.askOcsp(url, cert, issuer, checkTime);
        this.ocsp.set(key, pending);
      }
      const answer = await pending;
      answers.push(answer);
      if (answer.status !== 'unavailable') return answers;
    }
    for (const url of sources.crl) {
      const answer = await this.fromCrl(url, cert, issuer, checkTime);
      answers.push(answer);
      if (answer.status !== 'unavailable') return answers;
    }
    return answers;
  }

  private async fromCrl(
    url: string,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    checkTime: Date,
  ): Promise<SourceAnswer> {
    const source = `CRL ${url}`;
    let pending = this.crls.get(url);
    if (!pending) {
      pending = this.fetch(new URL(url), 'crl').then(
        (der) => parseCrl(der, url),
        (err: unknown) => new Error(describeError(err).message),
      );
      this.crls.set(url, pending);
    }
    let crl: LoadedCrl | Error;
    try {
      crl = await pending;
    } catch (err) {
      crl = err as Error;
    }
    if (crl instanceof Error) return { status: 'unavailable', source, problem: crl.message };
    if (!crlCovers(crl, cert)) {
      return {
        status: 'unavailable',
        source,
        problem: `it is issued by another CA than ${cert.summary.issuer}`,
      };
    }
    const problem = crlProblem(crl, issuer, checkTime);
    if (problem) return { status: 'unavailable', source, problem };
    return answerFromCrl(crl, cert);
  }

  private async askOcsp(
    url: string,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    checkTime: Date,
  ): Promise<SourceAnswer> {
    const source = `OCSP ${url}`;
    const request = ocspRequest(cert, issuer);
    const base = url.endsWith('/') ? url : `${url}/`;
    let der: Uint8Array;
    try {
      der = await this.fetch(
        new URL(base + encodeURIComponent(Buffer.from(request).toString('base64'))),
        'ocsp',
      );
    } catch (err) {
      return { status: 'unavailable', source, problem: describeError(err).message };
    }
    try {
      return { ...ocspAnswer(der, cert, issuer, checkTime), source };
    } catch (err) {
      return { status: 'unavailable', source, problem: describeError(err).message };
    }
  }
}

interface CertIdParts {
  nameHash: Buffer;
  keyHash: Buffer;
  serial: string;
}

function certIdParts(cert: ParsedCertificate, issuer: ParsedCertificate): CertIdParts {
  const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest();
  return {
    nameHash: sha1(issuer.subjectDer),
    keyHash: sha1(issuer.cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
    serial: serialKey(cert.serialNumber),
  };
}

/** An unsigned OCSPRequest for one certificate, CertID with SHA-1 as RFC 5019 profiles it. */
export function ocspRequest(cert: ParsedCertificate, issuer: ParsedCertificate): Uint8Array {
  const id = certIdParts(cert, issuer);
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [
        new pkijs.Request({
          reqCert: new pkijs.CertID({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({
              algorithmId: SHA1,
              algorithmParams: new asn1js.Null(),
            }),
            issuerNameHash: new asn1js.OctetString({ valueHex: toArrayBuffer(id.nameHash) }),
            issuerKeyHash: new asn1js.OctetString({ valueHex: toArrayBuffer(id.keyHash) }),
            serialNumber: new asn1js.Integer({ valueHex: toArrayBuffer(cert.serialNumber) }),
          }),
        }),
      ],
    }),
  });
  return new Uint8Array(request.toSchema(true).toBER());
}

type OcspStatus = { status: 'good' } | { status: 'revoked'; entry: CrlEntry };

/**
 * Reads an OCSP response for `cert` (RFC 6960): successful, basic, signed by the issuer itself or by a
 * responder certificate the issuer signed with the OCSPSigning EKU (§4.2.2.2), with a SingleResponse for
 * exactly this CertID that is current at `checkTime`. Throws (the caller reports the source as not used)
 * for anything else, `unknown` included.
 */
export function ocspAnswer(
  der: Uint8Array,
  cert: ParsedCertificate,
  issuer: ParsedCertificate,
  checkTime: Date,
): OcspStatus {
  const response = pkijs.OCSPResponse.fromBER(toArrayBuffer(der));
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) throw new Error(`the responder answered with status ${status}, not successful`);
  if (response.responseBytes?.responseType !== OCSP_BASIC)
    throw new Error('the response is not a basic OCSP response');
  const basic = pkijs.BasicOCSPResponse.fromBER(
    toArrayBuffer(response.responseBytes.response.valueBlock.valueHexView),
  );
  const signer = responseSigner(basic, issuer, checkTime);
  if (!signer) {
    throw new Error(
      `the response is signed neither by ${issuer.summary.subject} nor by an OCSP responder it authorised`,
    );
  }
  const id = certIdParts(cert, issuer);
  const single = basic.tbsResponseData.responses.find(
    (r) =>
      r.certID.hashAlgorithm.algorithmId === SHA1 &&
      Buffer.from(r.certID.issuerNameHash.valueBlock.valueHexView).equals(id.nameHash) &&
      Buffer.from(r.certID.issuerKeyHash.valueBlock.valueHexView).equals(id.keyHash) &&
      serialKey(new Uint8Array(r.certID.serialNumber.valueBlock.valueHexView)) === id.serial,
  );
  if (!single) throw new Error(`the response says nothing about serial ${id.serial}`);
  if (single.thisUpdate.getTime() > checkTime.getTime() + SKEW_MS) {
    throw new Error(`the response was produced ${single.thisUpdate.toISOString()}, after the check time`);
  }
  const until = single.nextUpdate ?? new Date(single.thisUpdate.getTime() + MAX_AGE_WITHOUT_NEXT_UPDATE_MS);
  if (checkTime > until) throw new Error(`the response is stale: current until ${until.toISOString()}`);
  const answer = certStatus(single.certStatus as asn1js.BaseBlock);
  // notation-core-go reads the singleExtensions' invalidityDate for its signing-time rule (decide.ts).
  const invalidityDate = invalidityDateOf(single.singleExtensions ?? []);
  if (answer.status === 'revoked' && invalidityDate) answer.entry.invalidityDate = invalidityDate;
  return answer;
}

function certStatus(block: asn1js.BaseBlock): OcspStatus {
  const tag = block.idBlock.tagNumber;
  if (block.idBlock.tagClass !== 3 || tag === 2 || tag > 2) {
    throw new Error('the responder does not know the certificate (status unknown)');
  }
  if (tag === 0) return { status: 'good' };
  // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
  const parts = (block as asn1js.Constructed).valueBlock.value;
  const time = parts[0];
  if (!(time instanceof asn1js.GeneralizedTime))
    throw new Error('the revoked status carries no revocation time');
  const reasonBlock = (parts[1] as asn1js.Constructed | undefined)?.valueBlock.value?.[0];
  const reason =
    reasonBlock instanceof asn1js.Enumerated ? CRL_REASONS[reasonBlock.valueBlock.valueDec] : undefined;
  return { status: 'revoked', entry: { revokedAt: time.toDate(), ...(reason ? { reason } : {}) } };
}

function responseSigner(
  basic: pkijs.BasicOCSPResponse,
  issuer: ParsedCertificate,
  checkTime: Date,
): ParsedCertificate | undefined {
  const hash = hashNameForOid(basic.signatureAlgorithm.algorithmId);
  if (!hash) return undefined;
  const signed = (key: ParsedCertificate) => {
    try {
      return cryptoVerify(
        hash,
        basic.tbsResponseData.tbsView,
        certificatePublicKey(key),
        Buffer.from(basic.signature.valueBlock.valueHexView),
      );
    } catch {
      return false;
    }
  };
  if (signed(issuer)) return issuer;
  for (const c of basic.certs ?? []) {
    let candidate: ParsedCertificate;
    try {
      candidate = parseCertificate(new Uint8Array(c.toSchema().toBER()));
    } catch {
      continue;
    }
    if (!delegatedBy(candidate, issuer, checkTime)) continue;
    if (signed(candidate)) return candidate;
  }
  return undefined;
}

/** A delegated responder: issued and signed by the CA itself, OCSPSigning EKU, valid at the check time. */
function delegatedBy(responder: ParsedCertificate, issuer: ParsedCertificate, at: Date): boolean {
  const eku = responder.cert.extensions?.find((e) => e.extnID === '2.5.29.37')?.parsedValue as
    pkijs.ExtKeyUsage | undefined;
  if (!eku?.keyPurposes.includes(OCSP_SIGNING_EKU)) return false;
  if (at < responder.cert.notBefore.value || at > responder.cert.notAfter.value) return false;
  if (!Buffer.from(responder.issuerDer).equals(Buffer.from(issuer.subjectDer))) return false;
  try {
    const tbs = responder.cert.tbsView;
    const alg = hashNameForOid(responder.cert.signatureAlgorithm.algorithmId);
    return Boolean(
      alg &&
      cryptoVerify(
        alg,
        tbs,
        certificatePublicKey(issuer),
        Buffer.from(responder.cert.signatureValue.valueBlock.valueHexView),
      ),
    );
  } catch {
    return false;
  }
}
