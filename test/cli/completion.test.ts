/** The completion scripts, run in the real shells (.ci/run installs zsh and fish). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan } from '../helpers/cli.js';
import { run } from '../helpers/tools.js';

let work: string;
const script: Record<string, string> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sigscan-completion-'));
  for (const shell of ['bash', 'zsh', 'fish']) {
    const res = await sigscan(['completion', shell]);
    expect(res.code).toBe(0);
    script[shell] = join(work, `sigscan.${shell}`);
    await writeFile(script[shell], res.stdout);
  }
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('bash', () => {
  /** What <TAB> offers after these words (the last one is being typed). */
  async function complete(...words: string[]): Promise<string[]> {
    const body = `source ${script.bash}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_sigscan_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const res = await run('bash', ['-c', body]);
    return res.stdout.split('\n').filter(Boolean);
  }

  it('completes commands, subcommands, flags and -o values', async () => {
    expect(await complete('sigscan', 'f')).toEqual(['fs']);
    expect(await complete('sigscan', 'report', 'd')).toEqual(['diff']);
    expect(await complete('sigscan', 'fs', '--trust-r')).toEqual(['--trust-root']);
    expect(await complete('sigscan', 'fs', '-o', '')).toEqual([
      'pretty',
      'json',
      'ndjson',
      'sarif',
      'sigscan-json',
      'csv',
      'html',
    ]);
    expect(await complete('sigscan', 'repo', '--fail-on', 'un')).toEqual([
      'unsigned',
      'untrusted',
      'unverified',
      'unknown',
    ]);
    // Flags belong to their command: fs has no registry flags.
    expect(await complete('sigscan', 'fs', '--plain')).toEqual([]);
    expect(await complete('sigscan', 'repo', '--plain')).toEqual(['--plain-http']);
  });
});

describe('fish', () => {
  it('completes flags and -o values', async () => {
    const res = await run('fish', [
      '-c',
      `source ${script.fish}; complete -C 'sigscan fs --trust-r'; complete -C 'sigscan fs -o '`,
    ]);
    const words = res.stdout.split('\n').map((l) => l.split('\t')[0]);
    expect(words).toContain('--trust-root');
    expect(words).toEqual(expect.arrayContaining(['pretty', 'json', 'sarif', 'html']));
  });
});

describe('zsh', () => {
  it('parses, and names every scanning command with its flags', async () => {
    await run('zsh', ['-n', script.zsh!]);
    const text = (await sigscan(['completion', 'zsh'])).stdout;
    expect(text).toMatch(/^#compdef sigscan/);
    for (const cmd of ['fs', 'repo', 'images', 'layout', 'report diff']) expect(text).toContain(`"${cmd}")`);
    expect(text).toMatch(
      /'--output\[Report format\.\]:value:\(pretty json ndjson sarif sigscan-json csv html\)'/,
    );
  });
});

it('an unknown shell is a usage error', async () => {
  const res = await sigscan(['completion', 'powershell']);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/^sigscan: Expected powershell to be one of: bash, zsh, fish/);
});
