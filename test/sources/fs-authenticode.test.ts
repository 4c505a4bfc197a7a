/** The walk hands MSI, CAB, catalog and script files to the Authenticode detectors by magic and by name. */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { PreparedTarget } from '../../src/scan/engine.js';
import { fsJobs, newFsCounters } from '../../src/sources/fs.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { makeAppx } from '../helpers/authenticode/appx.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

const CORPUS_CAT = join(
  CORPUS_DIR,
  'authenticode/signify/115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat',
);

describe('fs walk: Windows signed formats', () => {
  let dir: string;
  let prepared: PreparedTarget[];
  let skipped: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-fs-win-'));
    execFileSync('msibuild', [
      join(dir, 'setup.msi'),
      '-s',
      'Test',
      'Sigscan',
      'Intel;1033',
      '{5D0E0A4C-8C47-4E8B-9D5E-1A2B3C4D5E6F}',
    ]);
    // An OLE file that is not named as an MSI: an Office document, not an Authenticode target.
    await copyFile(join(dir, 'setup.msi'), join(dir, 'report.doc'));
    await writeFile(join(dir, 'payload.txt'), 'payload\n');
    execFileSync('gcab', ['-c', '-n', join(dir, 'data.cab'), join(dir, 'payload.txt')]);
    // A cabinet under another name is still a cabinet (MSCF magic).
    await copyFile(join(dir, 'data.cab'), join(dir, 'data.bin'));
    await copyFile(CORPUS_CAT, join(dir, 'driver.cat'));
    await writeFile(join(dir, 'notes.cat'), 'not a catalog\n');
    // APPX/MSIX packages are ZIPs: the name decides (a plain ZIP named so is still handed over, and refused).
    makeAppx(dir, 'app.msix');
    await writeFile(join(dir, 'notes.appx'), 'not a package\n');
    await writeFile(join(dir, 'install.ps1'), 'Write-Host hi\r\n');
    await writeFile(join(dir, 'module.psm1'), '');
    await writeFile(join(dir, 'lib.js'), 'module.exports = 1;\n');
    await writeFile(
      join(dir, 'signed.js'),
      'WScript.Echo(1);\r\n// SIG // Begin signature block\r\n// SIG // MA==\r\n// SIG // End signature block\r\n',
    );
    const counters = newFsCounters();
    prepared = [];
    for await (const job of fsJobs({ roots: [dir], limits: DEFAULT_LIMITS, scanErrors: [], counters })) {
      prepared.push(...(await job.run()));
    }
    skipped = counters.skipped;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('types each file by its magic, or by its name where the format has none', () => {
    const rows = prepared
      .map((p) => [
        p.target.kind === 'file' ? p.target.path.slice(dir.length + 1) : '',
        p.target.kind === 'file' ? p.target.format : '',
        p.errors?.[0]?.code,
      ])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(rows).toEqual([
      ['app.msix', 'appx', undefined],
      ['data.bin', 'cab', undefined],
      ['data.cab', 'cab', undefined],
      ['driver.cat', 'cat', undefined],
      ['install.ps1', 'script', undefined],
      ['module.psm1', 'script', undefined],
      ['notes.appx', 'appx', 'FORMAT_MISMATCH'],
      ['notes.cat', 'cat', 'FORMAT_MISMATCH'],
      ['setup.msi', 'msi', undefined],
      ['signed.js', 'script', undefined],
    ]);
    // report.doc (OLE, not an installer), lib.js (no signature block), payload.txt.
    expect(skipped).toBe(3);
  });
});
