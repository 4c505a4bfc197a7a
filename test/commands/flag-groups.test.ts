import { describe, expect, it } from 'vitest';

import { COMMANDS } from '../../src/commands/index.js';
import { grouped, helpGroupOf } from '../../src/commands/flag-groups.js';

const names = [...new Set(Object.values(COMMANDS).flatMap((c) => Object.keys(c.flags ?? {})))];

describe('grouped orders flags as help shows them', () => {
  it('code-unit order is localeCompare order for every flag name of every command', () => {
    // grouped() avoids localeCompare (ICU's collator costs start-up time); help must not change order.
    expect(names.length).toBeGreaterThan(40);
    expect([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(
      [...names].sort((a, b) => a.localeCompare(b)),
    );
  });

  it('by group first, then by name', () => {
    const flags = Object.fromEntries(
      ['verbose', 'trusted-root', 'trust-root', 'include', 'jobs'].map((n) => [n, {}]),
    );
    const order = Object.keys(grouped(flags));
    expect(order).toEqual(['include', 'trust-root', 'trusted-root', 'verbose', 'jobs']);
    expect(order.map(helpGroupOf)).toEqual([
      'TARGET SELECTION',
      'TRUST INPUTS',
      'TRUST INPUTS',
      'OUTPUT',
      'LIMITS',
    ]);
  });
});
