/**
 * Subject and issuer strings as reports print them (Go's pkix.Name.String(), RFC 4514 escapes), on
 * openssl certificates whose values need each escape: a special character anywhere, `#` first, a space
 * first and last. Exact strings, so that a shortcut in the escaping cannot drift from the full rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate } from '../../src/formats/x509.js';
import { selfSignedDer } from '../helpers/openssl-cert.js';

let dir: string;
const made: Record<string, Uint8Array> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-x509-names-'));
  const make = async (name: string, subj: string): Promise<void> => {
    made[name] = await selfSignedDer(dir, name, subj);
  };
  await Promise.all([
    make('specials', '/C=US/ST=Tëxas/O=Ä\\, Inc+OU=Dev/CN=#test <1>;"x"\\+y\\\\z/emailAddress=a@example.com'),
    make('spaces', '/CN= spaced /O=Acme #1/OU=a b'),
  ]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('certificate names as reported', () => {
  it('escapes , + " \\ < > ; anywhere and # first', () => {
    const { summary } = parseCertificate(made.specials!);
    expect(summary.subject).toBe(
      'CN=\\#test \\<1\\>\\;\\"x\\"\\+y\\\\z,OU=Dev,O=Ä\\, Inc,ST=Tëxas,C=US,1.2.840.113549.1.9.1=#160d61406578616d706c652e636f6d',
    );
    expect(summary.issuer).toBe(summary.subject);
  });

  it('escapes a space first or last, not inside, and # only first', () => {
    expect(parseCertificate(made.spaces!).summary.subject).toBe('CN=\\ spaced\\ ,OU=a b,O=Acme #1');
  });
});
