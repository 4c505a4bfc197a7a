/**
 * The report model's summary and order (issue #18): what a summary counts, under which signer a signature
 * counts, and the order every format prints families, signers, namespaces and targets in. A summary says
 * only what was scanned: a target whose lookup failed is `unknown` (never `unsigned`), and the
 * registry-only counts (untagged, orphans) and the fs-only count (filesSkipped) are absent from reports
 * that did not look for them.
 */
import { describe, expect, it } from 'vitest';

import type {
  ErrorEntry,
  FileTarget,
  ImageTarget,
  SignatureFamily,
  SignatureResult,
  SignerIdentity,
  TargetResult,
  VerdictStatus,
} from '../../src/model/index.js';
import { targetStatus } from '../../src/model/result.js';
import {
  signerKey,
  signerLabel,
  sortResults,
  summarize,
  type OrphanSignature,
  type ScanReport,
} from '../../src/scan/report-model.js';

const hex = (c: string) => c.repeat(64);

const sig = (
  signer: SignerIdentity,
  family: SignatureFamily = 'cosign',
  status: VerdictStatus = 'verified',
): SignatureResult => ({
  evidence: { family, location: 'loc', signer },
  verdict: { status, code: status.toUpperCase(), message: '' },
});

const image = (over: Partial<ImageTarget> = {}): ImageTarget => ({
  kind: 'image',
  registry: 'reg.example',
  repository: 'team/app',
  digest: `sha256:${hex('1')}`,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  ...over,
});

const file = (path: string): FileTarget => ({
  kind: 'file',
  path,
  size: 1,
  digest: `sha256:${hex('2')}`,
  format: 'jar',
});

const result = (
  target: ImageTarget | FileTarget,
  signatures: SignatureResult[] = [],
  errors: ErrorEntry[] = [],
): TargetResult => ({ target, status: targetStatus(signatures, errors), signatures, errors });

const report = (results: TargetResult[], more: Partial<ScanReport> = {}): ScanReport => ({
  command: 'registry',
  inputs: ['reg.example'],
  startedAt: new Date('2026-01-01T00:00:00Z'),
  finishedAt: new Date('2026-01-01T00:00:01Z'),
  results,
  scanErrors: [],
  ...more,
});

const orphan: OrphanSignature = {
  registry: 'reg.example',
  repository: 'team/app',
  tag: `sha256-${hex('9')}.sig`,
  subject: `sha256:${hex('9')}`,
};

describe('signerLabel and signerKey', () => {
  const keyId = `0123456789abcdef${hex('e').slice(16)}`;

  it('names a signer by subject, else its SANs (all of them), else its key id, else says it has none', () => {
    expect(signerLabel({ subject: 'CN=A', subjectAlternativeNames: ['x@example.com'] })).toBe('CN=A');
    const sans = signerLabel({ subjectAlternativeNames: ['x@example.com', 'https://ci.example/wf'] });
    expect(sans).toContain('x@example.com');
    expect(sans).toContain('https://ci.example/wf');
    const byKey = signerLabel({ keyId });
    expect(byKey).toContain(keyId.slice(0, 16));
    expect(byKey).not.toContain(keyId.slice(0, 17));
    expect(signerLabel({})).not.toBe('');
  });

  it('one key for one certificate or key; a keyless, certless signer is keyed by its name', () => {
    expect(signerKey({ sha256Fingerprint: hex('a'), keyId, subject: 'CN=A' })).toBe(hex('a'));
    // Two bare keys, or two named signers, are two signers.
    expect(signerKey({ keyId })).not.toBe(signerKey({ keyId: hex('f') }));
    expect(signerKey({ subject: 'CN=A' })).not.toBe(signerKey({ subject: 'CN=B' }));
    // SANs are kept apart in the name: two SAN lists are two signers, however their letters run together.
    expect(signerKey({ subjectAlternativeNames: ['a@x', 'bc'] })).not.toBe(
      signerKey({ subjectAlternativeNames: ['a@xb', 'c'] }),
    );
    // A key id never collides with a name that happens to spell it.
    expect(signerKey({ keyId: 'CN=A' })).not.toBe(signerKey({ subject: 'CN=A' }));
  });
});

