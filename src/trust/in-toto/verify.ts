import { createHash } from 'node:crypto';

import {
  linkFileName,
  parseInTotoMetadata,
  type ArtifactMap,
  type InTotoLayout,
  type InTotoLink,
  type InTotoMetadata,
} from '../../formats/in-toto/index.js';
import { wallClockExists } from '../../util/time.js';
import { checkSignatures, layoutKeyVerifier, type InTotoVerifier } from './keys.js';
import { verifyItemRules, RuleFormatError, type RuleViolation } from './rules.js';

export type LayoutCode =
  | 'VERIFIED'
  /** Everything sigscan can check holds, but the layout's inspections were never run. */
  | 'INSPECTIONS_NOT_RUN'
  | 'LAYOUT_SIGNATURE_INVALID'
  /** Some, not all, of the layout keys signed the layout. */
  | 'LAYOUT_KEY_NOT_SIGNED'
  | 'LAYOUT_EXPIRED'
  | 'KEY_NOT_TRUSTED'
  | 'LINK_MISSING'
  | 'THRESHOLD_NOT_MET'
  | 'RULE_VIOLATION'
  | 'MALFORMED_LAYOUT';

/** Link files the detector gathered, by path relative to the layout's directory (`/`-separated). */
export interface LinkStore {
  get(relativePath: string): Uint8Array | undefined;
}

export interface StepOutcome {
  name: string;
  threshold: number;
  /** Link files whose signatures verified with an authorized functionary key. */
  links: string[];
  /** Why other candidate link files did not count. */
  skipped: string[];
  /** Set when the step was delegated to a sublayout that verified. */
  sublayout?: boolean;
}

export interface LayoutVerification {
  code: LayoutCode;
  message: string;
  /** Which trusted key signed the layout, and its in-toto key id. */
  signedBy?: { label: string; keyid: string };
  steps: StepOutcome[];
  /** Inspections the layout asks for; sigscan never runs them, so their rules are not evaluated. */
  inspectionsNotRun: Array<{ name: string; run: string[] }>;
  violation?: RuleViolation & { item: string };
  /** Soft findings (command alignment), as in-toto logs them. */
  warnings: string[];
  /** The chain summarised as one link (first step's materials, last step's products), for sublayouts. */
  summary?: InTotoLink;
}

export interface VerifyLayoutOptions {
  /**
   * The layout keys (`--in-toto-layout-key`, or the functionary key for a sublayout), each as the
   * scheme variants it may sign with. Every one of them must have signed the layout.
   */
  keys: ReadonlyArray<readonly InTotoVerifier[]>;
  now: Date;
  links: LinkStore;
  /** Directory prefix for links, `''` at the top, `<step>.<keyid8>/` for a sublayout. */
  dir?: string;
  /** Nesting depth guard for sublayouts. */
  depth?: number;
}

const MAX_SUBLAYOUT_DEPTH = 4;

const ISO8601_DATETIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})Z$/;

/**
 * in-toto layout verification as in-toto's `in_toto_verify` does it, minus the parts sigscan never
 * does: (1) every layout key signed the layout; (2) it has not expired at `now`; (3) for each step the
 * links `<step>.<keyid8>.link` beside it, signed by keys the layout authorises for that step, reach the
 * step threshold counting distinct keys (sublayouts are verified recursively from
 * `<step>.<keyid8>/`); (4) links of one step agree on materials and products; (5) every step's
 * material and product rules hold. Inspections are listed and never executed: their rules are not
 * evaluated and a rule that matches against an inspection consumes nothing, so a layout with
 * inspections ends as INSPECTIONS_NOT_RUN, never VERIFIED.
 */
