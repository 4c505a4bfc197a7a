/**
 * Issue #12 against a real Distribution 2.8 registry: names that match nothing are errors, coverage is
 * declared, moved tags leave their old signed digest reported, inputs are checked before the first
 * request, output failures keep the results, and SIGINT writes the report of what finished.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, sigscan, sigscanJson, type JsonReport } from '../helpers/cli.js';
import { cosignKeypair, cosignSign, ensureCosign, type CosignKeypair } from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents, getManifest, pushManifest } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { validateReportDocument } from '../../src/report/schema.js';

type Report = Omit<JsonReport, 'targets'> & {
  scan: {
    scanId?: string;
    at?: string | null;
    sigscanVersion?: string;
    checked?: string[];
    notChecked?: Array<{ family: string; reason: string }>;
    trust?: Array<{ kind: string; path: string; sha256: string | null; default?: boolean }>;
    interrupted?: boolean;
    orphans?: Array<{ repository: string; tag: string; subject: string }>;
  };
  targets: Array<JsonReport['targets'][number] & { verdict: string | null; untagged?: boolean }>;
};

describe('truthful reports on a real registry', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let oldApp: PushedLayoutImage;
  let newApp: PushedLayoutImage;
  let gone: PushedLayoutImage;
  let plain: string[];

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-truth-'));
    reg = await startRegistry();
    // The images are signed with --tlog-upload=false; what is reported, not the log, is the point here.
    plain = ['--plain-http', '--insecure-ignore-tlog'];
    keys = await cosignKeypair(work);
    await makeAndPushImage(reg, join(work, 'u'), 'unsigned/app', 'v1', { seed: 'unsigned-app' });

    // A tag that moved: v1 was signed, then pushed again with other content. The old digest and its
    // signature tag stay in the repository.
    oldApp = await makeAndPushImage(reg, join(work, 'a1'), 'team/app', 'v1', { seed: 'app-old' });
    await cosignSign(reg, `team/app@${oldApp.digest}`, keys.key);
    newApp = await makeAndPushImage(reg, join(work, 'a2'), 'team/app', 'v1', { seed: 'app-new' });

    // An orphan: the signed manifest is deleted, its signature tag stays.
    gone = await makeAndPushImage(reg, join(work, 'g'), 'team/gone', 'v1', { seed: 'gone' });
    await cosignSign(reg, `team/gone@${gone.digest}`, keys.key);
    // Many tags of one image, for the interrupt tests: a scan that is still running after its first target.
    await makeAndPushImage(reg, join(work, 'm'), 'many/app', 't00', { seed: 'many' });
    const m = (await getManifest(reg, 'many/app', 't00'))!;
    for (let i = 1; i < 40; i++)
      await pushManifest(reg, 'many/app', `t${String(i).padStart(2, '0')}`, m.bytes, m.mediaType);

    const del = await fetch(`${reg.url}/v2/team/gone/manifests/${gone.digest}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
  }, 240_000);

  afterAll(async () => {
    await closeAgents();
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('names that match nothing', () => {
    it('a namespace typo is NO_MATCH: exit 1 under --fail-on unsigned,unknown,error, 3 without', async () => {
      const gate = await sigscanJson([
        'repo',
        `${reg.host}/unsigned/ap`,
        ...plain,
        '--fail-on',
        'unsigned,unknown,error',
      ]);
      expect(gate.code).toBe(1);
      expect(gate.report.targets).toEqual([]);
      expect(gate.report.errors.map((e) => e.code)).toEqual(['NO_MATCH']);
      expect(gate.report.errors[0]!.message).toContain('unsigned/ap');
      const plainRun = await sigscanJson(['repo', `${reg.host}/unsigned/ap`, ...plain]);
      expect(plainRun.code).toBe(3);
    });

    it('--repos and --tags that match nothing are NO_MATCH', async () => {
      const repos = await sigscanJson([
        'repo',
        reg.host,
        ...plain,
        '--repos',
        'nomatch/*',
        '--fail-on',
        'unsigned',
      ]);
      expect(repos.code).toBe(3);
      expect(repos.report.errors.map((e) => e.code)).toEqual(['NO_MATCH']);
      const tags = await sigscanJson([
        'repo',
        `${reg.host}/unsigned`,
        ...plain,
        '--tags',
        'v9*',
        '--fail-on',
        'unknown',
      ]);
      expect(tags.code).toBe(1);
      expect(tags.report.errors.map((e) => e.code)).toEqual(['NO_MATCH']);
    });

    it('a named tag or repository that does not exist is an unknown target with NOT_FOUND', async () => {
      for (const ref of [`${reg.host}/unsigned/app:v9`, `${reg.host}/unsigned/ap:v1`]) {
        const { code, report } = await sigscanJson([
          'repo',
          ref,
          ...plain,
          '--fail-on',
          'unsigned,unknown,error',
        ]);
        expect(code).toBe(1);
        expect(report.targets).toHaveLength(1);
        expect(report.targets[0]!.status).toBe('unknown');
        expect(report.targets[0]!.errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
      }
      const images = await sigscanJson(['images', `${reg.host}/unsigned/app:nope`, ...plain]);
      expect(images.code).toBe(3);
      expect(images.report.targets[0]!.errors[0]!.code).toBe('NOT_FOUND');
    });

    it('a name with a space is a usage error, before any request', async () => {
      const repo = await sigscan(['repo', `${reg.host}/unsigned/a pp:v1`, ...plain, '-o', 'json']);
      expect(repo.code).toBe(2);
      expect(repo.stdout).toBe('');
      expect(repo.stderr).toContain('"unsigned/a pp"');
      const images = await sigscan(['images', `${reg.host}/unsigned/a pp:v1`, ...plain]);
      expect(images.code).toBe(2);
    });
  });

  describe('coverage and self-description', () => {
    let report: Report;
    let stderr: string;
    let code: number;
    beforeAll(async () => {
      const res = await sigscanJson(
        ['repo', reg.host, ...plain, '--key', keys.pub, '--at', '2026-01-01T00:00:00Z'],
        {
          env: { HOME: work },
        },
      );
      report = res.report as Report;
      stderr = res.stderr;
      code = res.code;
    });

    it('lists simple-signing and tuf under notChecked, warns once per family, and stays valid', async () => {
      expect(code).toBe(0);
      const families = report.scan.notChecked!.map((n) => n.family);
      expect(families).toContain('simple-signing');
      expect(families).toContain('tuf');
      expect(report.scan.notChecked!.find((n) => n.family === 'simple-signing')!.reason).toContain(
        '--registries-d',
      );
      expect(report.scan.checked).toContain('cosign');
      expect(report.scan.checked).not.toContain('simple-signing');
      expect(stderr.match(/warning: simple-signing not checked/g)).toHaveLength(1);
      expect(stderr.match(/warning: tuf not checked/g)).toHaveLength(1);
      expect((await validateReportDocument(report)).errors).toEqual([]);
    });

    it('records the scan id, version, --at and the trust inputs with their hashes', async () => {
      expect(report.scan.scanId).toMatch(/^[0-9a-f-]{36}$/);
      expect(report.scan.sigscanVersion).toBe(report.tool.version);
      expect(report.scan.at).toBe('2026-01-01T00:00:00.000Z');
      const key = report.scan.trust!.find((t) => t.kind === 'key')!;
      expect(key.path).toBe(keys.pub);
      expect(key.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it("reports a moved tag's old signed digest as an untagged target, verified", async () => {
      const old = report.targets.find((t) => t.digest === oldApp.digest)!;
      expect(old).toBeDefined();
      expect(old.tag).toBeNull();
      expect(old.untagged).toBe(true);
      expect(old.ref).toBe(`${reg.host}/team/app@${oldApp.digest}`);
      expect(old.status).toBe('signed');
      expect(old.verdict).toBe('verified');
      const current = report.targets.find((t) => t.ref === `${reg.host}/team/app:v1`)!;
      expect(current.digest).toBe(newApp.digest);
      expect(current.status).toBe('unsigned');
      expect(current.verdict).toBeNull();
      expect(report.summary['untagged']).toBe(1);
    });

    it('lists a signature whose subject is gone under scan.orphans', async () => {
      expect(report.scan.orphans).toEqual([
        {
          registry: reg.host,
          repository: 'team/gone',
          tag: `${gone.digest.replace(':', '-')}.sig`,
          subject: gone.digest,
        },
      ]);
      expect(report.summary['orphans']).toBe(1);
      expect(report.targets.some((t) => t.repository === 'team/gone')).toBe(false);
    });

    it('--no-untagged turns both off', async () => {
      const { report: r } = await sigscanJson(['repo', `${reg.host}/team`, ...plain, '--no-untagged']);
      expect(r.targets.some((t) => t.digest === oldApp.digest)).toBe(false);
      expect((r as Report).scan.orphans).toBeUndefined();
    });

    it('ndjson lines carry the scan id and version', async () => {
      const res = await sigscan(['repo', `${reg.host}/unsigned`, ...plain, '-o', 'ndjson']);
      const lines = res.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const ids = new Set(lines.map((l) => l['scanId']));
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines[0]!['sigscanVersion']).toBeTruthy();
    });
  });

  describe('cluster input', () => {
    it('scans the digest a pod runs (imageID), the tag otherwise, and names the workloads', async () => {
      const image = `${reg.host}/team/app:v1`;
      const list = {
        kind: 'List',
        items: [
          {
            kind: 'Pod',
            metadata: { name: 'web-1', namespace: 'prod' },
            spec: { containers: [{ name: 'web', image }] },
            status: {
              containerStatuses: [
                { name: 'web', imageID: `docker-pullable://${reg.host}/team/app@${oldApp.digest}` },
              ],
            },
          },
          {
            kind: 'Deployment',
            metadata: { name: 'web', namespace: 'staging' },
            spec: { template: { spec: { containers: [{ name: 'web', image }] } } },
          },
        ],
      };
      const { code, report } = await sigscanJson(['images', '-', ...plain, '--key', keys.pub], {
        input: JSON.stringify(list),
      });
      expect(code).toBe(0);
      const targets = report.targets as unknown as Array<{
        digest: string;
        tag: string | null;
        verdict: string | null;
        workloads?: Array<{ namespace: string; kind: string; name: string; container: string }>;
      }>;
      const running = targets.find((t) => t.digest === oldApp.digest)!;
      expect(running).toBeDefined();
      expect(running.tag).toBe('v1');
      expect(running.verdict).toBe('verified');
      expect(running.workloads).toEqual([
        { namespace: 'prod', kind: 'Pod', name: 'web-1', container: 'web' },
      ]);
      const byTag = targets.find((t) => t.digest === newApp.digest)!;
      expect(byTag.verdict).toBeNull();
      expect(byTag.workloads).toEqual([
        { namespace: 'staging', kind: 'Deployment', name: 'web', container: 'web' },
      ]);
      expect(targets).toHaveLength(2);
    });
  });

  describe('cluster input: moved tags and namespaces', () => {
    const pod = (name: string, namespace: string, running: string) => ({
      kind: 'Pod',
      metadata: { name, namespace },
      spec: { containers: [{ name: 'web', image: `${reg.host}/team/app:v1` }] },
      status: {
        containerStatuses: [{ name: 'web', imageID: `docker-pullable://${reg.host}/team/app@${running}` }],
      },
    });
    const manifestHeads = (stats: unknown) =>
      Object.values(
        (stats as { byKind: Record<string, Record<string, number>> }).byKind['manifest-head'] ?? {},
      ).reduce((a, b) => a + b, 0);
    type ClusterReport = {
      targets: Array<{
        digest: string;
        verdict: string | null;
        findings?: Array<Record<string, string>>;
        signatures: Array<{ verdict: { code: string } }>;
      }>;
      summary: { namespaces?: Array<{ namespace: string; targets: number; verified: number }> };
      stats?: unknown;
    };

    it('TAG_MOVED on the running digest when its tag now names another; one HEAD per tag', async () => {
      // Two pods in two namespaces run the old, signed v1; a third runs what v1 names now (unsigned).
      const list = {
        kind: 'List',
        items: [
          pod('web-1', 'prod', oldApp.digest),
          pod('web-2', 'prod-eu', oldApp.digest),
          pod('web-3', 'prod-eu', newApp.digest),
        ],
      };
      const res = await sigscanJson(['images', '-', ...plain, '--key', keys.pub, '--stats'], {
        input: JSON.stringify(list),
      });
      expect(res.code).toBe(0);
      expect((await validateReportDocument(res.report)).errors).toEqual([]);
      const report = res.report as unknown as ClusterReport;
      const running = report.targets.find((t) => t.digest === oldApp.digest)!;
      // What was verified is the running digest's own signature, not the tag's current image.
      expect(running.verdict).toBe('verified');
      expect(running.signatures.map((s) => s.verdict.code)).toEqual(['KEY_VERIFIED']);
      expect(running.findings).toEqual([
        {
          code: 'TAG_MOVED',
          tag: 'v1',
          resolvesTo: newApp.digest,
          running: oldApp.digest,
          message: `${reg.host}/team/app:v1 now resolves to ${newApp.digest}, but the workloads run ${oldApp.digest}: the running digest is what was checked`,
        },
      ]);
      const current = report.targets.find((t) => t.digest === newApp.digest)!;
      expect(current.verdict).toBeNull();
      expect(current.findings).toBeUndefined();
      expect(report.targets).toHaveLength(2);
      expect(report.summary.namespaces).toEqual([
        { namespace: 'prod', targets: 1, verified: 1 },
        { namespace: 'prod-eu', targets: 2, verified: 1 },
      ]);

      // The same digests as a plain image list (no workloads, so no tag check): exactly one HEAD fewer.
      const plainList = await sigscanJson(
        [
          'images',
          `${reg.host}/team/app:v1@${oldApp.digest}`,
          `${reg.host}/team/app:v1@${newApp.digest}`,
          ...plain,
          '--key',
          keys.pub,
          '--stats',
        ],
        {},
      );
      const withoutCheck = manifestHeads((plainList.report as unknown as ClusterReport).stats);
      expect(manifestHeads(report.stats)).toBe(withoutCheck + 1);
      expect((plainList.report as unknown as ClusterReport).targets.every((t) => !t.findings)).toBe(true);
    });

    it('no finding when the tag still names the running digest', async () => {
      const res = await sigscanJson(['images', '-', ...plain, '--key', keys.pub], {
        input: JSON.stringify({ kind: 'List', items: [pod('web-3', 'prod', newApp.digest)] }),
      });
      const report = res.report as unknown as ClusterReport;
      expect(report.targets.map((t) => [t.digest, t.findings])).toEqual([[newApp.digest, undefined]]);
      expect(report.summary.namespaces).toEqual([{ namespace: 'prod', targets: 1, verified: 0 }]);
    });

    it('pretty prints the finding under the row and the namespaces in the summary', async () => {
      const res = await sigscan(['images', '-', ...plain, '--key', keys.pub], {
        input: JSON.stringify({ kind: 'List', items: [pod('web-1', 'prod', oldApp.digest)] }),
        env: { COLUMNS: '200' },
      });
      expect(res.stdout).toContain(`↳ TAG_MOVED: ${reg.host}/team/app:v1 now resolves to`);
      expect(res.stdout).toContain(newApp.digest);
      expect(res.stdout).toMatch(/^ {2}namespaces {2}verified \/ targets run there\n {4}1 \/ 1 {2}prod$/m);
    });
  });

  describe('the default containers policy', () => {
    it('is listed in scan.trust as a default, with its hash; SIGSCAN_CONTAINERS_POLICY= reads none', async () => {
      const path = join(work, 'containers-policy.json');
      const text =
        '{\n    "default": [\n        {\n            "type": "insecureAcceptAnything"\n        }\n    ]\n}\n';
      await writeFile(path, text);
      const withDefault = await sigscanJson(['fs', 'fixtures'], { env: { SIGSCAN_CONTAINERS_POLICY: path } });
      expect(withDefault.code).toBe(0);
      const report = withDefault.report as unknown as Report;
      expect(report.scan.trust).toEqual([
        { kind: 'policy', path, sha256: createHash('sha256').update(text).digest('hex'), default: true },
      ]);
      // It changes no verdict of another family: the JARs and PEs stay unverified.
      expect(report.summary.verdicts).toMatchObject({ verified: 0, unverified: 2 });
      const without = await sigscanJson(['fs', 'fixtures'], { env: { SIGSCAN_CONTAINERS_POLICY: '' } });
      expect((without.report as unknown as Report).scan.trust).toEqual([]);
      const broken = await sigscan(['fs', 'fixtures'], {
        env: { SIGSCAN_CONTAINERS_POLICY: join(work, 'none.json') },
      });
      expect(broken.code).toBe(2);
      expect(broken.stderr).toContain(`the default containers policy ${join(work, 'none.json')}`);
    });
  });

  describe('inputs are checked before the first request', () => {
    const cases: Array<[string, string[], RegExp]> = [
      [
        '--output-file in a missing directory',
        ['--output-file', '/nonexistent-dir/out.json'],
        /--output-file/,
      ],
      ['--report-dir under /proc', ['--report-format', 'json', '--report-dir', '/proc/nope'], /--report-dir/],
      ['--registries-d missing', ['--registries-d', '/nonexistent'], /--registries-d/],
      ['--notation-dir missing', ['--notation-dir', '/nonexistent'], /--notation-dir/],
      ['--notary-server malformed', ['--notary-server', 'not a url'], /--notary-server/],
      ['--config missing', ['--config', '/nonexistent.yaml'], /--config/],
    ];
    for (const [name, flags, message] of cases) {
      it(`${name}: exit 2, one line naming the flag`, async () => {
        const res = await sigscan(['repo', `${reg.host}/unsigned/app:v1`, ...plain, ...flags]);
        expect(res.code).toBe(2);
        expect(res.stdout).toBe('');
        expect(res.stderr).toMatch(message);
      });
    }

    it('an invalid --policy is a usage error, not a scan of error verdicts', async () => {
      const policy = join(work, 'bad-policy.json');
      await writeFile(policy, '{"default": []}');
      const res = await sigscan(['repo', `${reg.host}/unsigned/app:v1`, ...plain, '--policy', policy]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('--policy');
    });

    it('when the main output cannot be written after the scan, the JSON report is saved and exit is 3', async () => {
      const reports = join(work, 'rescued');
      await mkdir(reports);
      // /dev/full opens fine and fails every write (ENOSPC): a disk that fills up during the scan.
      const res = await sigscan([
        'repo',
        `${reg.host}/unsigned`,
        ...plain,
        '-o',
        'json',
        '--output-file',
        '/dev/full',
        '--force',
        '--report-dir',
        reports,
      ]);
      expect(res.code).toBe(3);
      const saved = (await readdir(reports)).filter((f) => f.endsWith('.json'));
      expect(saved).toHaveLength(1);
      expect(res.stderr).toContain(join(reports, saved[0]!));
      const doc = JSON.parse(await readFile(join(reports, saved[0]!), 'utf8')) as Report;
      expect(doc.targets.map((t) => t.ref)).toEqual([`${reg.host}/unsigned/app:v1`]);
    });
  });

  describe('interrupts', () => {
    for (const [signal, exit] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      it(`${signal} after the first target: report of what finished, interrupted, exit ${exit}`, async () => {
        const dir = join(work, `interrupt-${signal}`);
        await mkdir(dir);
        // --rps 5 keeps the scan of 40 tags running for several seconds after the first target.
        const child = spawn(
          process.execPath,
          [
            CLI,
            'repo',
            `${reg.host}/many`,
            ...plain,
            '-o',
            'ndjson',
            '--report-format',
            'json',
            '--report-dir',
            dir,
            '--rps',
            '5',
            '--concurrency',
            '1',
          ],
          { env: { ...process.env, NO_COLOR: '1' } },
        );
        let stdout = '';
        let signalled = false;
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (!signalled && stdout.includes('"type":"target"')) {
            signalled = true;
            child.kill(signal);
          }
        });
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(signalled).toBe(true);
        expect(code).toBe(exit);
        const lines = stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; interrupted?: boolean; scanId?: string });
        const last = lines.at(-1)!;
        expect(last.type).toBe('summary');
        expect(last.interrupted).toBe(true);
        const targetLines = lines.filter((l) => l.type === 'target');
        expect(targetLines.length).toBeGreaterThan(0);
        expect(targetLines.length).toBeLessThan(40);
        const [saved] = (await readdir(dir)).filter((f) => f.endsWith('.json'));
        const doc = JSON.parse(await readFile(join(dir, saved!), 'utf8')) as Report;
        expect((await validateReportDocument(doc)).errors).toEqual([]);
        expect(doc.scan.interrupted).toBe(true);
        expect(doc.scan.scanId).toBe(last.scanId);
        expect(doc.targets).toHaveLength(targetLines.length);
      });
    }
  });
});
