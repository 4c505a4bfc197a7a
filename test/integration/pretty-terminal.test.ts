/**
 * The pretty report in a real terminal: tmux windows of 80 and 200 columns run the built CLI (a TTY, so
 * the width comes from the terminal and colour is on), and the pane is captured as a person would see it
 * (without -J, so any line the terminal had to wrap shows up as two). Also the piped case with $COLUMNS.
 * Needs `tmux` (Debian package tmux) and a built dist/.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, sigscan } from '../helpers/cli.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';
import { layoutProblems, wideSampleDocument } from '../report/wide-sample.js';

let dir: string;
let sample: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigscan-tmux-'));
  sample = join(dir, 'wide-sample.json');
  await writeFile(sample, JSON.stringify(wideSampleDocument()));
  await writeFile(join(dir, 'tmux.conf'), 'set -g history-limit 100000\nset -g status off\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DONE = '__SIGSCAN_EXIT_';

/** Runs `sigscan args` in a detached tmux window `width` columns wide; returns the pane as captured. */
async function inTmux(
  width: number,
  args: string[],
): Promise<{ plain: string; joined: string; code: number }> {
  const socket = `sigscan-test-${process.pid}-${width}`;
  const tmux = (...a: string[]) => run('tmux', ['-u', '-L', socket, '-f', join(dir, 'tmux.conf'), ...a]);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  await tmux(
    'new-session',
    '-d',
    '-x',
    String(width),
    '-y',
    '50',
    '-s',
    'scan',
    '-c',
    PROJECT_ROOT,
    `${command}; echo ${DONE}$?; sleep 600`,
  );
  try {
    const capture = async (...flags: string[]) =>
      (await tmux('capture-pane', '-p', ...flags, '-t', 'scan', '-S', '-', '-E', '-')).stdout;
    for (let i = 0; i < 600; i++) {
      const plain = await capture();
      const done = new RegExp(`${DONE}(\\d+)`).exec(plain);
      if (done) {
        const cut = (s: string) => s.slice(0, s.indexOf(DONE)).replace(/\s+$/, '');
        return { plain: cut(plain), joined: cut(await capture('-J')), code: Number(done[1]) };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`sigscan did not finish in the ${width}-column tmux window`);
  } finally {
    await tmux('kill-server').catch(() => undefined);
  }
}

describe.each([80, 200])('pretty output in a %i-column tmux window', (width) => {
  it('fs fixtures with the fixture root: nothing wrapped by the terminal, names and codes whole', async () => {
    const { plain, joined, code } = await inTmux(width, [
      'fs',
      'fixtures',
      '--trust-root',
      'fixtures/fixture-root-ca.pem',
    ]);
    expect(code).toBe(0);
    // No line reached the terminal's edge: capturing with -J (joining wrapped lines) changes nothing.
    expect(plain.split('\n')).toHaveLength(joined.split('\n').length);
    expect(layoutProblems(plain, width, ['jar', 'authenticode'], ['CHAIN_VALID'], 1)).toEqual([]);
    expect(plain.match(/\(CHAIN_VALID\)/g)).toHaveLength(2);
    expect(plain).toMatch(/^ {2}families {4}authenticode 1, jar 1$/m);
  });

  it('a saved report with every family, long DNs and the longest codes', async () => {
    const { plain, joined, code } = await inTmux(width, ['report', 'convert', sample, '-o', 'pretty']);
    // 3: the saved report has a denied catalog and an unknown target.
    expect(code).toBe(3);
    expect(plain.split('\n')).toHaveLength(joined.split('\n').length);
    expect(layoutProblems(plain, width)).toEqual([]);
    expect(plain.match(/^│ ↳ /gm)).toHaveLength(11);
  });
});

describe('pretty output piped, sized by $COLUMNS', () => {
  it.each([60, 80, 132])('COLUMNS=%i', async (width) => {
    const res = await sigscan(['report', 'convert', sample, '-o', 'pretty'], {
      env: { COLUMNS: String(width) },
    });
    expect(res.code).toBe(3);
    expect(layoutProblems(res.stdout, width)).toEqual([]);
    const widest = Math.max(...res.stdout.split('\n').map((l) => [...l].length));
    // The tables use the width they are given (the long DNs fill it), and never more.
    expect(widest).toBe(width);
  });
});
