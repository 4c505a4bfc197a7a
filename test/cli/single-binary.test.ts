/**
 * The single executable (`npm run build:bin`): copied alone into an empty directory, with no
 * node_modules, package.json or schema beside it, it scans the fixtures exactly as `node bin/run.js`.
 */
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan } from '../helpers/cli.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const BINARY = join(PROJECT_ROOT, 'dist', 'bin', 'sigscan');
const FIXTURES = join(PROJECT_ROOT, 'fixtures');
const ROOT_CA = join(FIXTURES, 'fixture-root-ca.pem');

/** The report without the fields that differ between two runs (times). */
function stable(text: string): unknown {
  const doc = JSON.parse(text) as { scan: Record<string, unknown> };
  for (const k of ['startedAt', 'finishedAt', 'durationMs', 'scanId']) delete doc.scan[k];
  return doc;
}

describe('single executable', () => {
  let dir: string;
  let exe: string;

  beforeAll(async () => {
    // .ci/run builds it before the tests; a developer's first run builds it here.
    const built = await stat(BINARY).then(
      () => true,
      () => false,
    );
    if (!built)
      await run(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build-bin.mjs')], { cwd: PROJECT_ROOT });
    dir = await mkdtemp(join(tmpdir(), 'sigscan-sea-'));
    exe = join(dir, 'sigscan');
    await copyFile(BINARY, exe);
    await run('chmod', ['+x', exe]);
  }, 600_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs alone and prints its version', async () => {
    const res = await run(exe, ['version'], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
    expect(res.stdout).toMatch(/^sigscan \d+\.\d+\.\d+ /);
    expect(res.stderr).toBe('');
  });

  it('scans the fixtures with the same JSON as node bin/run.js', async () => {
    // A fixed --at: verdict messages name the time they were checked at.
    const args = ['fs', FIXTURES, '--trust-root', ROOT_CA, '--at', '2026-12-01T00:00:00Z', '-o', 'json'];
    const alone = await run(exe, args, { cwd: dir, env: { PATH: '/usr/bin:/bin' }, check: false });
    const node = await sigscan(args, { cwd: dir });
    expect(alone.code).toBe(0);
    expect(alone.stderr).toBe('');
    expect(stable(alone.stdout)).toEqual(stable(node.stdout));
    const doc = JSON.parse(alone.stdout) as { summary: { verdicts: Record<string, number> } };
    expect(doc.summary.verdicts.verified).toBe(2);
  });

  it('validates a saved report against the embedded schema (report convert)', async () => {
    const saved = join(dir, 'r.json');
    await run(exe, ['fs', FIXTURES, '-o', 'json', '--output-file', saved], { cwd: dir });
    const csv = await run(exe, ['report', 'convert', saved, '-o', 'csv'], { cwd: dir });
    expect(csv.stdout.split('\n')[0]).toMatch(/^kind,ref,/);
  });
});
