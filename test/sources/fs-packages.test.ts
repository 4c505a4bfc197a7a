/**
 * The fs source tells APKs, RPMs and Debian packages by their bytes (and names): format apk for a ZIP
 * with an APK Signing Block whatever its name, rpm for the RPM lead, deb for an ar archive whose first
 * member is debian-binary; other ar archives are skipped, and a package name on other bytes is an error.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { PreparedTarget } from '../../src/scan/engine.js';
import { fsJobs, newFsCounters, type FsSourceOptions } from '../../src/sources/fs.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { apkFixtures } from '../helpers/apk/index.js';
import { debFixtures } from '../helpers/deb/index.js';
import { rpmFixtures } from '../helpers/rpm/index.js';

describe('fs source: package formats', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sigscan-fs-packages-'));
    const apk = apkFixtures();
    copyFileSync(apk.apk['v2']!, join(root, 'app.apk'));
    copyFileSync(apk.apk['v2']!, join(root, 'renamed.zip'));
    copyFileSync(apk.apk['v1']!, join(root, 'v1only.apk'));
    copyFileSync(rpmFixtures().rpm['rsa']!, join(root, 'pkg.rpm'));
    copyFileSync(debFixtures().deb['sha256']!, join(root, 'pkg.deb'));
    writeFileSync(
      join(root, 'libx.a'),
      '!<arch>\nx.o/            0           0     0     644     2         `\nab',
    );
    writeFileSync(join(root, 'fake.rpm'), 'not an rpm at all');
    writeFileSync(join(root, 'fake.deb'), 'not a deb');
  }, 300_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports each package with its format', async () => {
    const counters = newFsCounters();
    const scanErrors: FsSourceOptions['scanErrors'] = [];
    const prepared: PreparedTarget[] = [];
    for await (const job of fsJobs({ roots: [root], limits: DEFAULT_LIMITS, scanErrors, counters })) {
      prepared.push(...(await job.run()));
    }
    const seen = prepared
      .map((p) =>
        p.target.kind === 'file'
          ? `${relative(root, p.target.path)}|${p.target.format}|${p.errors?.[0]?.code ?? ''}`
          : '',
      )
      .sort();
    expect(seen).toEqual([
      'app.apk|apk|',
      'fake.deb|deb|FORMAT_MISMATCH',
      'fake.rpm|rpm|FORMAT_MISMATCH',
      'pkg.deb|deb|',
      'pkg.rpm|rpm|',
      'renamed.zip|apk|',
      'v1only.apk|apk|',
    ]);
    expect(counters.skipped).toBe(1);
  });
});
