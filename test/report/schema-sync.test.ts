/** The schema's enums follow the model's types: adding a family or a file format fails here (and in tsc). */
import { describe, expect, it } from 'vitest';

import type { FileFormat, SignatureFamily, TargetStatus, VerdictStatus } from '../../src/model/index.js';
import { REPORT_SCHEMA } from './helpers.js';

const FAMILIES: Record<SignatureFamily, true> = {
  cosign: true,
  'cosign-attestation': true,
  'sigstore-bundle': true,
  notation: true,
  'simple-signing': true,
  tuf: true,
  'oci-annotation': true,
  jar: true,
  authenticode: true,
  'in-toto': true,
  apk: true,
  rpm: true,
  debsig: true,
};
const FORMATS: Record<FileFormat, true> = {
  jar: true,
  pe: true,
  blob: true,
  'in-toto': true,
  unknown: true,
  apk: true,
  rpm: true,
  deb: true,
  msi: true,
  cab: true,
  cat: true,
  script: true,
  appx: true,
};
const VERDICTS: Record<VerdictStatus, true> = {
  verified: true,
  invalid: true,
  untrusted: true,
  unverified: true,
  error: true,
};
const STATUSES: Record<TargetStatus, true> = { signed: true, unsigned: true, unknown: true };

describe('report schema enums', () => {
  const defs = (
    REPORT_SCHEMA as unknown as { $defs: Record<string, { enum?: string[] } & Record<string, unknown>> }
  ).$defs;
  const sorted = (o: object) => Object.keys(o).sort();
  it('match the model types', () => {
    expect([...defs.family!.enum!].sort()).toEqual(sorted(FAMILIES));
    expect([...defs.verdictStatus!.enum!].sort()).toEqual(sorted(VERDICTS));
    expect([...defs.status!.enum!].sort()).toEqual(sorted(STATUSES));
    const file = defs.fileTarget as { properties: { format: { enum: string[] } } };
    expect([...file.properties.format.enum].sort()).toEqual(sorted(FORMATS));
  });
});

describe('schema version', () => {
  it('is the one the README shows, and the schema accepts it', async () => {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { PROJECT_ROOT } = await import('../helpers/tools.js');
    const { JSON_SCHEMA_VERSION } = await import('../../src/report/json.js');
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    expect(/"schemaVersion": "(1\.\d+)"/.exec(readme)?.[1]).toBe(JSON_SCHEMA_VERSION);
    const pattern = (REPORT_SCHEMA as unknown as { properties: { schemaVersion: { pattern: string } } })
      .properties.schemaVersion.pattern;
    expect(new RegExp(pattern).test(JSON_SCHEMA_VERSION)).toBe(true);
  });
});
