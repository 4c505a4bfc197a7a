/**
 * `sigscan fs` on WARs and fat JARs built with jar and signed with jarsigner: nested JARs are targets of
 * their own in every report, name the signer jarsigner names, and `--no-nested` turns that off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonReport } from '../helpers/cli.js';
import { sameDn } from '../helpers/dn.js';
import { jarsignerVerify, removeDir, tempDir } from '../helpers/jar/index.js';
import { makeNestedFixtures, sha256File, type NestedFixtures } from '../sources/nested-fixtures.js';

let work: string;
let fx: NestedFixtures;
let report: JsonReport;
let code: number;

beforeAll(async () => {
  work = tempDir('sigscan-fs-nested-');
  fx = makeNestedFixtures(work);
  ({ report, code } = await sigscanJson(['fs', fx.tree]));
});
afterAll(() => {
  if (work) removeDir(work);
});

const rows = (r: JsonReport) =>
  r.targets.map((t) => [t.path!.slice(fx.tree.length + 1), t.status, t.errors.map((e) => e.code).join(',')]);

describe('sigscan fs on nested archives', () => {
  it('reports every nested JAR with its status and error codes, and exits 3 for the ones it could not check', () => {
    expect(code).toBe(3);
    expect(rows(report)).toEqual([
      ['app.war', 'unsigned', ''],
      ['app.war!/WEB-INF/lib/broken.jar', 'unknown', 'FORMAT_MISMATCH'],
      ['app.war!/WEB-INF/lib/plain-lib.jar', 'unsigned', ''],
      ['app.war!/WEB-INF/lib/signed-lib.jar', 'signed', ''],
      ['bomb.war', 'unsigned', ''],
      ['bomb.war!/WEB-INF/lib/bomb.jar', 'unknown', 'TOO_LARGE'],
      ['deep.jar', 'unsigned', ''],
      ['deep.jar!/l1.jar', 'unsigned', ''],
      ['deep.jar!/l1.jar!/l2.jar', 'unsigned', ''],
      ['deep.jar!/l1.jar!/l2.jar!/l3.jar', 'unsigned', ''],
      ['deep.jar!/l1.jar!/l2.jar!/l3.jar!/l4.jar', 'unknown', 'NESTING_TOO_DEEP'],
    ]);
    expect(report.summary).toMatchObject({
      targets: 11,
      signed: 1,
      unsigned: 7,
      unknown: 3,
      filesSkipped: 0,
    });
  });

  it('names the signer jarsigner names for the inner JAR, with the digest of the inflated entry', () => {
    const inner = report.targets.find((t) => t.path!.endsWith('!/WEB-INF/lib/signed-lib.jar'))!;
    expect(inner.format).toBe('jar');
    expect(inner.digest).toBe(sha256File(fx.signedLib));
    const js = jarsignerVerify(fx.signedLib);
    expect(js.verified).toBe(true);
    expect(inner.signatures).toHaveLength(1);
    expect(sameDn(inner.signatures[0]!.signer.subject!, js.signerSubjects[0]!)).toBe(true);
    expect(inner.signatures[0]!.verdict.status).toBe('unverified');
    const tooDeep = report.targets.find((t) => t.path!.endsWith('!/l4.jar'))!;
    expect(tooDeep.digest).toBeNull();
  });

  it('--no-nested reports only the files on disk, with the same results', async () => {
    const { report: flat, code: flatCode } = await sigscanJson(['fs', fx.tree, '--no-nested']);
    expect(flatCode).toBe(0);
    expect(rows(flat)).toEqual([
      ['app.war', 'unsigned', ''],
      ['bomb.war', 'unsigned', ''],
      ['deep.jar', 'unsigned', ''],
    ]);
    for (const t of flat.targets) {
      expect(report.targets.find((n) => n.path === t.path)).toEqual(t);
    }
  });
});
