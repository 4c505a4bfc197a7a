/** summary.namespaces: compliance per Kubernetes namespace, from the workloads that run each target. */
import { describe, expect, it } from 'vitest';

import type { SignatureResult, TargetResult, VerdictStatus, Workload } from '../../src/model/index.js';
import { renderHtml } from '../../src/report/html.js';
import { renderPretty } from '../../src/report/pretty.js';
import { summarize, type ScanReport } from '../../src/scan/report-model.js';

const sig = (status: VerdictStatus): SignatureResult => ({
  evidence: { family: 'cosign', location: 'sha256-abc.sig#0', signer: { keyId: 'k'.repeat(16) } },
  verdict: { status, code: status.toUpperCase(), message: `${status} because` },
});

const pod = (namespace: string, name = 'web'): Workload => ({ namespace, kind: 'Pod', name, container: 'c' });

let n = 0;
const target = (workloads: Workload[] | undefined, ...signatures: SignatureResult[]): TargetResult => ({
  target: {
    kind: 'image',
    registry: 'reg.example',
    repository: 'team/app',
    tag: `v${++n}`,
    digest: `sha256:${String(n % 10).repeat(64)}`,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...(workloads ? { workloads } : {}),
  },
  status: signatures.length ? 'signed' : 'unsigned',
  signatures,
  errors: [],
});

const report = (...results: TargetResult[]): ScanReport => ({
  command: 'images',
  inputs: ['-'],
  startedAt: new Date('2026-01-01T00:00:00Z'),
  finishedAt: new Date('2026-01-01T00:00:01Z'),
  results,
  scanErrors: [],
});

describe('summary.namespaces', () => {
  it('counts each target once per namespace, verified by the target verdict, sorted by name', () => {
    const r = report(
      // Two pods of one namespace run it: one target there.
      target([pod('prod', 'a'), pod('prod', 'b'), pod('dev')], sig('verified')),
      // invalid outranks verified: not verified.
      target([pod('prod')], sig('verified'), sig('invalid')),
      target([pod('prod')], sig('untrusted')),
      target([pod('prod')]),
      target([pod('ci')], sig('unverified'), sig('verified')),
      target(undefined, sig('verified')),
    );
    expect(summarize(r).namespaces).toEqual([
      { namespace: 'ci', targets: 1, verified: 1 },
      { namespace: 'dev', targets: 1, verified: 1 },
      { namespace: 'prod', targets: 4, verified: 1 },
    ]);
  });

  it('is absent when no target has workloads, and for files', () => {
    expect(summarize(report(target(undefined, sig('verified')))).namespaces).toBeUndefined();
    expect(summarize(report(target([]))).namespaces).toBeUndefined();
    expect('namespaces' in summarize(report())).toBe(false);
  });

  it('pretty prints one line per namespace; HTML a table', () => {
    const r = report(
      target([pod('prod')], sig('verified')),
      target([pod('prod')]),
      target([pod('kube-system')], sig('invalid')),
    );
    const text = renderPretty(r, { width: 80 });
    expect(text).toContain(
      '  namespaces  verified / targets run there\n    0 / 1  kube-system\n    1 / 2  prod\n',
    );
    const html = renderHtml(r);
    expect(html).toContain(
      '<tr data-namespace="kube-system"><td>kube-system</td><td class="num">1</td><td class="num">0</td></tr>\n' +
        '<tr data-namespace="prod"><td>prod</td><td class="num">2</td><td class="num">1</td></tr>',
    );
    const plain = report(target(undefined, sig('verified')));
    expect(renderPretty(plain)).not.toContain('namespaces');
    expect(renderHtml(plain)).not.toContain('id="namespaces"');
  });
});
