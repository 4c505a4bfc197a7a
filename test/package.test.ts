/** The tool's own supply chain: what `npm pack` ships, and no install scripts of our own. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PROJECT_ROOT, run } from './helpers/tools.js';

describe('package', () => {
  it('ships only the CLI, the compiled code, the schema and the docs', async () => {
    const res = await run('npm', ['pack', '--dry-run', '--json'], { cwd: PROJECT_ROOT });
    const [pack] = JSON.parse(res.stdout) as Array<{ files: Array<{ path: string }> }>;
    const top = new Set(pack!.files.map((f) => f.path.split('/')[0]));
    expect([...top].sort()).toEqual(['README.md', 'bin', 'dist', 'package.json', 'schema']);
    expect(pack!.files.some((f) => f.path === 'bin/run.js')).toBe(true);
    expect(pack!.files.some((f) => f.path.startsWith('dist/commands/'))).toBe(true);
    expect(pack!.files.some((f) => /fixtures|test\/|\.ts$/.test(f.path) && !f.path.endsWith('.d.ts'))).toBe(
      false,
    );
  });

  it('has no install-time scripts of its own', async () => {
    const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish']) {
      expect(pkg.scripts[hook], hook).toBeUndefined();
    }
  });
});

describe('install', () => {
  // The README's `npm install -g .`: a global install from the checkout puts `sigscan` on PATH. The
  // packed tarball's install is in .ci/run (it needs the registry for dependency metadata).
  it('npm install -g . gives a sigscan command that verifies the fixtures', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'sigscan-prefix-'));
    try {
      await run('npm', [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--offline',
        '--no-audit',
        '--no-fund',
        PROJECT_ROOT,
      ]);
      const bin = join(prefix, 'bin', 'sigscan');
      expect((await run(bin, ['version'], { cwd: tmpdir() })).stdout).toMatch(/^sigscan \d+\.\d+\.\d+ /);
      const scan = await run(
        bin,
        ['fs', 'fixtures', '--trust-root', 'fixtures/fixture-root-ca.pem', '-o', 'json'],
        { cwd: PROJECT_ROOT },
      );
      const doc = JSON.parse(scan.stdout) as { summary: { verdicts: Record<string, number> } };
      expect(doc.summary.verdicts.verified).toBe(2);
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  }, 120_000);
});
