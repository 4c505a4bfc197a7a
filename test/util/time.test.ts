import { describe, expect, it } from 'vitest';

import { wallClockExists } from '../../src/util/time.js';

describe('wallClockExists', () => {
  it('takes real times, leap days and the years Date.UTC would map to 19xx', () => {
    expect(wallClockExists('2024-02-29', '23:59:59')).toBe(true);
    expect(wallClockExists('0050-01-01', '00:00:00')).toBe(true);
  });

  it('refuses the fields Date rolls over: 30 February, a 29 February outside a leap year, hour 24, day 0, minute 60', () => {
    for (const [date, time] of [
      ['2030-02-30', '00:00:00'],
      ['2023-02-29', '12:00:00'],
      ['2024-04-31', '00:00:00'],
      ['2030-01-01', '24:00:00'],
      ['2030-01-00', '00:00:00'],
      ['2030-01-01', '10:60:00'],
      ['2030-13-01', '00:00:00'],
    ]) {
      expect(wallClockExists(date!, time!), `${date}T${time}`).toBe(false);
    }
  });
});
