/**
 * JARs inside WARs, EARs and fat JARs are targets of their own (`app.war!/WEB-INF/lib/x.jar`), scanned by
 * the same detectors from their inflated bytes, within depth, size, budget and count limits; the outer
 * file's own result does not change. Archives made with jar/jarsigner (see nested-fixtures.ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openZip } from '../../src/formats/zip/index.js';
import type { TargetResult } from '../../src/model/index.js';
import { runFsScan } from '../../src/scan/run.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { sameDn } from '../helpers/dn.js';
import { makeZipWithDuplicate, removeDir, tempDir } from '../helpers/jar/index.js';
import {
  makeDotDotWar,
  makeNestedFixtures,
  NESTED_SIGNER_DN,
  sha256File,
  type NestedFixtures,
} from './nested-fixtures.js';

let work: string;
let fx: NestedFixtures;

beforeAll(() => {
  work = tempDir('sigscan-nested-');
  fx = makeNestedFixtures(work);
});
afterAll(() => {
  if (work) removeDir(work);
});

async function scan(roots: string[], limits: Partial<Limits> = {}): Promise<Map<string, TargetResult>> {
  const report = await runFsScan({
    roots,
    concurrency: 4,
    log: silentLogger,
    limits: { ...DEFAULT_LIMITS, ...limits },
  });
  const out = new Map<string, TargetResult>();
  for (const r of report.results) {
    if (r.target.kind !== 'file') continue;
    expect(out.has(r.target.path), r.target.path).toBe(false);
    out.set(r.target.path.slice(fx.tree.length + 1), r);
  }
  return out;
}

const codes = (r: TargetResult | undefined) => r?.errors.map((e) => e.code);

/** Names of app.war's nested JARs in central-directory order (the order they are read in). */
async function appWarLibs(): Promise<string[]> {
  const zip = await openZip(new Uint8Array(readFileSync(join(fx.tree, 'app.war'))), DEFAULT_LIMITS);
  try {
    return zip.entries.map((e) => e.name).filter((n) => n.endsWith('.jar'));
  } finally {
    zip.close();
  }
}

