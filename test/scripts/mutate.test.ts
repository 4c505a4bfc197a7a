import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { INCREMENTAL_FILE, restoreState, saveState, STATE_FILE } from '../../scripts/mutate.js';

const report = (status: string) =>
  JSON.stringify({
    schemaVersion: '2',
    files: { 'src/a.ts': { language: 'typescript', source: 'x', mutants: [{ id: '1', status }] } },
    testFiles: { 'test/a.test.ts': { tests: [{ id: '0', name: 'a' }] } },
  });

describe('the committed incremental state', () => {
  let root: string;
  const write = (path: string, text: string | Buffer) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sigscan-mutate-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('restores a missing incremental file from the saved copy, byte for byte', () => {
    write(INCREMENTAL_FILE, report('Killed'));
    expect(saveState(root)).toBe(true);
    rmSync(join(root, INCREMENTAL_FILE));
    expect(restoreState(root)).toBe(true);
    expect(readFileSync(join(root, INCREMENTAL_FILE), 'utf8')).toBe(report('Killed'));
  });

  it('never overwrites an incremental file that exists (the developer’s own newer results)', () => {
    write(INCREMENTAL_FILE, report('Killed'));
    saveState(root);
    write(INCREMENTAL_FILE, report('Survived'));
    expect(restoreState(root)).toBe(false);
    expect(readFileSync(join(root, INCREMENTAL_FILE), 'utf8')).toBe(report('Survived'));
  });

  it('saves the same bytes for the same state, so git sees a change only when results change', () => {
    write(INCREMENTAL_FILE, report('Killed'));
    expect(saveState(root)).toBe(true);
    const first = readFileSync(join(root, STATE_FILE));
    expect(saveState(root)).toBe(false);
    expect(readFileSync(join(root, STATE_FILE)).equals(first)).toBe(true);
    write(INCREMENTAL_FILE, report('Survived'));
    expect(saveState(root)).toBe(true);
    expect(JSON.parse(gunzipSync(readFileSync(join(root, STATE_FILE))).toString('utf8'))).toMatchObject({
      files: { 'src/a.ts': { mutants: [{ status: 'Survived' }] } },
    });
  });

  it('refuses to save or restore something that is not a Stryker report', () => {
    write(INCREMENTAL_FILE, '{"schemaVersion":"2","files":{}}');
    expect(() => saveState(root)).toThrow(expect.objectContaining({ code: 'MUTATION_STATE_INVALID' }));
    expect(existsSync(join(root, STATE_FILE))).toBe(false);
    rmSync(join(root, INCREMENTAL_FILE));
    write(STATE_FILE, gzipSync('{"name":"not a report"}'));
    expect(() => restoreState(root)).toThrow(expect.objectContaining({ code: 'MUTATION_STATE_INVALID' }));
    expect(existsSync(join(root, INCREMENTAL_FILE))).toBe(false);
  });

  it('does nothing without a saved copy or without an incremental file', () => {
    expect(restoreState(root)).toBe(false);
    expect(saveState(root)).toBe(false);
    expect(existsSync(join(root, STATE_FILE))).toBe(false);
  });
});
