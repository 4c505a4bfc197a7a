import { isInTotoMaterial } from '../../detectors/in-toto.js';
import { parseInTotoMetadata } from '../../formats/in-toto/index.js';
import type { Verdict } from '../../model/index.js';
import { trustedKeyVerifiers, verifyLayout, type InTotoVerifier } from '../in-toto/index.js';
import type { FamilyVerifier } from '../verifier.js';
import { invalid, unverified, untrusted, verificationError, verified } from '../verdicts.js';

/**
 * in-toto layouts and links. A layout is verified as `in-toto-verify --layout-keys` would: signed by
 * every `--in-toto-layout-key` (and only those keys may sign it: a `--key` is a cosign key and never
 * signs a layout), not expired at `--at`/now, links beside it signed by the functionary keys the
 * layout itself lists, thresholds, artifact rules. Inspections are never executed, so a layout with
 * inspections is `unverified` (INSPECTIONS_NOT_RUN) with a finding that its signature is valid.
 * A lone link is `unverified`: its functionary key is only trusted through a layout.
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
  if (meta.body.type === 'link') {
    // Functionary keys come only from a layout (in-toto verifylib.py `verify_link_signature_thresholds`
    // checks links against `layout.keys`); no trust flag names a functionary on its own.
    return unverified(
      'LINK_WITHOUT_LAYOUT',
      `link for step "${meta.body.name}": a link is trusted only through the layout that authorizes its functionary; it is checked when the layout beside it is scanned`,
    );
  }
  const layoutKeys = ctx.config.inTotoLayoutKeys;
  if (!layoutKeys.length) {
    return unverified('NO_TRUST_ROOT', 'in-toto layout: no --in-toto-layout-key given to verify it with');
  }
  const keys: InTotoVerifier[][] = layoutKeys.map((k) =>
    trustedKeyVerifiers(k.key, `--in-toto-layout-key ${k.path}`),
  );
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
  if (res.code === 'INSPECTIONS_NOT_RUN') {
    evidence.findings = [
      ...(evidence.findings ?? []),
      {
        code: 'LAYOUT_SIGNATURE_VALID',
        severity: 'info',
        message: `the layout signature is valid (${res.signedBy?.label ?? 'layout keys'}); only its inspections were not run`,
      },
    ];
  }
  return layoutVerdict(res.code, res.message);
};

function layoutVerdict(code: string, message: string): Verdict {
  switch (code) {
    case 'VERIFIED':
      return verified(code, message);
    case 'INSPECTIONS_NOT_RUN':
      return unverified(code, message);
    case 'KEY_NOT_TRUSTED':
    case 'LAYOUT_KEY_NOT_SIGNED':
      return untrusted(code, message);
    case 'MALFORMED_LAYOUT':
      return verificationError(code, message);
    default:
      return invalid(code, message);
  }
}
