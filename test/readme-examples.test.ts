/** The CI and Kubernetes examples in the README: valid YAML, and every flag they pass exists. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { sigscan } from './helpers/cli.js';
import { PROJECT_ROOT } from './helpers/tools.js';

async function yamlBlocks(): Promise<string[]> {
  const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** `sigscan <command> ...` invocations inside a text, with the flags each passes. */
function invocations(text: string): Array<{ command: string; flags: string[] }> {
  return [...text.matchAll(/\bsigscan ((?:report )?[a-z]+)\b([^;\n]*(?:\n\s+--[^\n]*)*)/g)].map((m) => ({
    command: m[1]!,
    flags: [...m[2]!.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((f) => f[1]!),
  }));
}

interface IndexedJob {
  kind: string;
  spec: {
    completionMode: string;
    completions: number;
    template: { spec: { containers: Array<{ args: string[] }> } };
  };
}

describe('README examples', () => {
  it('every yaml block parses', async () => {
    const blocks = await yamlBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      for (const doc of parseAllDocuments(block)) expect(doc.errors, block).toEqual([]);
    }
  });

  it('the Kubernetes Indexed Job covers shards 1..n exactly once and uses real flags', async () => {
    const job = (await yamlBlocks())
      .flatMap((b) => parseAllDocuments(b).map((d) => d.toJS() as IndexedJob | null))
      .find((d) => d?.kind === 'Job')!;
    expect(job.spec.completionMode).toBe('Indexed');
    const n = job.spec.completions;
    const script = job.spec.template.spec.containers[0]!.args.join(' ');
    const shard = /--shard \$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/(\d+)/.exec(script);
    expect(Number(shard?.[1])).toBe(n);
    const help = await sigscan(['repo', '--help']);
    for (const { command, flags } of invocations(script)) {
      expect(command).toBe('repo');
      for (const flag of flags) expect(help.stdout, flag).toContain(flag);
    }
  });

  it('flags in the GitHub Actions fleet example exist', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const fleet = readme.slice(readme.indexOf('## Fleets'), readme.indexOf('## Benchmark'));
    const calls = invocations(fleet);
    expect(calls.map((c) => c.command)).toEqual(expect.arrayContaining(['repo', 'report merge']));
    for (const { command, flags } of calls) {
      const help = await sigscan([...command.split(' '), '--help']);
      expect(help.code, command).toBe(0);
      for (const flag of flags) expect(help.stdout, `${command} ${flag}`).toContain(flag);
    }
  });

  it('the setup section verifies the fixtures as it says', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const setup = readme.slice(readme.indexOf('## Setup'), readme.indexOf('## Commands'));
    const first = [...setup.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
    expect(first[0]).toMatch(/^npm ci && npm run build\nnpm install -g \./);
    expect(first[1]).toBe('sigscan fs fixtures --trust-root fixtures/fixture-root-ca.pem');
    const res = await sigscan([...first[1]!.split(' ').slice(1), '-o', 'json'], { cwd: PROJECT_ROOT });
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as { summary: { verdicts: Record<string, number>; unsigned: number } };
    expect(doc.summary.verdicts.verified).toBe(2);
    expect(doc.summary.unsigned).toBe(2);
  });

  it('every sigscan command line in the sh blocks names a real command and real flags', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1]!.split('\n'))
      .map((l) => l.replace(/^.*\|\s*(?=sigscan )/, '').trim())
      .filter((l) => l.startsWith('sigscan '));
    expect(lines.length).toBeGreaterThanOrEqual(15);
    const helps = new Map<string, string>();
    for (const line of lines) {
      for (const { command, flags } of invocations(line)) {
        if (command === 'report convert' || command.startsWith('report ')) continue;
        if (!helps.has(command)) {
          const help = await sigscan([...command.split(' '), '--help']);
          expect(help.code, line).toBe(0);
          helps.set(command, help.stdout);
        }
        for (const flag of flags) expect(helps.get(command), `${line}: ${flag}`).toContain(flag);
      }
    }
  });

  it('the "Coming from" table only names sigscan flags that exist', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('### Coming from'), readme.indexOf('### What is found'));
    const verify = (await sigscan(['verify', '--help'])).stdout;
    const cells = [...table.matchAll(/\| `sigscan verify ([^`]*)`/g)].map((m) => m[1]!);
    expect(cells.length).toBeGreaterThanOrEqual(8);
    for (const cell of cells)
      for (const flag of cell.match(/--[a-z][a-z-]*/g) ?? []) expect(verify, flag).toContain(flag);
  });
});
