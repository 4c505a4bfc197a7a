/**
 * `sigscan repo --repos-from-file` against a real Distribution registry on loopback: only the listed
 * repositories are scanned, whatever `_catalog` says.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan, sigscanJson } from '../helpers/cli.js';
import { makeAndPushImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

describe('sigscan repo --repos-from-file', () => {
  let reg: TestRegistry;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sigscan-repos-file-'));
    reg = await startRegistry();
    await makeAndPushImage(reg, join(work, 'l1'), 'team/app', 'v1', { seed: 'app' });
    await makeAndPushImage(reg, join(work, 'l2'), 'team/hidden', 'v1', { seed: 'hidden' });
    await makeAndPushImage(reg, join(work, 'l3'), 'other/tool', 'latest', { seed: 'tool' });
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scans only the listed repositories and never asks for _catalog', async () => {
    const file = join(work, 'repos.txt');
    await writeFile(file, '# what CI owns\nteam/app\n\nother/tool  # the tool\nteam/app\n');
    const { report, code, stderr } = await sigscanJson([
      'repo',
      reg.host,
      '--plain-http',
      '--stats',
      '--repos-from-file',
      file,
    ]);
    expect(report.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(report.targets.map((t) => `${t.repository}:${t.tag}`).sort()).toEqual([
      'other/tool:latest',
      'team/app:v1',
    ]);
    expect(report.stats?.byKind['catalog']).toBeUndefined();
  });

  it('still applies the namespace and --repos filters, and reports a listed repository that is missing', async () => {
    const file = join(work, 'repos2.txt');
    await writeFile(file, 'team/app\nteam/hidden\nteam/gone\nother/tool\n');
    const { report } = await sigscanJson([
      'repo',
      `${reg.host}/team`,
      '--plain-http',
      '--repos-from-file',
      file,
      '--repos',
      'team/app,team/gone',
    ]);
    expect(report.targets.map((t) => t.repository).sort()).toEqual(['team/app', 'team/gone']);
    const gone = report.targets.find((t) => t.repository === 'team/gone')!;
    expect(gone.errors[0]?.code).toBe('NOT_FOUND');
  });

  it('makes an unreadable file a usage error (exit 2)', async () => {
    const res = await sigscan([
      'repo',
      reg.host,
      '--plain-http',
      '--repos-from-file',
      join(work, 'nope.txt'),
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/cannot read --repos-from-file/);
  });

  it('refuses --org on a registry without a known listing API', async () => {
    const res = await sigscan(['repo', reg.host, '--plain-http', '--org', 'team']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/docker\.io and ghcr\.io only/);
  });
});
