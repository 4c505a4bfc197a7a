import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { commandTable } from '../../src/cli/run-cli.js';
import { COMMANDS } from '../../src/commands/index.js';
import { COMMAND_LOADERS } from '../../src/commands/loaders.js';
import { CLI } from '../helpers/cli.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

describe('the command table oclif is given', () => {
  it('the loaders name every command but completion, each loading the class index.ts lists', async () => {
    expect(Object.keys(COMMAND_LOADERS).sort()).toEqual(
      Object.keys(COMMANDS)
        .filter((id) => id !== 'completion')
        .sort(),
    );
    for (const [id, load] of Object.entries(COMMAND_LOADERS)) {
      expect(await load()).toBe(COMMANDS[id as keyof typeof COMMANDS]);
    }
  });

  it.each([
    [['fs', 'dir', '-o', 'json'], ['fs']],
    [['report', 'diff', 'a.json', 'b.json'], ['report:diff']],
    [['fs', '--help'], ['fs']],
  ])('%j loads only %j', async (args, ids) => {
    expect(Object.keys(await commandTable(args))).toEqual(ids);
  });

  it.each([[['--help']], [['completion', 'bash']], [['fss', 'dir']], [['report']], [['constructor']], [[]]])(
    '%j loads the whole table (listings, completion and "did you mean" need it)',
    async (args) => {
      expect(Object.keys(await commandTable(args)).sort()).toEqual(Object.keys(COMMANDS).sort());
    },
  );
});

describe('what `sigscan fs` on one PE, and on an empty tree, loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigscan-loads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Packages the process loaded: from node_modules directly, or inside the bundle chunks it loaded. */
  async function loadedPackages(
    env: Record<string, string>,
    target = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe'),
  ): Promise<{ packages: Set<string>; urls: string[]; targets: number }> {
    // A resolve hook that names every module the process resolves, on stderr.
    writeFileSync(
      join(dir, 'hook.mjs'),
      `export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('RESOLVED ' + r.url); return r; }\n`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});\n`,
    );
    const res = await run(
      process.execPath,
      ['--import', join(dir, 'register.mjs'), CLI, 'fs', target, '-o', 'json'],
      {
        check: false,
        timeoutMs: 120_000,
        env: { ...process.env, ...env },
      },
    );
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as {
      targets: Array<{ signatures: Array<{ verdict: { code: string } }> }>;
    };
    if (doc.targets.length) expect(doc.targets[0]!.signatures[0]!.verdict.code).toBe('NO_TRUST_ROOT');
    const urls = [...res.stderr.matchAll(/^RESOLVED (file:\S+)$/gm)].map((m) => m[1]!);
    const packages = new Set<string>();
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;
    for (const url of urls) {
      const direct = pkg.exec(url);
      if (direct) packages.add(direct[1]!);
      // esbuild heads each bundled module with a `// <path>` comment.
      else if (url.includes('/dist/bundle/'))
        for (const m of readFileSync(fileURLToPath(url), 'utf8').matchAll(
          /^\/\/ \S*node_modules\/((?:@[^/]+\/)?[^/]+)\//gm,
        ))
          packages.add(m[1]!);
    }
    return { packages, urls, targets: doc.targets.length };
  }

  it.each([
    ['dist/ (SIGSCAN_NO_BUNDLE=1)', { SIGSCAN_NO_BUNDLE: '1' }, '/dist/cli/'],
    ['the bundle', {}, '/dist/bundle/'],
  ])(
    '%s: pkijs for the signature, none of oclif (the fast path), the registry, policy or sigstore modules',
    async (_, env, from) => {
      const { packages, urls } = await loadedPackages(env);
      expect(urls.some((u) => u.includes(from))).toBe(true);
      expect(packages).toContain('pkijs');
      for (const unneeded of ['@oclif/core', 'undici', 'openpgp', '@sigstore/verify', 'ajv', 'yaml', 'yauzl'])
        expect(packages, unneeded).not.toContain(unneeded);
      expect(urls.filter((u) => /\/dist\/commands\/(images|report\/merge)\.js$/.test(u))).toEqual([]);
    },
  );

  it.each([
    ['dist/ (SIGSCAN_NO_BUNDLE=1)', { SIGSCAN_NO_BUNDLE: '1' }],
    ['the bundle', {}],
  ])('%s: an empty tree loads no certificate, PE or ZIP code', async (_, env) => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const { packages, targets } = await loadedPackages(env, empty);
    expect(targets).toBe(0);
    for (const unneeded of ['pkijs', 'asn1js', 'pe-library', 'yauzl', '@oclif/core'])
      expect(packages, unneeded).not.toContain(unneeded);
  });
});
