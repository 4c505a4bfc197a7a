/**
 * The plugin contract end to end: the sample Ed25519 plugin (fixtures/plugins/ed25519.js) with keys and
 * signatures made by openssl, in every output format; plugins that throw, hang or break the contract;
 * and load-time checks (usage errors, exit 2).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan, sigscanJson, type JsonTarget } from '../helpers/cli.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const SAMPLE = join(PROJECT_ROOT, 'fixtures', 'plugins', 'ed25519.js');
const SIGNED_JAR = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
const ROOT_CA = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');

let work: string;
let tree: string;
let pub: string;

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args);
}

/** `<file>.ed25519.sig`: base64 of the raw Ed25519 signature over the file, as openssl makes it. */
async function sign(file: string, key: string): Promise<void> {
  const raw = join(work, 'sig.raw');
  await run('openssl', ['pkeyutl', '-sign', '-inkey', key, '-rawin', '-in', file, '-out', raw]);
  await writeFile(`${file}.ed25519.sig`, `${(await readFile(raw)).toString('base64')}\n`);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sigscan-plugin-'));
  tree = join(work, 'tree');
  await mkdir(tree);
  for (const name of ['k', 'other']) {
    await openssl('genpkey', '-algorithm', 'ed25519', '-out', join(work, `${name}.pem`));
    await openssl('pkey', '-in', join(work, `${name}.pem`), '-pubout', '-out', join(work, `${name}.pub.pem`));
  }
  pub = join(work, 'k.pub.pem');
  await writeFile(join(tree, 'good.bin'), 'firmware 1.0\n');
  await sign(join(tree, 'good.bin'), join(work, 'k.pem'));
  await writeFile(join(tree, 'tampered.bin'), 'firmware 1.0\n');
  await sign(join(tree, 'tampered.bin'), join(work, 'k.pem'));
  await writeFile(join(tree, 'tampered.bin'), 'firmware 1.0 with a backdoor\n');
  await writeFile(join(tree, 'other.bin'), 'firmware 2.0\n');
  await sign(join(tree, 'other.bin'), join(work, 'other.pem'));
  await copyFile(SIGNED_JAR, join(tree, 'app.jar'));
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const ed = (t: JsonTarget) => t.signatures.find((s) => s.family === 'x-ed25519');
const byName = (targets: JsonTarget[], name: string) => targets.find((t) => t.ref.endsWith(`/${name}`))!;

describe('the sample Ed25519 plugin', () => {
  it("valid, tampered and wrong-key files get the right verdicts, marked as the plugin's", async () => {
    const { code, report } = await sigscanJson([
      'fs',
      tree,
      '--plugin',
      SAMPLE,
      '--plugin-opt',
      `x-ed25519.key=${pub}`,
      '--trust-root',
      ROOT_CA,
    ]);
    expect(code).toBe(0);
    const by = `plugin:${SAMPLE}@1.0.0`;
    expect(ed(byName(report.targets, 'good.bin'))!.verdict).toMatchObject({
      status: 'verified',
      code: 'VERIFIED',
      by,
    });
    expect(ed(byName(report.targets, 'tampered.bin'))!.verdict).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_MISMATCH',
      by,
    });
    expect(ed(byName(report.targets, 'other.bin'))!.verdict).toMatchObject({ status: 'invalid', by });
    // Built-in families are untouched and unmarked.
    const jar = byName(report.targets, 'app.jar').signatures.find((s) => s.family === 'jar')!;
    expect(jar.verdict.status).toBe('verified');
    expect((jar.verdict as { by?: string }).by).toBeUndefined();
    // No other family reads the plugin's sidecars.
    expect(byName(report.targets, 'good.bin').signatures.map((s) => s.family)).toEqual(['x-ed25519']);
    const doc = report as unknown as { scan: { plugins: Array<Record<string, unknown>> } };
    const sha = (await run('sha256sum', [SAMPLE])).stdout.split(' ')[0];
    expect(doc.scan.plugins).toEqual([
      { module: SAMPLE, name: 'ed25519-sidecar', version: '1.0.0', sha256: sha, families: ['x-ed25519'] },
    ]);
  });

  it('without the key option every signature is unverified', async () => {
    const { report } = await sigscanJson(['fs', tree, '--plugin', SAMPLE]);
    expect(ed(byName(report.targets, 'good.bin'))!.verdict.code).toBe('NO_TRUST_ROOT');
  });

  it('appears in every output format; SARIF gives it a rule and a result', async () => {
    const args = ['fs', tree, '--plugin', SAMPLE, '--plugin-opt', `x-ed25519.key=${pub}`];
    // sigscan-json is Venafi SigScan's JAR/PE shape and has no family field.
    for (const format of ['pretty', 'ndjson', 'csv', 'html']) {
      const res = await sigscan([...args, '-o', format]);
      expect(res.code, format).toBe(0);
      expect(res.stdout, format).toContain('x-ed25519');
    }
    const sarif = JSON.parse((await sigscan([...args, '-o', 'sarif'])).stdout) as {
      runs: Array<{
        tool: { driver: { rules: Array<{ id: string }> } };
        results: Array<{ ruleId: string; message: { text: string } }>;
      }>;
    };
    const run0 = sarif.runs[0]!;
    const ids = new Set(run0.tool.driver.rules.map((r) => r.id));
    for (const r of run0.results) expect(ids.has(r.ruleId), r.ruleId).toBe(true);
    expect(JSON.stringify(run0.results)).toContain('tampered.bin');
  });

  it('loads from --config plugins: and plugin-opt:', async () => {
    const config = join(work, 'plugins.yaml');
    await writeFile(config, `plugins: [${SAMPLE}]\nplugin-opt: ["x-ed25519.key=${pub}"]\n`);
    const { report } = await sigscanJson(['fs', tree, '--config', config]);
    expect(ed(byName(report.targets, 'good.bin'))!.verdict.status).toBe('verified');
  });
});

