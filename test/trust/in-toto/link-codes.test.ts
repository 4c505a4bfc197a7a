/**
 * A classic in-toto link (in-toto-golang's write-code.b7d643de.link, signed by dan) on its own: functionary
 * keys come only from a layout (as in-toto-verify), so a lone link is never verified, whatever key is given
 * and whether or not it was altered after signing: unverified/LINK_WITHOUT_LAYOUT. Links are verified
 * through their layout (test/trust/in-toto/in-toto-inspections.test.ts and the corpus tests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { CORPUS_DIR } from '../../helpers/corpus.js';
import { inTotoVerdict } from './helpers.js';

const LINK = join(CORPUS_DIR, 'dsse/in-toto-golang/write-code.b7d643de.link');
const DAN = join(CORPUS_DIR, 'dsse/in-toto-golang/dan.pub');
const AT = '2026-11-21T00:00:00Z';

const dir = mkdtempSync(join(tmpdir(), 'sigscan-intoto-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Link {
  signed: { products: Record<string, { sha256: string }> };
  signatures: unknown[];
}

function altered(name: string, edit: (link: Link) => void): string {
  const link = JSON.parse(readFileSync(LINK, 'utf8')) as Link;
  edit(link);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(link));
  return path;
}

describe('in-toto link signatures', () => {
  it('the corpus link, even with dan.pub given, is not verified on its own', async () => {
    const { verdict } = await inTotoVerdict(LINK, [DAN], AT);
    expect([verdict.status, verdict.code]).toEqual(['unverified', 'LINK_WITHOUT_LAYOUT']);
  });

  it('a product hash changed after signing: still never verified', async () => {
    const path = altered('write-code.b7d643de.link', (l) => {
      const [file] = Object.keys(l.signed.products);
      expect(file).toBeDefined();
      l.signed.products[file!]!.sha256 = '0'.repeat(64);
    });
    const { verdict } = await inTotoVerdict(path, [DAN], AT);
    expect([verdict.status, verdict.code]).toEqual(['unverified', 'LINK_WITHOUT_LAYOUT']);
  });

  it('signatures removed: still never verified', async () => {
    const path = altered('unsigned.b7d643de.link', (l) => (l.signatures = []));
    const { verdict } = await inTotoVerdict(path, [DAN], AT);
    expect([verdict.status, verdict.code]).toEqual(['unverified', 'LINK_WITHOUT_LAYOUT']);
  });
});
