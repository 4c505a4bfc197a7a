/**
 * Issue #11: our own adversarial corpus. Every family module builds its inputs with the real signing
 * tool and attacks them; this file asserts, over the whole corpus, that no attack is `verified`, that
 * each case gets exactly its expected status and code, that each family has an untouched control that
 * does verify (so the corpus cannot pass by breaking everything), and that the reference verifier
 * (jarsigner, osslsigncode, cosign) says what each sampled case records. See README.md here.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cosignKeypair, ensureCosign } from '../helpers/cosign.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { blobCorpus } from './blob.js';
import { cosignCorpus } from './cosign.js';
import type { AdversarialCase, Family, FamilyCorpus } from './corpus.js';
import { jarCorpus } from './jar.js';
import { notationCorpus } from './notation.js';
import { peCorpus } from './pe.js';

const FAMILIES: Family[] = ['jar', 'pe', 'cosign', 'notation', 'blob'];

let work: string;
let reg: TestRegistry | undefined;
const corpora = new Map<Family, FamilyCorpus>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sigscan-adversarial-'));
  await ensureCosign();
  mkdirSync(join(work, 'key-main'));
  mkdirSync(join(work, 'key-other'));
  const keys = {
    main: await cosignKeypair(join(work, 'key-main')),
    other: await cosignKeypair(join(work, 'key-other')),
  };
  reg = await startRegistry();
  corpora.set('jar', await jarCorpus(work));
  corpora.set('pe', await peCorpus(work));
  corpora.set('notation', await notationCorpus());
  corpora.set('blob', await blobCorpus(work, keys));
  corpora.set('cosign', await cosignCorpus(work, reg, keys));
}, 900_000);

afterAll(async () => {
  await reg?.stop();
  await closeAgents();
  if (work) rmSync(work, { recursive: true, force: true });
});

const all = (): AdversarialCase[] => FAMILIES.flatMap((f) => corpora.get(f)?.cases ?? []);
const outcome = (c: AdversarialCase) => corpora.get(c.family)!.outcomes.get(c.id)!;

describe('the adversarial corpus as a whole', () => {
  it('holds at least 100 attacks across JAR, PE, cosign, Notation and blob signatures', () => {
    const attacks = all().filter((c) => !c.control);
    expect(attacks.length).toBeGreaterThanOrEqual(100);
    for (const f of FAMILIES) expect(attacks.filter((c) => c.family === f).length).toBeGreaterThanOrEqual(10);
    expect(attacks.every((c) => c.status !== 'verified')).toBe(true);
  });

  it('no attack is verified', () => {
    const offenders = all()
      .filter((c) => !c.control && outcome(c).status === 'verified')
      .map((c) => `${c.id}: ${outcome(c).message}`);
    expect(offenders).toEqual([]);
  });

  it('every family has an untouched control that verifies', () => {
    for (const f of FAMILIES) {
      const controls = corpora.get(f)!.cases.filter((c) => c.control && !c.attack.startsWith('benign'));
      expect(controls.length, f).toBeGreaterThan(0);
      for (const c of controls) expect(outcome(c).status, c.id).toBe('verified');
    }
  });

  it('the reference verifier says what each sampled case records', () => {
    const sampled = all().filter((c) => c.oracle !== undefined);
    expect(sampled.length).toBeGreaterThanOrEqual(20);
    const disagreements = sampled
      .filter((c) => outcome(c).oracle !== c.oracle)
      .map((c) => `${c.id}: reference ${String(outcome(c).oracle)}, recorded ${String(c.oracle)}`);
    expect(disagreements).toEqual([]);
  });
});

for (const family of FAMILIES) {
  describe(`${family} cases: exact status and code`, () => {
    it('each case gets its status and code', () => {
      const cases = corpora.get(family)!.cases;
      expect(cases.length).toBeGreaterThan(0);
      const wrong = cases
        .map((c) => {
          const o = outcome(c);
          const codes: readonly string[] = typeof c.code === 'string' ? [c.code] : c.code;
          return o.status === c.status && codes.includes(o.code)
            ? undefined
            : `${c.id}: expected ${c.status} ${codes.join('|')}, got ${o.status} ${o.code} (${o.message})`;
        })
        .filter(Boolean);
      expect(wrong).toEqual([]);
    });
  });
}
