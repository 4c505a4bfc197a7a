import { isInTotoMaterial } from '../../detectors/in-toto.js';
import { parseInTotoMetadata } from '../../formats/in-toto/index.js';
import type { Verdict } from '../../model/index.js';
import { checkSignatures, trustedKeyVerifiers, verifyLayout, type InTotoVerifier } from '../in-toto/index.js';
import type { FamilyVerifier } from '../verifier.js';
import { invalid, unverified, untrusted, verificationError, verified } from '../verdicts.js';

/**
 * in-toto layouts and links. A layout is verified as `in-toto-verify` would (signature by a `--key`,
 * expiry at `--at`/now, links beside it, thresholds, artifact rules), except that inspections are
 * never executed. A lone link can only show that a trusted key signed what it records.
 */
export const inTotoVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material;
  if (!isInTotoMaterial(m))
    return verificationError('NO_MATERIAL', 'the in-toto detector handed over no metadata');
  let meta;
  try {
    meta = parseInTotoMetadata(m.metadata);
  } catch (err) {
    return verificationError('MALFORMED_ENVELOPE', `in-toto metadata: ${(err as Error).message}`);
  }
  const keys: InTotoVerifier[] = ctx.config.keys.flatMap((k) =>
    trustedKeyVerifiers(k.key, `--key ${k.path}`),
  );
  if (!ctx.config.keys.length) {
    return unverified('NO_TRUST_ROOT', `in-toto ${meta.body.type}: no --key given to verify it with`);
  }
  if (meta.body.type === 'link') {
    const link = meta.body;
    const res = checkSignatures(meta.signatures, meta.signedBytes, keys);
    if (res.ok) {
      return verified(
        'VERIFIED',
        `link for step "${link.name}" is signed by ${res.by.label} (key ${res.keyid.slice(0, 8)}); a lone link proves only that this key recorded these materials and products, not that the supply chain followed a layout`,
      );
    }
    if (!meta.signatures.length)
      return invalid('LINK_SIGNATURE_INVALID', `link for step "${link.name}" is unsigned`);
    return res.known
      ? invalid(
          'LINK_SIGNATURE_INVALID',
          `link for step "${link.name}": the signature by a trusted key does not verify`,
        )
      : untrusted('KEY_NOT_TRUSTED', `link for step "${link.name}" is signed by none of the --key keys`);
  }
  const links = new Map(Object.entries(m.links));
  const res = verifyLayout(meta, { keys, now: ctx.now, links });
  evidence.details = {
    ...evidence.details,
    verification: {
      signedBy: res.signedBy,
      steps: res.steps,
      inspectionsNotRun: res.inspectionsNotRun,
      violation: res.violation,
      warnings: res.warnings,
    },
  };
  return layoutVerdict(res.code, res.message);
};

function layoutVerdict(code: string, message: string): Verdict {
  switch (code) {
    case 'VERIFIED':
      return verified(code, message);
    case 'KEY_NOT_TRUSTED':
      return untrusted(code, message);
    case 'MALFORMED_LAYOUT':
      return verificationError(code, message);
    default:
      return invalid(code, message);
  }
}