describe('summarize: counts', () => {
  it('signed, unsigned and unknown targets: a target whose lookup failed is unknown, not unsigned', () => {
    const failed: ErrorEntry = { code: 'REGISTRY_UNREACHABLE', message: 'x' };
    const s = summarize(
      report(
        [
          result(image({ tag: 'a' }), [sig({ subject: 'CN=A' })]),
          result(image({ tag: 'b' })),
          result(image({ tag: 'c' }), [], [failed]),
          result(image({ tag: 'd' }), [], [failed, failed]),
        ],
        { scanErrors: [failed] },
      ),
    );
    expect([s.targets, s.signed, s.unsigned, s.unknown, s.signatures, s.errors]).toEqual([4, 1, 1, 2, 1, 4]);
  });

  it('a signer counts once per target however many of its signatures the target carries', () => {
    const a = { subject: 'CN=A', sha256Fingerprint: hex('a') };
    const s = summarize(
      report([
        result(image({ tag: 'one' }), [sig(a), sig(a, 'cosign-attestation'), sig(a, 'sigstore-bundle')]),
        result(image({ tag: 'two' }), [sig(a)]),
      ]),
    );
    expect(s.signatures).toBe(4);
    expect(s.signers).toStrictEqual([{ signer: 'CN=A', sha256Fingerprint: hex('a'), targets: 2 }]);
  });

  it('a signer entry carries the fingerprint or key id it was told apart by, and no empty one', () => {
    const s = summarize(
      report([
        result(image({ tag: 'a' }), [sig({ subject: 'CN=Cert', sha256Fingerprint: hex('c') })]),
        result(image({ tag: 'b' }), [sig({ subject: 'CN=Key', keyId: hex('d') })]),
        result(image({ tag: 'c' }), [sig({ subject: 'CN=Name' })]),
      ]),
    );
    expect(s.signers).toStrictEqual([
      { signer: 'CN=Cert', sha256Fingerprint: hex('c'), targets: 1 },
      { signer: 'CN=Key', keyId: hex('d'), targets: 1 },
      { signer: 'CN=Name', targets: 1 },
    ]);
  });

  it('bare keys and named signers without a key are told apart', () => {
    const s = summarize(
      report([
        result(image({ tag: 'a' }), [sig({ keyId: hex('1') }), sig({ keyId: hex('2') })]),
        result(image({ tag: 'b' }), [sig({ subject: 'CN=X' }), sig({ subject: 'CN=Y' })]),
      ]),
    );
    expect(s.signers.map((x) => [x.keyId ?? x.signer, x.targets])).toEqual([
      ['CN=X', 1],
      ['CN=Y', 1],
      [hex('1'), 1],
      [hex('2'), 1],
    ]);
  });

  it('registry scans: untagged targets and orphan signature tags are counted', () => {
    const s = summarize(
      report(
        [
          result(image({ tag: 'v1' })),
          result(image({ digest: `sha256:${hex('3')}`, untagged: true })),
          result(image({ digest: `sha256:${hex('4')}`, untagged: true })),
        ],
        { orphans: [orphan, { ...orphan, tag: `sha256-${hex('8')}.sig` }] },
      ),
    );
    expect([s.untagged, s.orphans]).toEqual([2, 2]);
    // An untagged target found without any orphan list still reports both counts.
    const t = summarize(report([result(image({ untagged: true }))]));
    expect([t.untagged, t.orphans]).toEqual([1, 0]);
  });

  it('a report that did not look for them has no untagged, orphans or filesSkipped keys', () => {
    const s = summarize(report([result(image({ tag: 'v1' }))]));
    expect(Object.keys(s).filter((k) => ['untagged', 'orphans', 'filesSkipped'].includes(k))).toEqual([]);
    const fs = summarize(report([result(file('a.jar'))], { command: 'fs', filesSkipped: 0 }));
    expect(fs.filesSkipped).toBe(0);
    expect('untagged' in fs).toBe(false);
  });
});

