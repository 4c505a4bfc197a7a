import { targetRef } from '../model/index.js';
import { signerLabel, sortResults, type ScanReport } from '../scan/report-model.js';

/**
 * Venafi SigScan's JSON shapes, for tools that read them:
 *   repo: {"registry": {"signatures": [{path, digest, thumbprints, subjectname}]}, "name": <registry>}
 *   fs:   {"filesystem": {"signatures": [{path, digest, subjectname, countersigner}]}, "directories": [...]}
 * One entry per signature; an unsigned or unknown target has one entry with an empty subjectname. Unlike
 * SigScan, `digest` is always the real one: the manifest digest, or the SHA-256 of the whole file.
 */
export function toLegacyDocument(report: ScanReport): Record<string, unknown> {
  const results = sortResults(report.results);
  const images = results.filter((r) => r.target.kind === 'image');
  const files = results.filter((r) => r.target.kind === 'file');
  const doc: Record<string, unknown> = {};
  const isRepo = report.command === 'repo' || (images.length > 0 && files.length === 0);
  if (isRepo || images.length) {
    doc.registry = {
      signatures: images.flatMap((r) => {
        const base = { path: targetRef(r.target), digest: r.target.digest };
        if (!r.signatures.length) return [{ ...base, thumbprints: [], subjectname: '' }];
        return r.signatures.map((s) => {
          const signer = s.evidence.signer;
          const thumbprints = [
            signer.sha256Fingerprint,
            ...(signer.chain ?? []).map((c) => c.sha256Fingerprint),
          ].filter((x): x is string => Boolean(x));
          return { ...base, thumbprints, subjectname: signerLabel(signer) };
        });
      }),
    };
    doc.name = report.inputs.length === 1 ? report.inputs[0] : report.inputs;
  }
  if (!isRepo || files.length) {
    doc.filesystem = {
      signatures: files.flatMap((r) => {
        const base = { path: targetRef(r.target), digest: r.target.digest };
        if (!r.signatures.length) return [{ ...base, subjectname: '', countersigner: '' }];
        return r.signatures.map((s) => ({
          ...base,
          subjectname: signerLabel(s.evidence.signer),
          countersigner: s.evidence.countersigner?.subject ?? '',
        }));
      }),
    };
    doc.directories = report.inputs;
  }
  return doc;
}

export function renderLegacy(report: ScanReport): string {
  return `${JSON.stringify(toLegacyDocument(report), null, 2)}\n`;
}