describe('containment', () => {
  async function plugin(name: string, body: string): Promise<string> {
    const path = join(work, `${name}.mjs`);
    await writeFile(
      path,
      `export default { pluginApiVersion: '1.0.0', version: '0.0.1', families: [{ family: 'x-${name}',
        detector: { applies: (t) => t.kind === 'file', ${body} },
        async verify() { return { status: 'verified', code: 'OK', message: 'ok' }; } }] };\n`,
    );
    return path;
  }

  it('a plugin that throws becomes an error entry; every other result stays', async () => {
    const throws = await plugin('throws', 'async *detect() { throw new Error("boom"); }');
    const { code, report } = await sigscanJson(['fs', tree, '--plugin', throws, '--trust-root', ROOT_CA]);
    expect(code).toBe(3);
    const jar = byName(report.targets, 'app.jar');
    expect(jar.signatures.find((s) => s.family === 'jar')!.verdict.status).toBe('verified');
    expect(jar.errors).toEqual([
      expect.objectContaining({
        code: 'PLUGIN_ERROR',
        message: expect.stringMatching(/x-throws detection failed: boom/),
      }),
    ]);
  });

  it('a plugin that hangs is stopped after --plugin-timeout, and the scan finishes', async () => {
    const hangs = await plugin('hangs', 'async *detect() { await new Promise(() => {}); }');
    const { code, report } = await sigscanJson([
      'fs',
      tree,
      '--plugin',
      hangs,
      '--plugin-timeout',
      '1',
      '--trust-root',
      ROOT_CA,
    ]);
    expect(code).toBe(3);
    const jar = byName(report.targets, 'app.jar');
    expect(jar.signatures.find((s) => s.family === 'jar')!.verdict.status).toBe('verified');
    expect(jar.errors.map((e) => e.code)).toEqual(['PLUGIN_TIMEOUT']);
  });

  it('evidence of another family, or a verdict that is not one, is refused', async () => {
    const liar = join(work, 'liar.mjs');
    await writeFile(
      liar,
      `export default { pluginApiVersion: '1.0.0', families: [{ family: 'x-liar',
        detector: { applies: (t) => t.kind === 'file' && t.path.endsWith('app.jar'),
          async *detect() { yield { family: 'jar', location: 'forged', signer: {} }; } },
        async verify() { return { status: 'verified' }; } }] };\n`,
    );
    const { report } = await sigscanJson(['fs', tree, '--plugin', liar, '--trust-root', ROOT_CA]);
    const jar = byName(report.targets, 'app.jar');
    expect(jar.signatures.map((s) => s.location)).not.toContain('forged');
    expect(jar.errors.map((e) => e.code)).toEqual(['PLUGIN_ERROR']);
  });
});

describe('loading is checked before the scan (exit 2)', () => {
  it.each([
    ['a missing module', () => ['--plugin', join(work, 'nope.mjs')], /--plugin .*nope\.mjs: cannot load/],
    [
      'an unknown package',
      () => ['--plugin', 'no-such-sigscan-plugin'],
      /not a file and not an installed package/,
    ],
    [
      'an unknown option',
      () => ['--plugin', SAMPLE, '--plugin-opt', 'x-ed25519.kee=a'],
      /not an option of x-ed25519 \(it has: key\)/,
    ],
    [
      'an option for no plugin',
      () => ['--plugin-opt', 'x-nothing.key=a'],
      /no loaded plugin provides family x-nothing/,
    ],
    [
      'a malformed option',
      () => ['--plugin', SAMPLE, '--plugin-opt', 'key=a'],
      /must be <family>\.<key>=<value>/,
    ],
  ])('%s', async (_name, extra, message) => {
    const res = await sigscan(['fs', tree, ...extra()]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
  });

  it.each([
    ['2.0.0', 'x-future', /pluginApiVersion "2\.0\.0" is not compatible/],
    ['1.9.0', 'x-newer', /pluginApiVersion "1\.9\.0" is not compatible/],
    ['1.0.0', 'jar', /family "jar" must be named x-<name>/],
    ['1.0.0', 'x-ed25519', /family "x-ed25519" is already provided/],
  ])('pluginApiVersion %s, family %s', async (version, family, message) => {
    const path = join(work, `bad-${family}-${version}.mjs`);
    await writeFile(
      path,
      `export default { pluginApiVersion: '${version}', families: [{ family: '${family}',
        detector: { applies: () => false, async *detect() {} }, async verify() {} }] };\n`,
    );
    const res = await sigscan(['fs', tree, '--plugin', SAMPLE, '--plugin', path]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});

it('the contract is importable as sigscan/plugin', async () => {
  const res = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('sigscan/plugin'); console.log(m.PLUGIN_API_VERSION, typeof m.verified);",
    ],
    { cwd: PROJECT_ROOT },
  );
  expect(res.stdout.trim()).toBe('1.0.0 function');
});
