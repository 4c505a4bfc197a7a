import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { validateReportDocument } from '../../src/report/schema.js';
import { sigscanJson } from '../helpers/cli.js';
import { compileTinyPe } from '../helpers/pe/signed-pe.js';
import { freePort, makeRevocationCa, type IssuedCert, type RevocationCa } from '../helpers/revocation-pki.js';

const run = promisify(execFile);

/** `sigscan fs` with --crl / --revocation / --config, on PEs osslsigncode signed with revoked certificates. */
describe('sigscan fs --crl / --revocation', () => {
  let dir: string;
  let tree: string;
  let ca: RevocationCa;
  let crl: string;

  const sign = async (exe: string, leaf: IssuedCert, out: string) => {
    await run('osslsigncode', [
      'sign',
      '-certs',
      leaf.chain,
      '-key',
      leaf.key,
      '-h',
      'sha256',
      '-in',
      exe,
      '-out',
      out,
    ]);
  };
  const verdicts = (report: {
    targets: Array<{ path?: string; signatures: Array<{ verdict: { code: string } }> }>;
  }) =>
    Object.fromEntries(
      report.targets.map((t) => [t.path!.split('/').pop(), t.signatures.map((s) => s.verdict.code)]),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-revocation-cli-'));
    tree = join(dir, 'tree');
    mkdirSync(tree);
    const exe = await compileTinyPe(dir);
    ca = await makeRevocationCa(join(dir, 'ca'));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const good = await ca.issue('good', 'CLI Good');
    const revoked = await ca.issue('revoked', 'CLI Revoked');
    const offline = await ca.issue('online', 'CLI Online', {
      extensions: 'codesign_online',
      env: { OCSP_URL: dead, CRL_URL: `${dead}/ca.crl` },
    });
    await sign(exe, good, join(tree, 'good.exe'));
    await sign(exe, revoked, join(tree, 'revoked.exe'));
    await sign(exe, offline, join(dir, 'online.exe'));
    await ca.revoke(revoked.cert, 'keyCompromise');
    crl = await ca.crl(join(dir, 'crl.pem'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--crl: the revoked signer is CERT_REVOKED (--fail-on untrusted: exit 1), the report names the CRL and the mode', async () => {
    const { code, report } = await sigscanJson([
      'fs',
      tree,
      '--trust-root',
      ca.caPem,
      '--crl',
      crl,
      '--fail-on',
      'untrusted',
    ]);
    expect(verdicts(report)).toEqual({ 'good.exe': ['CHAIN_VALID'], 'revoked.exe': ['CERT_REVOKED'] });
    expect(code).toBe(1);
    const scan = (
      report as unknown as {
        scan: { revocation: unknown; trust: Array<{ kind: string; path: string; sha256: string }> };
      }
    ).scan;
    expect(scan.revocation).toEqual({ mode: 'offline', crls: 1 });
    expect(scan.trust.filter((t) => t.kind === 'crl')).toEqual([
      { kind: 'crl', path: crl, sha256: createHash('sha256').update(readFileSync(crl)).digest('hex') },
    ]);
    expect((await validateReportDocument(report)).errors).toEqual([]);
  });

  it('--config with crl and revocation keys works as the flags do; --revocation off says nothing was checked', async () => {
    const config = join(dir, 'sigscan.yaml');
    writeFileSync(config, `trust-root: ${ca.caPem}\ncrl:\n  - ${crl}\nrevocation: off\n`);
    const { report } = await sigscanJson(['fs', tree, '--config', config]);
    expect(verdicts(report)).toEqual({ 'good.exe': ['CHAIN_VALID'], 'revoked.exe': ['CHAIN_VALID'] });
    expect((report as unknown as { scan: { revocation: unknown } }).scan.revocation).toEqual({
      mode: 'off',
      crls: 1,
    });
    const writeOn = join(dir, 'on.yaml');
    writeFileSync(writeOn, `trust-root: ${ca.caPem}\ncrl: ${crl}\n`);
    expect(verdicts((await sigscanJson(['fs', tree, '--config', writeOn])).report)['revoked.exe']).toEqual([
      'CERT_REVOKED',
    ]);
  });

  it('--revocation online-strict with unreachable sources: REVOCATION_UNKNOWN; online: verified with findings', async () => {
    const file = join(dir, 'online.exe');
    const strict = await sigscanJson(['fs', file, '--trust-root', ca.caPem, '--revocation', 'online-strict']);
    expect(strict.report.targets[0]!.signatures[0]!.verdict).toMatchObject({
      status: 'untrusted',
      code: 'REVOCATION_UNKNOWN',
    });
    const lax = await sigscanJson(['fs', file, '--trust-root', ca.caPem, '--revocation', 'online']);
    const signature = lax.report.targets[0]!.signatures[0]!;
    expect(signature.verdict.code).toBe('CHAIN_VALID');
    expect(signature.findings.map((f) => f.code)).toEqual([
      'REVOCATION_SOURCE_NOT_USED',
      'REVOCATION_SOURCE_NOT_USED',
    ]);
  });

  it('refuses an unknown --revocation mode and an unreadable --crl', async () => {
    const bad = await sigscanJson(['fs', tree, '--revocation', 'sometimes']).catch((e: Error) => e);
    expect(String(bad)).toMatch(
      /Expected --revocation=sometimes to be one of: off, offline, online, online-strict/,
    );
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'revocation: sometimes\n');
    const viaConfig = await sigscanJson(['fs', tree, '--config', config]).catch((e: Error) => e);
    expect(String(viaConfig)).toMatch(
      /exit 2\): sigscan: Expected --revocation=sometimes to be one of: off, offline, online, online-strict/,
    );
    const missing = await sigscanJson(['fs', tree, '--crl', join(dir, 'nope.crl')]).catch((e: Error) => e);
    expect(String(missing)).toContain(`--crl ${join(dir, 'nope.crl')}: ENOENT`);
  });
});
