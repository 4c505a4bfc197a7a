/** Archives inside archives (`app.war!/WEB-INF/lib/x.jar`) in every output that names a location. */
import { describe, expect, it } from 'vitest';

import type { TargetResult } from '../../src/model/index.js';
import { toJsonDocument } from '../../src/report/json.js';
import { parseReport } from '../../src/report/load.js';
import { renderSarif } from '../../src/report/sarif.js';
import type { ScanReport } from '../../src/scan/report-model.js';
import { reportSchemaErrors } from './helpers.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function report(): ScanReport {
  const nested: TargetResult = {
    target: {
      kind: 'file',
      // A directory named with a trailing "!": the container cannot be recovered by splitting on "!/".
      path: 'apps/v1!/app.war!/WEB-INF/lib/x.jar',
      container: 'apps/v1!/app.war',
      size: 10,
      digest: DIGEST,
      format: 'jar',
    },
    status: 'unsigned',
    signatures: [],
    errors: [],
  };
  return {
    command: 'fs',
    inputs: ['apps'],
    startedAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: new Date('2026-01-01T00:00:01Z'),
    results: [nested],
    scanErrors: [],
  };
}

describe('nested archive targets', () => {
  it('JSON carries the container, validates against the schema, and survives a reload', async () => {
    const doc = toJsonDocument(report()) as { targets: Array<Record<string, unknown>> };
    expect(reportSchemaErrors(doc)).toEqual([]);
    expect(doc.targets[0]).toMatchObject({
      ref: 'apps/v1!/app.war!/WEB-INF/lib/x.jar',
      path: 'apps/v1!/app.war!/WEB-INF/lib/x.jar',
      container: 'apps/v1!/app.war',
    });
    const reloaded = await parseReport(JSON.stringify(doc));
    expect(reloaded.results[0]!.target).toMatchObject({ container: 'apps/v1!/app.war' });
  });

  it('SARIF points GitHub at the file on disk and keeps the nested path as the logical location', () => {
    const log = JSON.parse(renderSarif(report())) as {
      runs: Array<{
        results: Array<{
          locations: Array<{
            physicalLocation: { artifactLocation: { uri: string } };
            logicalLocations: Array<{ name: string }>;
          }>;
        }>;
      }>;
    };
    const loc = log.runs[0]!.results[0]!.locations[0]!;
    expect(loc.physicalLocation.artifactLocation.uri).toBe('apps/v1!/app.war');
    expect(loc.logicalLocations[0]!.name).toBe('apps/v1!/app.war!/WEB-INF/lib/x.jar');
  });
});
