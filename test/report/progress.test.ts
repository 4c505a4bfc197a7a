import { describe, expect, it } from 'vitest';

import type { TargetResult } from '../../src/model/index.js';
import { duration, ProgressLine } from '../../src/report/progress.js';

const result = (status: TargetResult['status'], errors = 0): TargetResult =>
  ({
    target: { kind: 'file', path: 'x', size: 1, digest: 'sha256:00', format: 'jar' },
    status,
    signatures: [],
    errors: Array.from({ length: errors }, () => ({ code: 'X', message: 'x' })),
  }) as TargetResult;

function line(): { progress: ProgressLine; writes: string[]; clock: { now: number } } {
  const writes: string[] = [];
  const clock = { now: 1_000_000 };
  const progress = new ProgressLine(
    { write: (s: string) => writes.push(s) > 0, columns: 120 },
    'repo',
    () => clock.now,
  );
  return { progress, writes, clock };
}

describe('ProgressLine', () => {
  it('without a total: done, rate, signed and errors, in the right number', () => {
    const { progress, clock } = line();
    progress.tick(result('signed'));
    clock.now += 2000;
    expect(progress.text()).toBe('repo: 1 target done, 0.5/s; 1 signed, 0 errors');
    progress.tick(result('unknown', 1));
    expect(progress.text()).toBe('repo: 2 targets done, 1.0/s; 1 signed, 1 error');
  });

  it('with a total: done/total, percent and ETA from the rate so far', () => {
    const { progress, clock } = line();
    progress.setTotal(40);
    for (let i = 0; i < 10; i++) progress.tick(result('unsigned'));
    clock.now += 5000;
    expect(progress.text()).toBe('repo: 10/40 targets (25%), 2.0/s, ETA 15s; 0 signed, 0 errors');
  });

  it('falls back to the plain count when more targets come than announced (index children)', () => {
    const { progress } = line();
    progress.setTotal(1);
    progress.tick(result('signed'));
    progress.tick(result('signed'));
    expect(progress.text()).toMatch(/^repo: 2 targets done/);
  });

  it('draws with a carriage return, padded to the width, and clears itself', () => {
    const { progress, writes } = line();
    progress.tick(result('signed'));
    expect(writes[0]).toMatch(/^\rrepo: 1 target done/);
    expect(writes[0]!.length).toBe(120);
    progress.finish();
    expect(writes[1]).toBe(`\r${' '.repeat(119)}\r`);
  });
});

describe('duration', () => {
  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [75, '1m15s'],
    [3725, '1h02m'],
  ])('%d s is %s', (s, text) => expect(duration(s)).toBe(text));
});
