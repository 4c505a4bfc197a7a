import { describe, expect, it } from 'vitest';

import { sigscan, sigscanJson } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const ROOT_CA = `${PROJECT_ROOT}/fixtures/fixture-root-ca.pem`;
const FIXTURES = `${PROJECT_ROOT}/fixtures`;

describe('help', () => {
  it.each([['help'], ['-h'], ['--help']])('`sigscan %s` lists the commands and exits 0', async (arg) => {
    const res = await sigscan([arg]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/COMMANDS/);
    expect(res.stdout).toMatch(/\brepo\b/);
    expect(res.stdout).toMatch(/\bfs\b/);
  });

  it.each([
    ['help', 'fs'],
    ['fs', '-h'],
    ['fs', '--help'],
  ])('`sigscan %s %s` shows the fs help, flags in groups', async (...args) => {
    const res = await sigscan(args);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\$ sigscan fs \[FLAGS\] DIR\.\.\./);
    const groups = [...res.stdout.matchAll(/^([A-Z ]+) FLAGS$/gm)].map((m) => m[1]);
    expect(groups).toEqual(['TARGET SELECTION', 'TRUST INPUTS', 'OUTPUT', 'LIMITS']);
  });

  it('`sigscan help report diff` shows that subcommand', async () => {
    const res = await sigscan(['help', 'report', 'diff']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\$ sigscan report diff/);
  });
});

describe('errors are one line with a documented exit code', () => {
  it('an unknown flag names the nearest one and exits 2', async () => {
    const res = await sigscan(['fs', '--trust-rot', ROOT_CA, FIXTURES]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('sigscan: unknown flag --trust-rot (did you mean --trust-root?); see --help\n');
    expect(res.stdout).toBe('');
  });

  it('an unknown command names the nearest one and exits 2', async () => {
    const res = await sigscan(['fss', FIXTURES]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('sigscan: unknown command "fss" (did you mean "fs"?); see "sigscan help"\n');
  });

  it('an unknown subcommand of a topic does too', async () => {
    const res = await sigscan(['report', 'dif', 'a.json', 'b.json']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^sigscan: unknown command "report dif" \(did you mean "report diff"\?\)/);
  });

  it('a missing argument is one line, exit 2', async () => {
    const res = await sigscan(['fs']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('sigscan: missing argument DIR (directories or files to scan); see --help\n');
  });

  it('a usage error from the command is one line with no stack; --debug adds the stack', async () => {
    const res = await sigscan(['fs', '--key', '/nonexistent/k.pub', FIXTURES]);
    expect(res.code).toBe(2);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^sigscan: --key \/nonexistent\/k\.pub: /);
    const debug = await sigscan(['fs', '--debug', '--key', '/nonexistent/k.pub', FIXTURES]);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/^sigscan: --key/);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('a bad option value is a usage error', async () => {
    const res = await sigscan(['fs', '-o', 'yaml', FIXTURES]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^sigscan: Expected --output=yaml to be one of: pretty, json/);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('flags before or after positionals', () => {
  // Repeatable flags used to swallow the positional (`--trust-root ca.pem DIR` read DIR as a root).
  it.each([
    ['flags first', ['fs', '--trust-root', ROOT_CA, '-o', 'json', FIXTURES]],
    ['flags last', ['fs', FIXTURES, '--trust-root', ROOT_CA, '-o', 'json']],
    ['repeated', ['fs', '--trust-root', ROOT_CA, '--trust-root', ROOT_CA, '-o', 'json', FIXTURES]],
    ['comma list', ['fs', '--fail-on', 'invalid,untrusted', '--trust-root', ROOT_CA, '-o', 'json', FIXTURES]],
  ])('fs, %s: both fixture signatures verify', async (_name, args) => {
    const { report, code } = await sigscanJson(args.filter((a) => a !== '-o' && a !== 'json'));
    expect(code).toBe(0);
    const verdicts = report.targets.flatMap((t) => t.signatures.map((s) => s.verdict.status));
    expect(verdicts).toEqual(['verified', 'verified']);
  });

  it('layout and images accept a repeatable flag before their positional', async () => {
    // A missing layout is reported by the scan (not "missing argument"): the positional was kept.
    const layout = await sigscan(['layout', '--trust-root', ROOT_CA, '/nonexistent-layout']);
    expect(layout.stderr).not.toMatch(/missing argument/);
    const images = await sigscan(['images', '--key', '/nonexistent/k.pub', '127.0.0.1:9/app:1']);
    expect(images.code).toBe(2);
    expect(images.stderr).toMatch(/^sigscan: --key \/nonexistent\/k\.pub/);
  });
});
