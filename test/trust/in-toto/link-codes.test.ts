/**
 * A classic in-toto link (in-toto-golang's write-code.b7d643de.link, signed by dan) altered after signing:
 * a changed product hash and a stripped signature each yield invalid/LINK_SIGNATURE_INVALID, where the
 * untouched link verifies with the same key.
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
  it('the corpus link verifies with dan.pub (the control)', async () => {
    const { verdict } = await inTotoVerdict(LINK, [DAN], AT);
    expect([verdict.status, verdict.code]).toEqual(['verified', 'VERIFIED']);
  });

  it('a product hash changed after signing: invalid/LINK_SIGNATURE_INVALID', async () => {
    const path = altered('write-code.b7d643de.link', (l) => {
      const [file] = Object.keys(l.signed.products);
      expect(file).toBeDefined();
      l.signed.products[file!]!.sha256 = '0'.repeat(64);
    });
    const { verdict } = await inTotoVerdict(path, [DAN], AT);
    expect([verdict.status, verdict.code]).toEqual(['invalid', 'LINK_SIGNATURE_INVALID']);
    expect(verdict.message).toContain('the signature by a trusted key does not verify');
  });

  it('signatures removed: invalid/LINK_SIGNATURE_INVALID (unsigned)', async () => {
    const path = altered('unsigned.b7d643de.link', (l) => (l.signatures = []));
    const { verdict } = await inTotoVerdict(path, [DAN], AT);
    expect([verdict.status, verdict.code]).toEqual(['invalid', 'LINK_SIGNATURE_INVALID']);
    expect(verdict.message).toContain('is unsigned');
  });
});
