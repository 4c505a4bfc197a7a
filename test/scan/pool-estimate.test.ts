/**
 * The estimate that decides when --jobs workers start (scan/work-estimate.ts): files priced by size and
 * name as the walk queues them, and its advice as files are queued, finished and the walk ends.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  COST_MODEL,
  fileCostMs,
  formatHint,
  WorkEstimate,
  type CostModel,
} from '../../src/scan/work-estimate.js';
import type { FileJobSpec } from '../../src/sources/job.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const FIXTURES = join(PROJECT_ROOT, 'fixtures');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-estimate-'));
  copyFileSync(join(FIXTURES, 'pe/hello-signed.exe'), join(dir, 'tool.exe'));
  copyFileSync(join(FIXTURES, 'pe/hello-signed.exe'), join(dir, 'vmlinuz-6.1.0'));
  copyFileSync(join(FIXTURES, 'jar/hello-signed.jar'), join(dir, 'lib.jar'));
  writeFileSync(join(dir, 'noise.bin'), Buffer.alloc(3 * 2 ** 20, 7));
  for (let i = 0; i < 4; i++) writeFileSync(join(dir, `f${i}.txt`), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One spec object per name, as the walk hands the pool the same object it queued. */
const specs = new Map<string, FileJobSpec>();
const spec = (name: string): FileJobSpec => {
  const path = join(dir, name);
  if (!specs.has(path)) specs.set(path, { displayPath: path, absolutePath: path });
  return specs.get(path)!;
};

/** An estimate and a way to wait until every queued file's stat has answered. */
function estimate(model: CostModel) {
  const est = new WorkEstimate(model, () => {});
  const priced = async () => {
    while (est.snapshot().unpriced > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  return { est, priced };
}

const flat = (model: Partial<CostModel>): CostModel => ({
  fileMs: 0,
  peFileMs: 0,
  peMsPerMiB: 0,
  zipFileMs: 0,
  zipMsPerMiB: 0,
  otherMsPerMiB: 0,
  startMs: 250,
  ...model,
});

describe('pricing', () => {
  it('the name gives the format hint: PE and ZIP-based names, anything else (magic decides later) is other', () => {
    expect(['a/TOOL.EXE', 'b.dll', 'c.efi', 'd.sys'].map(formatHint)).toEqual(['pe', 'pe', 'pe', 'pe']);
    expect(['a.jar', 'b.war', 'c.apk', 'd.msix', 'e.appxbundle'].map(formatHint)).toEqual([
      'zip',
      'zip',
      'zip',
      'zip',
      'zip',
    ]);
    expect(['vmlinuz-6.1.0', 'grubx64.efi.signed', 'x.msi', 'y.zip', 'z'].map(formatHint)).toEqual([
      'other',
      'other',
      'other',
      'other',
      'other',
    ]);
  });

  it('a file costs fileMs, its format per file, and its MiB at its format rate', () => {
    const m = flat({
      fileMs: 1,
      peFileMs: 10,
      peMsPerMiB: 100,
      zipFileMs: 20,
      zipMsPerMiB: 200,
      otherMsPerMiB: 50,
    });
    expect(fileCostMs(2 ** 20, 'pe', m)).toBe(111);
    expect(fileCostMs(2 ** 19, 'zip', m)).toBe(121);
    expect(fileCostMs(2 * 2 ** 20, 'other', m)).toBe(101);
    expect(fileCostMs(0, 'other', m)).toBe(1);
  });

  it('the shipped model prices each queued file by its size on disk', async () => {
    const { est, priced } = estimate(COST_MODEL);
    for (const name of ['tool.exe', 'vmlinuz-6.1.0', 'lib.jar', 'noise.bin']) est.queued(spec(name));
    expect(est.snapshot()).toEqual({ leftMs: 0, doneMs: 0, unpriced: 4, walkOver: false });
    await priced();
    const size = (name: string) => statSync(join(dir, name)).size;
    const expected =
      fileCostMs(size('tool.exe'), 'pe', COST_MODEL) +
      fileCostMs(size('vmlinuz-6.1.0'), 'other', COST_MODEL) +
      fileCostMs(size('lib.jar'), 'zip', COST_MODEL) +
      fileCostMs(3 * 2 ** 20, 'other', COST_MODEL);
    expect(est.snapshot().leftMs).toBeCloseTo(expected, 9);
    // 3 MiB of noise at the PE rate: a file the name does not place may still be an image.
    expect(fileCostMs(3 * 2 ** 20, 'other', COST_MODEL)).toBeCloseTo(0.15 + 3 * 2.7, 9);
  });

  it('a file that cannot be stat-ed costs what any file costs', async () => {
    const { est, priced } = estimate(flat({ fileMs: 3 }));
    est.queued(spec('gone.exe'));
    await priced();
    expect(est.snapshot().leftMs).toBe(3);
  });
});

describe('advice', () => {
  it('work left above startMs starts workers, whether or not the walk is over', async () => {
    const { est, priced } = estimate(flat({ fileMs: 100 }));
    est.queued(spec('f0.txt'));
    est.queued(spec('f1.txt'));
    await priced();
    expect(est.advice()).toBe('wait');
    est.queued(spec('f2.txt'));
    await priced();
    expect(est.snapshot().leftMs).toBe(300);
    expect(est.advice()).toBe('start');
  });

  it('once the walk is over and every size is in, work left at or below startMs means never', async () => {
    const { est, priced } = estimate(flat({ fileMs: 125 }));
    est.queued(spec('f0.txt'));
    est.queued(spec('f1.txt'));
    est.walked();
    // A size still to come could tip it: wait for it.
    expect(est.advice()).toBe('wait');
    await priced();
    expect(est.snapshot()).toEqual({ leftMs: 250, doneMs: 0, unpriced: 0, walkOver: true });
    expect(est.advice()).toBe('never');
  });

  it('while the walk goes on, work done counts too (rent or buy); once it is over, only what is left', async () => {
    const going = estimate(flat({ fileMs: 100 }));
    const over = estimate(flat({ fileMs: 100 }));
    for (const { est, priced } of [going, over]) {
      est.queued(spec('f0.txt'));
      est.queued(spec('f1.txt'));
      await priced();
      est.finished(spec('f0.txt'));
      est.finished(spec('f1.txt'));
      est.queued(spec('f2.txt'));
      await priced();
      expect(est.snapshot()).toMatchObject({ leftMs: 100, doneMs: 200 });
    }
    expect(going.est.advice()).toBe('start');
    over.est.walked();
    expect(over.est.advice()).toBe('never');
  });

  it('a file finished before its size is known counts as done once it is', async () => {
    const { est, priced } = estimate(flat({ fileMs: 100 }));
    est.queued(spec('f0.txt'));
    est.finished(spec('f0.txt'));
    await priced();
    expect(est.snapshot()).toEqual({ leftMs: 0, doneMs: 100, unpriced: 0, walkOver: false });
  });

  it('settled, it counts nothing more and advises never', async () => {
    const { est, priced } = estimate(flat({ fileMs: 1000 }));
    est.queued(spec('f0.txt'));
    est.settle();
    await priced();
    est.queued(spec('f1.txt'));
    expect(est.snapshot()).toEqual({ leftMs: 0, doneMs: 0, unpriced: 0, walkOver: false });
    expect(est.advice()).toBe('never');
  });
});
