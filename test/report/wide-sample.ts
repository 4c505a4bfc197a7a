/**
 * A saved report made to stress the pretty layout: one signature of every family (a plugin's too), long
 * DNs with escaped commas and multi-valued RDNs, and the longest verdict codes in src/. Built from the
 * hand-written registry-sample golden input and re-rendered by sigscan's JSON writer, so the summary is
 * consistent and the document is schema-valid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { toJsonDocument } from '../../src/report/json.js';
import { fromJsonDocument, type JsonReportDocument } from '../../src/report/load.js';
import { GOLDEN } from './helpers.js';

export const WIDE_FAMILIES = [
  'cosign',
  'cosign-attestation',
  'sigstore-bundle',
  'notation',
  'simple-signing',
  'tuf',
  'oci-annotation',
  'jar',
  'authenticode',
  'in-toto',
  'x-ed25519',
] as const;

/** Verdict code per family, the longest codes first. */
export const WIDE_CODES = [
  'DATA_AFTER_SIGNATURE_IN_CERTIFICATE',
  'CERTIFICATE_TABLE_OVERLAPS_SECTION',
  'TIMESTAMP_AFTER_VERIFICATION_TIME',
  'UNEXPECTED_CERTIFICATE_REVISION',
  'CHAIN_UNTRUSTED',
  'IDENTITY_MISMATCH',
  'DIGEST_MISMATCH',
  'NO_TRUST_ROOT',
  'SIGNATURE_INVALID',
  'REKOR_UNREACHABLE',
  'VERIFIED',
] as const;

export const LONG_DN =
  'CN=Sigscan Extraordinarily Long Code Signing Certificate Name For Layout Tests,' +
  'OU=Release Engineering+OU=Supply Chain Security,O=Example Widgets\\, Gadgets and Gizmos\\, Incorporated,' +
  'L=Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch,ST=Gwynedd,C=GB';

export function wideSampleDocument(): JsonReportDocument {
  const doc = JSON.parse(readFileSync(join(GOLDEN, 'registry-sample.json'), 'utf8')) as {
    targets: Array<Record<string, unknown> & { signatures: Array<Record<string, unknown>> }>;
  } & Record<string, unknown>;
  const template = doc.targets[1]!; // notation, with a countersigner
  const status = (code: string) =>
    code === 'VERIFIED'
      ? 'verified'
      : code === 'NO_TRUST_ROOT'
        ? 'unverified'
        : code === 'REKOR_UNREACHABLE'
          ? 'error'
          : ['CHAIN_UNTRUSTED', 'IDENTITY_MISMATCH'].includes(code)
            ? 'untrusted'
            : 'invalid';
  const targets = WIDE_FAMILIES.map((family, i) => {
    const hex = (i + 1).toString(16).padStart(2, '0').repeat(32);
    const code = WIDE_CODES[i]!;
    const sig = structuredClone(template.signatures[0]!) as Record<string, unknown> & {
      signer: Record<string, unknown>;
      countersigner: Record<string, unknown>;
    };
    sig.family = family;
    sig.signer.subject = LONG_DN;
    sig.countersigner.subject = `CN=Example Widgets Timestamping Authority ${i},O=Example Widgets\\, Inc.,C=GB`;
    sig.verdict = { status: status(code), code, message: `${family} says ${code}: by ${LONG_DN}` };
    return {
      ...structuredClone(template),
      ref: `registry.example.com/team/layout-with-a-long-repository-name:release-candidate-${i}`,
      repository: 'team/layout-with-a-long-repository-name',
      tag: `release-candidate-${i}`,
      platform: null,
      parent: null,
      digest: `sha256:${hex}`,
      verdict: status(code),
      signatures: [sig],
    };
  });
  doc.targets = [...targets, doc.targets[3]!] as typeof doc.targets;
  // The JSON writer recomputes the summary from the targets.
  return toJsonDocument(
    fromJsonDocument(doc as unknown as JsonReportDocument),
  ) as unknown as JsonReportDocument;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What is wrong with a pretty rendering (or a terminal capture of one) at `width` columns: lines wider than
 * the width, a family name not whole in exactly `cells` table cells, a verdict code not whole on any line
 * (in the verdict column as `(CODE)`, or leading the reason under the row). [] when the layout is right.
 */
export function layoutProblems(
  text: string,
  width: number,
  families: readonly string[] = WIDE_FAMILIES,
  codes: readonly string[] = WIDE_CODES,
  cells = 1,
): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  for (const line of lines) if ([...line].length > width) problems.push(`line wider than ${width}: ${line}`);
  for (const family of families) {
    const cell = new RegExp(`│ ${escape(family)} +│`);
    const n = lines.filter((l) => cell.test(l)).length;
    if (n !== cells) problems.push(`family ${family} is in ${n} table cells, not ${cells}`);
  }
  for (const code of codes) {
    const whole = new RegExp(`\\(${code}\\)|↳ ${code}: `);
    if (!lines.some((l) => whole.test(l))) problems.push(`verdict code ${code} is not whole on any line`);
  }
  return problems;
}
