import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

import type { ApkEvidenceMaterial } from '../../detectors/apk.js';
import {
  apkSignatureAlgorithm,
  isCheckable,
  type ApkSignatureAlgorithm,
  type LineageNode,
} from '../../formats/apk/index.js';
import { equalBytes } from '../../formats/der-reader.js';
import { parseCertificate, type ParsedCertificate } from '../../formats/x509.js';
import { invalid, untrusted, unverified, verificationError, verified } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';
import { validateChain } from '../x509-chain.js';

/**
 * One v2/v3/v3.1 signer, decided as apksig's V2SchemeVerifier / V3SchemeVerifier do, then anchored:
 * 1. every signature with an algorithm we can check must verify over the signed data with the signer's
 *    public key (verity-only signers cannot be checked here => `error`);
 * 2. the first certificate's public key must be that key;
 * 3. (content digests, SDK ranges and stripping were turned into `invalid` by the evaluator from the
 *    detector's integrity findings);
 * 4. v3: the proof-of-rotation lineage must be a chain of signatures, each node signed by the one
 *    before, ending at the signer's certificate;
 * 5. no trust roots => `unverified`; else the signer certificate, or an older certificate of its
 *    lineage, must be a --trust-root or chain to one. Validity dates are not checked: Android ignores
 *    them for APK signers.
 */
export const apkVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as ApkEvidenceMaterial | undefined;
  if (!m?.record) return verificationError('INTERNAL', 'the APK detector supplied no signer record');
  const { record } = m;
  const what = `APK ${record.scheme} signer #${record.index}`;

  const checkable = record.signatures
    .map((s) => ({ s, alg: apkSignatureAlgorithm(s.algorithmId) }))
    .filter((x): x is { s: typeof x.s; alg: ApkSignatureAlgorithm } => Boolean(x.alg && isCheckable(x.alg)));
  if (checkable.length === 0) {
    return verificationError(
      'UNSUPPORTED_ALGORITHM',
      `the ${what} uses no signature algorithm sigscan can check (only verity or unknown ids)`,
    );
  }
  const key = publicKey(record.publicKey);
  if (!key) return invalid('APK_SIGNATURE_INVALID', `the ${what} carries a public key that does not parse`);
  for (const { s, alg } of checkable) {
    if (!verifies(alg, key, record.signedData, s.signature)) {
      return invalid('APK_SIGNATURE_INVALID', `the ${alg.name} signature of the ${what} does not verify`);
    }
  }

  const leafDer = record.certificates[0];
  if (!leafDer) return invalid('SIGNER_CERTIFICATE_MISSING', `the ${what} carries no certificate`);
  let leaf: ParsedCertificate;
  try {
    leaf = parseCertificate(leafDer);
  } catch (err) {
    return invalid(
      'SIGNER_CERTIFICATE_MISSING',
      `the ${what}'s certificate does not parse: ${(err as Error).message}`,
    );
  }
  if (!equalBytes(leaf.spkiDer, record.publicKey)) {
    return invalid(
      'APK_PUBLIC_KEY_MISMATCH',
      `the ${what}'s certificate ${leaf.summary.subject} holds another key than the one its signatures verify with`,
    );
  }

  const lineage = m.lineage ? checkLineage(m.lineage, leafDer) : { ok: true as const, certificates: [] };
  if (!lineage.ok)
    return invalid('APK_LINEAGE_INVALID', `the ${what}'s proof-of-rotation lineage: ${lineage.message}`);

  const who = leaf.summary.subject || '(empty subject)';
  if (ctx.config.roots.length === 0) {
    return unverified(
      'NO_TRUST_ROOT',
      `the ${what} by ${who} is cryptographically valid; no trust root was supplied to decide trust`,
    );
  }
  const others = record.certificates.slice(1).flatMap((der) => {
    try {
      return [parseCertificate(der)];
    } catch {
      return [];
    }
  });
  // Newest first: the signer itself, then the keys it rotated away from, which vouch for it.
  const candidates = [leaf, ...lineage.certificates.filter((c) => !equalBytes(c.der, leaf.der)).reverse()];
  let first: { code: string; message: string } | undefined;
  for (const candidate of candidates) {
    const chain = await validateChain({
      leaf: candidate,
      intermediates: others,
      anchors: ctx.config.roots,
      at: ctx.now,
      checkValidity: false,
    });
    if (chain.ok) {
      const via =
        candidate === leaf ? '' : ` through its proof-of-rotation lineage from ${candidate.summary.subject}`;
      return verified(
        'CHAIN_VALID',
        `the ${what} by ${who} is valid and anchored${via} in trusted ${chain.anchor!.summary.subject}`,
      );
    }
    first ??= chain;
  }
  return untrusted(first!.code, `the ${what} is valid but ${who} is not anchored: ${first!.message}`);
};

function publicKey(spki: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

const KEY_TYPES: Record<ApkSignatureAlgorithm['keyType'], string> = { RSA: 'rsa', EC: 'ec', DSA: 'dsa' };

function verifies(
  alg: ApkSignatureAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (key.asymmetricKeyType !== KEY_TYPES[alg.keyType]) return false;
  try {
    const k = alg.pssSaltLength
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.pssSaltLength }
      : key;
    return verify(alg.hash, data, k, signature);
  } catch {
    return false;
  }
}

type LineageCheck = { ok: true; certificates: ParsedCertificate[] } | { ok: false; message: string };

/** apksig's V3SigningCertificateLineage reading: each node signed by its parent's key and algorithm. */
function checkLineage(nodes: LineageNode[], signerDer: Uint8Array): LineageCheck {
  const certificates: ParsedCertificate[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    let cert: ParsedCertificate;
    try {
      cert = parseCertificate(node.certificate);
    } catch {
      return { ok: false, message: `certificate #${i + 1} does not parse` };
    }
    if (certificates.some((c) => equalBytes(c.der, cert.der))) {
      return { ok: false, message: `certificate #${i + 1} occurs twice` };
    }
    const parent = nodes[i - 1];
    if (parent) {
      const alg = apkSignatureAlgorithm(parent.algorithmId);
      const key = publicKey(certificates[i - 1]!.spkiDer);
      if (node.parentAlgorithmId !== parent.algorithmId) {
        return {
          ok: false,
          message: `certificate #${i + 1} names another algorithm than its parent signed it with`,
        };
      }
      if (!alg || !key || !verifies(alg, key, node.signedData, node.signature)) {
        return { ok: false, message: `certificate #${i + 1} is not signed by certificate #${i}` };
      }
    }
    certificates.push(cert);
  }
  if (!equalBytes(certificates[certificates.length - 1]!.der, signerDer)) {
    return { ok: false, message: 'its newest certificate is not the signer certificate' };
  }
  return { ok: true, certificates };
}