export function verifyLayout(meta: InTotoMetadata, opts: VerifyLayoutOptions): LayoutVerification {
  const base: LayoutVerification = {
    code: 'VERIFIED',
    message: '',
    steps: [],
    inspectionsNotRun: [],
    warnings: [],
  };
  const fail = (
    code: LayoutCode,
    message: string,
    extra: Partial<LayoutVerification> = {},
  ): LayoutVerification => ({
    ...base,
    ...extra,
    code,
    message,
  });
  if (meta.body.type !== 'layout') return fail('MALFORMED_LAYOUT', 'the metadata is a link, not a layout');
  const layout: InTotoLayout = meta.body;
  base.inspectionsNotRun = layout.inspections.map((i) => ({ name: i.name, run: i.run }));

  // 1. Layout signatures: in-toto-verify requires at least one layout key and a valid signature by
  // every one of them (in-toto verifylib.py `verify_metadata_signatures`: "Fail if any of the passed
  // keys can't verify a signature on the Layout").
  if (meta.signatures.length === 0)
    return fail('LAYOUT_SIGNATURE_INVALID', 'the layout is unsigned (no signatures)');
  if (opts.keys.length === 0) return fail('KEY_NOT_TRUSTED', 'no layout key was given');
  const checks = opts.keys.map((variants) => ({
    variants,
    res: checkSignatures(meta.signatures, meta.signedBytes, variants),
  }));
  const good = checks.flatMap((c) => (c.res.ok ? [c.res] : []));
  const tampered = checks.find((c) => !c.res.ok && c.res.known);
  if (tampered) {
    return fail(
      'LAYOUT_SIGNATURE_INVALID',
      `the layout signature by ${tampered.variants[0]?.label ?? 'a layout key'} does not verify: the layout was altered or the signature is corrupt`,
    );
  }
  if (good.length === 0) {
    return fail(
      'KEY_NOT_TRUSTED',
      `the layout is signed by ${describeIds(meta)}, which is none of the layout keys (${
        opts.keys
          .map((k) => k[0]?.label ?? '')
          .filter(unique)
          .join(', ') || 'none'
      })`,
    );
  }
  if (good.length < checks.length) {
    const missing = checks.filter((c) => !c.res.ok).map((c) => c.variants[0]?.label ?? 'a layout key');
    return fail(
      'LAYOUT_KEY_NOT_SIGNED',
      `the layout is not signed by every layout key: no signature by ${missing.join(', ')} (in-toto-verify requires one by each)`,
    );
  }
  const sig = good[0]!;
  base.signedBy = { label: good.map((g) => g.by.label).join(', '), keyid: sig.keyid };

  // 2. Expiry. in-toto accepts only securesystemslib's ISO8601_DATETIME_SCHEMA, `YYYY-MM-DDTHH:MM:SSZ`, and
  // only a date that exists (models/layout.py `_validate_expires`); Date.parse would also take a time
  // without a zone (as local time), an offset, a bare date, or February 30th (as March 2nd).
  const fields = ISO8601_DATETIME.exec(layout.expires);
  const expires = fields && wallClockExists(fields[1]!, fields[2]!) ? Date.parse(layout.expires) : NaN;
  if (Number.isNaN(expires))
    return fail('MALFORMED_LAYOUT', `layout "expires" ${JSON.stringify(layout.expires)} is not a time`);
  if (expires < opts.now.getTime()) {
    return fail(
      'LAYOUT_EXPIRED',
      `the layout expired at ${layout.expires} (checked at ${opts.now.toISOString()})`,
    );
  }

  // 3./4. Links per step, signatures, thresholds, sublayouts.
  const dir = opts.dir ?? '';
  const depth = opts.depth ?? 0;
  const reduced = new Map<string, InTotoLink>();
  for (const step of layout.steps) {
    const outcome: StepOutcome = { name: step.name, threshold: step.threshold, links: [], skipped: [] };
    base.steps.push(outcome);
    const candidates: Array<{ file: string; keyid: string; meta: InTotoMetadata }> = [];
    let present = 0;
    for (const keyid of [...new Set(step.pubkeys)]) {
      const file = linkFileName(step.name, keyid);
      const bytes = opts.links.get(dir + file);
      if (!bytes) continue;
      present++;
      try {
        candidates.push({ file, keyid, meta: parseInTotoMetadata(bytes) });
      } catch (err) {
        outcome.skipped.push(`${file}: ${(err as Error).message}`);
      }
    }
    if (present < step.threshold) {
      return fail(
        'LINK_MISSING',
        `step "${step.name}" needs ${step.threshold} link file(s) (${step.pubkeys.map((k) => dir + linkFileName(step.name, k)).join(', ')}), found ${present}`,
      );
    }
    const verified: Array<{ file: string; link: InTotoLink; keyFingerprint: string }> = [];
    for (const c of candidates) {
      const layoutKey = Object.prototype.hasOwnProperty.call(layout.keys, c.keyid)
        ? layout.keys[c.keyid]
        : undefined;
      if (!layoutKey) {
        outcome.skipped.push(`${c.file}: key ${c.keyid.slice(0, 8)} is not in the layout's keys`);
        continue;
      }
      let functionary: InTotoVerifier;
      try {
        functionary = layoutKeyVerifier(layoutKey);
      } catch (err) {
        outcome.skipped.push(`${c.file}: ${(err as Error).message}`);
        continue;
      }
      const named = c.meta.signatures.filter((s) => s.keyid === undefined || s.keyid === c.keyid);
      if (!checkSignatures(named, c.meta.signedBytes, [functionary]).ok) {
        outcome.skipped.push(`${c.file}: signature by ${c.keyid.slice(0, 8)} does not verify`);
        continue;
      }
      let link: InTotoLink;
      if (c.meta.body.type === 'layout') {
        if (depth >= MAX_SUBLAYOUT_DEPTH)
          return fail('MALFORMED_LAYOUT', `sublayouts nest deeper than ${MAX_SUBLAYOUT_DEPTH}`);
        const sub = verifyLayout(c.meta, {
          keys: [[functionary]],
          now: opts.now,
          links: opts.links,
          dir: `${dir}${step.name}.${c.keyid.slice(0, 8)}/`,
          depth: depth + 1,
        });
        // A sublayout's unrun inspections leave the whole chain unverified, but its other checks
        // still count: carry them up rather than stopping here.
        base.inspectionsNotRun.push(
          ...(sub.code === 'INSPECTIONS_NOT_RUN' ? sub.inspectionsNotRun : []).map((i) => ({
            ...i,
            name: `${step.name}/${i.name}`,
          })),
        );
        if ((sub.code !== 'VERIFIED' && sub.code !== 'INSPECTIONS_NOT_RUN') || !sub.summary) {
          return fail(sub.code, `sublayout for step "${step.name}" (${dir}${c.file}): ${sub.message}`, {
            violation: sub.violation,
          });
        }
        base.warnings.push(...sub.warnings);
        link = { ...sub.summary, name: step.name };
        outcome.sublayout = true;
      } else {
        link = c.meta.body;
        if (link.name !== step.name) {
          outcome.skipped.push(`${c.file}: records step "${link.name}", not "${step.name}"`);
          continue;
        }
      }
      verified.push({ file: dir + c.file, link, keyFingerprint: fingerprint(functionary) });
    }
    const distinct = new Set(verified.map((v) => v.keyFingerprint)).size;
    outcome.links = verified.map((v) => v.file);
    if (distinct < step.threshold) {
      return fail(
        'THRESHOLD_NOT_MET',
        `step "${step.name}" needs links signed by ${step.threshold} distinct authorized key(s), ${distinct} verified${outcome.skipped.length ? ` (${outcome.skipped.join('; ')})` : ''}`,
      );
    }
    if (step.threshold > 1) {
      const ref = verified[0]!;
      for (const v of verified.slice(1)) {
        if (
          !sameArtifacts(ref.link.materials, v.link.materials) ||
          !sameArtifacts(ref.link.products, v.link.products)
        ) {
          return fail(
            'THRESHOLD_NOT_MET',
            `links ${ref.file} and ${v.file} of step "${step.name}" report different artifacts`,
          );
        }
      }
    }
    const chosen = verified[0]!.link;
    reduced.set(step.name, chosen);
    if (step.expectedCommand.length && chosen.command.join(' ') !== step.expectedCommand.join(' ')) {
      base.warnings.push(
        `step "${step.name}" ran ${JSON.stringify(chosen.command)}, the layout expected ${JSON.stringify(step.expectedCommand)} (in-toto only warns)`,
      );
    }
  }

  // 5. Artifact rules of the steps (inspections are never run, so theirs cannot be checked).
  for (const step of layout.steps) {
    for (const [type, rules] of [
      ['materials', step.expectedMaterials],
      ['products', step.expectedProducts],
    ] as const) {
      let violation: RuleViolation | undefined;
      try {
        violation = verifyItemRules(step.name, type, rules, reduced);
      } catch (err) {
        if (err instanceof RuleFormatError)
          return fail('MALFORMED_LAYOUT', `step "${step.name}": ${err.message}`);
        throw err;
      }
      if (violation) {
        return fail('RULE_VIOLATION', violation.message, { violation: { ...violation, item: step.name } });
      }
    }
  }

  const first = layout.steps[0] ? reduced.get(layout.steps[0].name) : undefined;
  const last = layout.steps.length ? reduced.get(layout.steps[layout.steps.length - 1]!.name) : undefined;
  const summary: InTotoLink = {
    type: 'link',
    name: '',
    materials: first?.materials ?? {},
    products: last?.products ?? {},
    byproducts: last?.byproducts ?? {},
    command: last?.command ?? [],
  };
  const signedBy = `layout signed by ${base.signedBy.label} (key ${sig.keyid.slice(0, 8)}), valid until ${layout.expires}`;
  const steps = `${layout.steps.length} step(s) (${layout.steps.map((s) => s.name).join(', ')}) have threshold links by authorized functionaries and all step artifact rules hold`;
  if (base.inspectionsNotRun.length) {
    // in-toto-verify runs each inspection and then checks its artifact rules (verifylib.py
    // `in_toto_verify` steps 10-11); those rules are what catch a final product replaced after the
    // last step. sigscan never executes commands named in metadata, so the chain is not verified.
    const names = base.inspectionsNotRun.map((i) => `${i.name} (${JSON.stringify(i.run)})`);
    return {
      ...base,
      code: 'INSPECTIONS_NOT_RUN',
      message: `the supply chain is not verified: ${base.inspectionsNotRun.length} inspection(s) ${names.join(', ')} were not run, so their artifact rules were not checked (sigscan never executes commands named in metadata; run in-toto-verify). Checked: ${signedBy}; ${steps}`,
      summary,
    };
  }
  return {
    ...base,
    code: 'VERIFIED',
    message: `${signedBy}; ${steps}`,
    summary,
  };
}

function describeIds(meta: InTotoMetadata): string {
  const ids = meta.signatures.map((s) => (s.keyid ? `key ${s.keyid.slice(0, 8)}` : 'an unnamed key'));
  return [...new Set(ids)].join(', ');
}

const unique = (v: string, i: number, a: string[]): boolean => a.indexOf(v) === i;

function fingerprint(v: InTotoVerifier): string {
  return createHash('sha256')
    .update(v.key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function sameArtifacts(a: ArtifactMap, b: ArtifactMap): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const x = a[k]!;
    const y = b[k];
    if (!y) return false;
    const hx = Object.keys(x);
    return hx.length === Object.keys(y).length && hx.every((h) => x[h] === y[h]);
  });
}