describe('summarize: order', () => {
  it('families by name, whatever order they were met in', () => {
    const s = summarize(
      report([
        result(image({ tag: 'a' }), [sig({ subject: 'CN=A' }, 'notation'), sig({ subject: 'CN=A' }, 'tuf')]),
        result(image({ tag: 'b' }), [sig({ subject: 'CN=A' }, 'cosign'), sig({ subject: 'CN=A' }, 'jar')]),
        result(image({ tag: 'c' }), [sig({ subject: 'CN=A' }, 'tuf')]),
      ]),
    );
    expect(Object.entries(s.families)).toEqual([
      ['cosign', 1],
      ['jar', 1],
      ['notation', 1],
      ['tuf', 2],
    ]);
  });

  it('signers by targets (most first), then by name, then by fingerprint or key id (none first)', () => {
    const c = { subject: 'CN=C', keyId: hex('5') };
    const b11 = { subject: 'CN=B', sha256Fingerprint: hex('1') };
    const z = { subject: 'CN=Z', sha256Fingerprint: hex('7') };
    const a = { subject: 'CN=A', sha256Fingerprint: hex('f') };
    const bName = { subject: 'CN=B' };
    const b00 = { subject: 'CN=B', sha256Fingerprint: hex('0') };
    const s = summarize(
      report([
        result(image({ tag: '1' }), [sig(c), sig(b11), sig(z)]),
        result(image({ tag: '2' }), [sig(a), sig(z), sig(bName), sig(b00)]),
      ]),
    );
    expect(s.signers.map((x) => [x.signer, x.sha256Fingerprint ?? x.keyId ?? '', x.targets])).toEqual([
      ['CN=Z', hex('7'), 2],
      ['CN=A', hex('f'), 1],
      ['CN=B', '', 1],
      ['CN=B', hex('0'), 1],
      ['CN=B', hex('1'), 1],
      ['CN=C', hex('5'), 1],
    ]);
  });

  it('namespaces by name, whatever order their workloads were met in', () => {
    const pod = (namespace: string) => ({ namespace, kind: 'Pod', name: 'p', container: 'c' });
    const s = summarize(
      report([
        result(image({ tag: '1', workloads: [pod('beta')] }), [sig({ subject: 'CN=A' })]),
        result(image({ tag: '2', workloads: [pod('gamma')] })),
        result(image({ tag: '3', workloads: [pod('alpha')] })),
      ]),
    );
    expect(s.namespaces?.map((n) => [n.namespace, n.targets, n.verified])).toEqual([
      ['alpha', 1, 0],
      ['beta', 1, 1],
      ['gamma', 1, 0],
    ]);
  });
});

describe('sortResults', () => {
  const refs = (results: TargetResult[]) =>
    sortResults(results).map((r) =>
      r.target.kind === 'file'
        ? r.target.path
        : `${r.target.tag ?? '-'} ${r.target.platform ?? '-'} ${r.status}`,
    );

  it('files by path', () => {
    expect(refs([result(file('b/x.jar')), result(file('a/y.jar')), result(file('c/z.jar'))])).toEqual([
      'a/y.jar',
      'b/x.jar',
      'c/z.jar',
    ]);
  });

  it('images by reference: tag before digest, an untagged one before its tagged neighbours', () => {
    expect(
      refs([
        result(image({ tag: 'v2', digest: `sha256:${hex('1')}` })),
        result(image({ tag: 'RC1', digest: `sha256:${hex('2')}` })),
        result(image({ digest: `sha256:${hex('3')}` })),
        result(image({ tag: 'v1', digest: `sha256:${hex('4')}` })),
      ]),
    ).toEqual(['- - unsigned', 'RC1 - unsigned', 'v1 - unsigned', 'v2 - unsigned']);
  });

  it('an index before its platform manifests, and those by platform whatever their digests', () => {
    expect(
      refs([
        result(image({ tag: 'v1', platform: 'linux/arm64', digest: `sha256:${hex('1')}` })),
        result(image({ tag: 'v1', platform: 'linux/amd64', digest: `sha256:${hex('2')}` })),
        result(image({ tag: 'v1', digest: `sha256:${hex('9')}` })),
      ]),
    ).toEqual(['v1 - unsigned', 'v1 linux/amd64 unsigned', 'v1 linux/arm64 unsigned']);
  });

  it('results with one reference keep their input order', () => {
    const t = image({ tag: 'v1' });
    const failed: ErrorEntry = { code: 'X', message: 'x' };
    expect(refs([result(t, [], [failed]), result(t), result(t, [sig({ subject: 'CN=A' })])])).toEqual([
      'v1 - unknown',
      'v1 - unsigned',
      'v1 - signed',
    ]);
  });
});
