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
});