describe('nested archives', () => {
  let results: Map<string, TargetResult>;
  beforeAll(async () => {
    results = await scan([fx.tree]);
  });

  it('reports each nested JAR under outer!/entry with its own digest and status', () => {
    expect([...results.keys()].sort()).toEqual([
      'app.war',
      'app.war!/WEB-INF/lib/broken.jar',
      'app.war!/WEB-INF/lib/plain-lib.jar',
      'app.war!/WEB-INF/lib/signed-lib.jar',
      'bomb.war',
      'bomb.war!/WEB-INF/lib/bomb.jar',
      'deep.jar',
      'deep.jar!/l1.jar',
      'deep.jar!/l1.jar!/l2.jar',
      'deep.jar!/l1.jar!/l2.jar!/l3.jar',
      'deep.jar!/l1.jar!/l2.jar!/l3.jar!/l4.jar',
    ]);
    const signed = results.get('app.war!/WEB-INF/lib/signed-lib.jar')!;
    expect(signed.status).toBe('signed');
    expect(signed.target).toMatchObject({ format: 'jar', digest: sha256File(fx.signedLib) });
    expect(signed.signatures).toHaveLength(1);
    expect(sameDn(signed.signatures[0]!.evidence.signer.subject!, NESTED_SIGNER_DN)).toBe(true);
    expect(signed.signatures[0]!.evidence.location).toBe('META-INF/NESTED.RSA');

    const plain = results.get('app.war!/WEB-INF/lib/plain-lib.jar')!;
    expect(plain.status).toBe('unsigned');
    expect(plain.errors).toEqual([]);
    expect(plain.target).toMatchObject({
      digest: sha256File(fx.plainLib),
      size: readFileSync(fx.plainLib).length,
    });
  });

  it('reports a .jar entry that is not a ZIP, as on disk', () => {
    const broken = results.get('app.war!/WEB-INF/lib/broken.jar')!;
    expect(broken.status).toBe('unknown');
    expect(codes(broken)).toEqual(['FORMAT_MISMATCH']);
    expect(broken.target).toMatchObject({ size: fx.broken.length });
  });

  it('scans three levels deep and reports the fourth as NESTING_TOO_DEEP without reading it', () => {
    for (const path of [
      'deep.jar',
      'deep.jar!/l1.jar',
      'deep.jar!/l1.jar!/l2.jar',
      'deep.jar!/l1.jar!/l2.jar!/l3.jar',
    ]) {
      expect(results.get(path)?.status, path).toBe('unsigned');
    }
    const tooDeep = results.get('deep.jar!/l1.jar!/l2.jar!/l3.jar!/l4.jar')!;
    expect(tooDeep.status).toBe('unknown');
    expect(codes(tooDeep)).toEqual(['NESTING_TOO_DEEP']);
    expect(tooDeep.target).toMatchObject({ digest: '' });
  });

  it('reports a nested deflate bomb on its own target; the WAR holding it is unaffected', () => {
    const bomb = results.get('bomb.war!/WEB-INF/lib/bomb.jar')!;
    expect(bomb.status).toBe('unknown');
    expect(bomb.errors).toEqual([expect.objectContaining({ code: 'TOO_LARGE', source: 'jar' })]);
    expect(results.get('bomb.war')).toMatchObject({ status: 'unsigned', errors: [] });
  });

  it('leaves the outer files exactly as a scan without nesting reports them', async () => {
    const flat = await scan([fx.tree], { maxNestingDepth: 0 });
    expect([...flat.keys()].sort()).toEqual(['app.war', 'bomb.war', 'deep.jar']);
    for (const [path, r] of flat) expect(results.get(path), path).toEqual(r);
  });

  it('follows a lower depth limit', async () => {
    const one = await scan([join(fx.tree, 'deep.jar')], { maxNestingDepth: 1 });
    expect([...one.keys()].sort()).toEqual(['deep.jar', 'deep.jar!/l1.jar', 'deep.jar!/l1.jar!/l2.jar']);
    expect(codes(one.get('deep.jar!/l1.jar!/l2.jar'))).toEqual(['NESTING_TOO_DEEP']);
  });

  it('refuses an entry over the per-entry limit with FILE_TOO_LARGE', async () => {
    const plainSize = readFileSync(fx.plainLib).length;
    const signedSize = readFileSync(fx.signedLib).length;
    expect(signedSize).toBeGreaterThan(plainSize);
    const r = await scan([join(fx.tree, 'app.war')], { maxNestedEntryBytes: plainSize });
    expect(r.get('app.war!/WEB-INF/lib/plain-lib.jar')?.status).toBe('unsigned');
    const big = r.get('app.war!/WEB-INF/lib/signed-lib.jar')!;
    expect(codes(big)).toEqual(['FILE_TOO_LARGE']);
    expect(big.target).toMatchObject({ size: signedSize, digest: '' });
  });

  it('stops inflating when the budget of the outer file is spent, with TOO_LARGE on what did not fit', async () => {
    const order = await appWarLibs();
    const size = (name: string) =>
      name.endsWith('broken.jar')
        ? fx.broken.length
        : readFileSync(name.endsWith('signed-lib.jar') ? fx.signedLib : fx.plainLib).length;
    // Room for the first two in reading order, one byte short for the third.
    const budget = size(order[0]!) + size(order[1]!) + size(order[2]!) - 1;
    const r = await scan([join(fx.tree, 'app.war')], { maxNestedBytes: budget });
    expect(codes(r.get(`app.war!/${order[2]}`))).toEqual(['TOO_LARGE']);
    expect(r.get(`app.war!/${order[2]}`)!.errors[0]!.message).toContain(`${budget}-byte budget`);
    for (const name of order.slice(0, 2)) expect(codes(r.get(`app.war!/${name}`))).not.toContain('TOO_LARGE');
  });

  it('reports the first archive over the count limit once and reads no further', async () => {
    const order = await appWarLibs();
    const r = await scan([join(fx.tree, 'app.war')], { maxNestedArchives: 2 });
    expect([...r.keys()].sort()).toEqual(['app.war', ...order.map((n) => `app.war!/${n}`)].sort());
    const over = r.get(`app.war!/${order[2]}`)!;
    expect(codes(over)).toEqual(['TOO_LARGE']);
    expect(over.errors[0]!.message).toContain('more than 2 nested archives');
  });

  it('scans the first of two entries with the same name, once', async () => {
    const dup = join(work, 'dup', 'dup.war');
    mkdirSync(join(work, 'dup'));
    makeZipWithDuplicate(dup, join(fx.tree, 'app.war'), 'WEB-INF/lib/plain-lib.jar', 'second copy');
    const report = await runFsScan({ roots: [dup], concurrency: 2, log: silentLogger });
    const paths = report.results.map((r) =>
      r.target.kind === 'file' ? r.target.path.slice(dup.length) : '',
    );
    expect(paths.filter((p) => p === '!/WEB-INF/lib/plain-lib.jar')).toHaveLength(1);
    const plain = report.results.find(
      (r) => r.target.kind === 'file' && r.target.path.endsWith('plain-lib.jar'),
    )!;
    expect(plain.target).toMatchObject({ digest: sha256File(fx.plainLib) });
    expect(plain.status).toBe('unsigned');
  });

  it('leaves out entry names that a path would not survive (..)', async () => {
    const dir = join(work, 'dotdot');
    mkdirSync(dir);
    makeDotDotWar(join(dir, 'evil.war'), fx.plainLib);
    const report = await runFsScan({ roots: [join(dir, 'evil.war')], concurrency: 2, log: silentLogger });
    const paths = report.results.map((r) =>
      r.target.kind === 'file' ? r.target.path.slice(dir.length + 1) : '',
    );
    expect(paths.sort()).toEqual(['evil.war', 'evil.war!/WEB-INF/lib/ok.jar']);
  });
});
