import { targetRef } from '../model/index.js';
import { signerLabel, sortResults, type ScanReport } from '../scan/report-model.js';

export const CSV_COLUMNS = [
  'kind',
  'ref',
  'registry',
  'repository',
  'tag',
  'platform',
  'path',
  'format',
  'digest',
  'status',
  'family',
  'location',
  'signer',
  'signer_issuer',
  'signer_sha256',
  'signer_not_after',
  'countersigner',
  'signing_time',
  'verdict',
  'verdict_code',
  'errors',
] as const;

/**
 * RFC 4180 CSV: a header row, then one row per signature (one row for a target without any); CRLF line
 * ends; a field is quoted when it holds a comma, a quote, CR or LF, and quotes inside are doubled.
 */
export function renderCsv(report: ScanReport): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const r of sortResults(report.results)) {
    const t = r.target;
    const base = [
      t.kind,
      targetRef(t),
      t.kind === 'image' ? t.registry : '',
      t.kind === 'image' ? t.repository : '',
      t.kind === 'image' ? (t.tag ?? '') : '',
      t.kind === 'image' ? (t.platform ?? '') : '',
      t.kind === 'file' ? t.path : '',
      t.kind === 'file' ? t.format : '',
      t.digest,
      r.status,
    ];
    const errors = r.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
    if (!r.signatures.length) {
      rows.push([...base, '', '', '', '', '', '', '', '', '', '', errors]);
      continue;
    }
    for (const s of r.signatures) {
      const e = s.evidence;
      rows.push([
        ...base,
        e.family,
        e.location,
        signerLabel(e.signer),
        e.signer.issuer ?? '',
        e.signer.sha256Fingerprint ?? '',
        e.signer.certificate?.notAfter ?? '',
        e.countersigner?.subject ?? '',
        e.countersigner?.time ?? e.signingTime ?? '',
        s.verdict.status,
        s.verdict.code,
        errors,
      ]);
    }
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
