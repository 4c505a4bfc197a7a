/**
 * `sigscan fs` on real files: the bundled fixtures (made with jarsigner and osslsigncode), the shared
 * corpus, and a hostile tree where nothing may stop the scan or be reported as unsigned by mistake.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { sameDn } from '../helpers/dn.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const FIXTURES = join(PROJECT_ROOT, 'fixtures');
const CORPUS = CORPUS_DIR;

function target(report: JsonReport, suffix: string): JsonTarget {
  const t = report.targets.find((x) => x.path?.endsWith(suffix));
  if (!t) throw new Error(`no target ending in ${suffix}: ${report.targets.map((x) => x.path).join(', ')}`);
  return t;
}

describe('sigscan fs on the bundled fixtures', () => {
  let report: JsonReport;
  let code: number;
  beforeAll(async () => {
    ({ report, code } = await sigscanJson(['fs', FIXTURES]));
  });

  it('reports signed and unsigned JARs and PEs with the SHA-256 of the whole file', async () => {
    expect(code).toBe(0);
    const rows = report.targets.map((t) => [t.path!.slice(FIXTURES.length + 1), t.format, t.status]);
    expect(rows).toEqual([
      ['jar/hello-signed.jar', 'jar', 'signed'],
      ['jar/hello-unsigned.jar', 'jar', 'unsigned'],
      ['pe/hello-signed.exe', 'pe', 'signed'],
      ['pe/hello-unsigned.exe', 'pe', 'unsigned'],
    ]);
    for (const t of report.targets) {
      const actual = execFileSync('sha256sum', [t.path!]).toString().split(' ')[0];
      expect(t.digest).toBe(`sha256:${actual}`);
    }
    expect(report.summary).toMatchObject({ targets: 4, signed: 2, unsigned: 2, unknown: 0, filesSkipped: 4 });
  });

  it('names the same signer as jarsigner and osslsigncode', async () => {
    const jar = await run(
      'jarsigner',
      ['-verify', '-verbose', '-certs', join(FIXTURES, 'jar', 'hello-signed.jar')],
      {
        check: false,
      },
    );
    const jarSubject = /X\.509, (CN=Sigscan Fixture Code Signing[^\n]*)/.exec(jar.stdout)?.[1];
    expect(jarSubject).toBeDefined();
    expect(sameDn(target(report, 'hello-signed.jar').signatures[0]!.signer.subject!, jarSubject!)).toBe(true);

    const pe = await run('osslsigncode', ['verify', '-in', join(FIXTURES, 'pe', 'hello-signed.exe')], {
      check: false,
    });
    const peSubject = /Signer's certificate:[\s\S]*?Subject: ([^\n]+)/.exec(pe.stdout)?.[1];
    expect(peSubject).toBeDefined();
    const sig = target(report, 'hello-signed.exe').signatures[0]!;
    expect(sameDn(sig.signer.subject!, peSubject!)).toBe(true);
    expect(sig.countersigner).toMatchObject({ kind: 'rfc3161' });
    expect(sameDn(sig.countersigner!.subject!, 'CN=Sigscan Fixture TSA,O=Sigscan Fixtures,C=US')).toBe(true);
  });
});

describe('sigscan fs on the shared corpus', () => {
  it('parses every JAR and PE and names the signers expected.json names', async () => {
    const expected = JSON.parse(await readFile(join(CORPUS, 'expected.json'), 'utf8')) as {
      artifacts: Array<{
        kind: string;
        files: Record<string, string>;
        signer?: { subject?: string; signatures?: Array<{ subject: string }> };
        signers?: Array<{ subject: string }>;
      }>;
    };
    const { report } = await sigscanJson(['fs', join(CORPUS, 'jar'), join(CORPUS, 'authenticode')]);
    let checked = 0;
    for (const a of expected.artifacts) {
      if (a.kind !== 'signed-jar' && a.kind !== 'authenticode-pe') continue;
      const file = Object.values(a.files)[0]!;
      const t = target(report, file);
      expect(t.errors, file).toEqual([]);
      const subjects =
        a.signers?.map((s) => s.subject) ??
        a.signer?.signatures?.map((s) => s.subject) ??
        (a.signer?.subject ? [a.signer.subject] : []);
      if (subjects.length === 0) {
        expect(t.status, file).toBe('unsigned');
        continue;
      }
      for (const subject of subjects) {
        expect(
          t.signatures.some((s) => s.signer.subject && sameDn(s.signer.subject, subject)),
          `${file}: ${subject}`,
        ).toBe(true);
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});

describe('sigscan fs on a hostile tree', () => {
  let tree: string;
  let report: JsonReport;
  let code: number;
  // root reads everything; drop to nobody so that an unreadable file really is unreadable.
  const asRoot = process.getuid?.() === 0;

  beforeAll(async () => {
    tree = await mkdtemp(join(tmpdir(), 'sigscan-hostile-'));
    await chmod(tree, 0o755);
    await mkdir(join(tree, 'good'));
    await mkdir(join(tree, 'bad'));
    await mkdir(join(tree, 'loop'));
    await copyFile(join(FIXTURES, 'jar', 'hello-signed.jar'), join(tree, 'good', 'app.jar'));
    await copyFile(join(FIXTURES, 'pe', 'hello-signed.exe'), join(tree, 'good', 'tool.exe'));
    await copyFile(join(FIXTURES, 'pe', 'hello-unsigned.exe'), join(tree, 'good', 'plain.dll'));
    const pe = await readFile(join(FIXTURES, 'pe', 'hello-signed.exe'));
    await writeFile(join(tree, 'bad', 'truncated.exe'), pe.subarray(0, 300));
    await writeFile(join(tree, 'bad', 'empty.jar'), '');
    // Random bytes that began with "MZ" (1 time in 65,536) would be a malformed PE, not a format mismatch.
    const noise = randomBytes(4096);
    noise[0] = 0;
    await writeFile(join(tree, 'bad', 'random.exe'), noise);
    await writeFile(
      join(tree, 'bad', 'locked.jar'),
      await readFile(join(FIXTURES, 'jar', 'hello-unsigned.jar')),
    );
    await chmod(join(tree, 'bad', 'locked.jar'), 0o000);
    await symlink('..', join(tree, 'loop', 'up'));
    execFileSync('mkfifo', [join(tree, 'bad', 'pipe.exe')]);
    await writeFile(join(tree, 'notes.txt'), 'not signable');

    const home = await mkdtemp(join(tmpdir(), 'sigscan-home-'));
    await chmod(home, 0o777);
    const args = ['fs', tree, '--follow-symlinks', '-o', 'json'];
    const res = asRoot
      ? await run(
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args],
          {
            check: false,
            env: { HOME: home, NO_COLOR: '1' },
          },
        )
      : await run(process.execPath, [CLI, ...args], { check: false });
    code = res.code;
    report = JSON.parse(res.stdout) as JsonReport;
  });

  afterAll(async () => {
    if (tree) await rm(tree, { recursive: true, force: true });
  });

  it('finishes, exits 3, and still reports every good file', () => {
    expect(code).toBe(3);
    expect(target(report, 'good/app.jar').status).toBe('signed');
    expect(target(report, 'good/tool.exe').status).toBe('signed');
    expect(target(report, 'good/plain.dll').status).toBe('unsigned');
  });

  it('reports each broken file as unknown with a reason, never as unsigned', () => {
    const codes = (suffix: string) => target(report, suffix).errors.map((e) => e.code);
    expect(target(report, 'bad/truncated.exe').status).toBe('unknown');
    expect(codes('bad/truncated.exe')).toEqual(['MALFORMED_PE']);
    expect(codes('bad/empty.jar')).toEqual(['FORMAT_MISMATCH']);
    expect(codes('bad/random.exe')).toEqual(['FORMAT_MISMATCH']);
    expect(codes('bad/locked.jar')).toEqual(['FILE_UNREADABLE']);
    for (const t of report.targets.filter((x) => x.path!.includes('/bad/'))) expect(t.status).toBe('unknown');
  });

  it('walks the symlink loop once and never opens the FIFO', () => {
    const paths = report.targets.map((t) => t.path!);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.some((p) => p.includes('/loop/'))).toBe(false);
    expect(paths.some((p) => p.endsWith('pipe.exe'))).toBe(false);
    expect(report.targets).toHaveLength(7);
  });
});

describe('sigscan fs on in-toto metadata', () => {
  it('finds layouts and links by name and content and verifies the layout with its links beside it', async () => {
    const dir = join(CORPUS, 'dsse', 'in-toto-golang');
    const { report } = await sigscanJson(['fs', dir, '--in-toto-layout-key', join(dir, 'alice.pub')]);
    const verdict = (name: string) => target(report, `/${name}`).signatures[0]!.verdict;
    expect(target(report, '/demo.layout').format).toBe('in-toto');
    // The demo layout has an inspection (untar) that sigscan never runs (issue #16 item 3).
    expect(verdict('demo.layout')).toMatchObject({ status: 'unverified', code: 'INSPECTIONS_NOT_RUN' });
    expect(verdict('dsse-only.root.layout')).toMatchObject({ status: 'verified', code: 'VERIFIED' });
    expect(verdict('super.layout')).toMatchObject({ status: 'invalid', code: 'LAYOUT_SIGNATURE_INVALID' });
    // A functionary's link is trusted only through its layout.
    expect(verdict('write-code.b7d643de.link')).toMatchObject({
      status: 'unverified',
      code: 'LINK_WITHOUT_LAYOUT',
    });
    expect(report.targets.some((t) => t.path!.endsWith('foo.tar.gz'))).toBe(false);
  });
});
