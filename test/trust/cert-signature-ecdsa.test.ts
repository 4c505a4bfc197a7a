import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, type ParsedCertificate } from '../../src/formats/x509.js';
import { nodeCertificateSignature } from '../../src/trust/cert-signature.js';

/**
 * The ECDSA-Sig-Value shapes the node:crypto check must refuse as pkijs does: an openssl P-256 leaf whose
 * signature is re-encoded (same r and s) with a third INTEGER, or with r or s longer than the curve (a
 * non-minimal INTEGER: two leading zero octets). Each must be false, as pkijs says, and not an exception.
 */
let dir: string;
let root: ParsedCertificate;
let leaf: Uint8Array;

/** [header length, content length] of the DER element at `at`. */
function tl(der: Uint8Array, at: number): [number, number] {
  const first = der[at + 1]!;
  if (first < 0x80) return [2, first];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i]!;
  return [2 + n, len];
}

function element(der: Uint8Array, at: number): Uint8Array {
  const [h, l] = tl(der, at);
  return der.subarray(at, at + h + l);
}

function encode(tag: number, content: Uint8Array): Uint8Array {
  const len = content.length;
  const header = len < 0x80 ? [tag, len] : len < 0x100 ? [tag, 0x81, len] : [tag, 0x82, len >> 8, len & 0xff];
  return new Uint8Array([...header, ...content]);
}

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** The leaf's TBS and algorithm as openssl wrote them, with `ecdsaSig` as the signature. */
function withSignature(ecdsaSig: Uint8Array): ParsedCertificate {
  const [h] = tl(leaf, 0);
  const tbs = element(leaf, h);
  const alg = element(leaf, h + tbs.length);
  const bits = encode(0x03, concat(new Uint8Array([0]), ecdsaSig));
  return parseCertificate(encode(0x30, concat(tbs, alg, bits)));
}

/** r and s of the leaf's signature, as their INTEGER contents. */
function rs(): [Uint8Array, Uint8Array] {
  const [h] = tl(leaf, 0);
  const tbs = element(leaf, h);
  const alg = element(leaf, h + tbs.length);
  const sigBits = element(leaf, h + tbs.length + alg.length);
  const sig = sigBits.subarray(tl(sigBits, 0)[0] + 1);
  const [sh] = tl(sig, 0);
  const r = element(sig, sh);
  const s = element(sig, sh + r.length);
  return [r.subarray(tl(r, 0)[0]), s.subarray(tl(s, 0)[0])];
}

async function pkijsVerdict(child: ParsedCertificate, issuer: ParsedCertificate): Promise<boolean> {
  try {
    return await child.cert.verify(issuer.cert);
  } catch {
    return false;
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-certsig-ecdsa-'));
  const p = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  execFileSync('openssl', ['req', '-x509', '-new', ...ec, '-keyout', p('root.key'), '-out', p('root.pem'), '-subj', '/CN=ecdsa root', '-days', '30', '-sha256']); // prettier-ignore
  execFileSync('openssl', ['req', '-new', ...ec, '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=ecdsa leaf']); // prettier-ignore
  execFileSync('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-set_serial', '9', '-days', '30', '-sha256', '-outform', 'DER', '-out', p('leaf.der')]); // prettier-ignore
  root = parseCertificate(
    new Uint8Array(execFileSync('openssl', ['x509', '-in', p('root.pem'), '-outform', 'DER'])),
  );
  leaf = new Uint8Array(readFileSync(p('leaf.der')));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nodeCertificateSignature: ECDSA-Sig-Value shapes pkijs refuses', () => {
  it('the re-encoding itself keeps a genuine signature true', async () => {
    const [r, s] = rs();
    const same = withSignature(encode(0x30, concat(encode(0x02, r), encode(0x02, s))));
    expect(nodeCertificateSignature(same, root)).toBe(true);
    expect(await pkijsVerdict(same, root)).toBe(true);
  });

  it('a third INTEGER after r and s: false', async () => {
    const [r, s] = rs();
    const three = withSignature(
      encode(0x30, concat(encode(0x02, r), encode(0x02, s), encode(0x02, new Uint8Array([1])))),
    );
    expect(nodeCertificateSignature(three, root)).toBe(false);
    expect(await pkijsVerdict(three, root)).toBe(false);
  });

  // Forty zero octets: s placed at (2 × 32 − its length) would start before the array, not in r's half.
  it('a SEQUENCE whose length runs one octet past the signature (BER read fails): false', async () => {
    const [r, s] = rs();
    const content = concat(encode(0x02, r), encode(0x02, s));
    const overlong = withSignature(concat(new Uint8Array([0x30, content.length + 1]), content));
    expect(nodeCertificateSignature(overlong, root)).toBe(false);
    expect(await pkijsVerdict(overlong, root)).toBe(false);
  });

  it.each(['r', 's'])('%s longer than the curve (forty leading zero octets): false', async (which) => {
    const [r, s] = rs();
    const pad = (v: Uint8Array) => concat(new Uint8Array(40), v);
    const long = withSignature(
      encode(
        0x30,
        concat(encode(0x02, which === 'r' ? pad(r) : r), encode(0x02, which === 's' ? pad(s) : s)),
      ),
    );
    expect(nodeCertificateSignature(long, root)).toBe(false);
    expect(await pkijsVerdict(long, root)).toBe(false);
  });
});

/** `der` with the first occurrence of `from` replaced by `to` (same length). */
function replaced(der: Uint8Array, from: number[], to: number[]): Uint8Array {
  const at = Buffer.from(der).indexOf(Buffer.from(from));
  expect(at).toBeGreaterThan(0);
  const out = new Uint8Array(der);
  out.set(to, at);
  return out;
}

describe('nodeCertificateSignature: shapes and keys that cannot verify (false, never a throw)', () => {
  it('r and s in a SET instead of a SEQUENCE: false, as pkijs says', async () => {
    const [r, s] = rs();
    const set = withSignature(encode(0x31, concat(encode(0x02, r), encode(0x02, s))));
    expect(nodeCertificateSignature(set, root)).toBe(false);
    expect(await pkijsVerdict(set, root)).toBe(false);
  });

  it.each(['r', 's'])('%s as an OCTET STRING instead of an INTEGER: false, as pkijs says', async (which) => {
    const [r, s] = rs();
    const octets = withSignature(
      encode(0x30, concat(encode(which === 'r' ? 0x04 : 0x02, r), encode(which === 's' ? 0x04 : 0x02, s))),
    );
    expect(nodeCertificateSignature(octets, root)).toBe(false);
    expect(await pkijsVerdict(octets, root)).toBe(false);
  });

  it('an issuer whose P-256 point node:crypto cannot import (prefix 05: no point form): false', () => {
    // The uncompressed point's 04 prefix, right after the 66-octet BIT STRING header of a P-256 key.
    const badKey = parseCertificate(replaced(root.der, [0x03, 0x42, 0x00, 0x04], [0x03, 0x42, 0x00, 0x05]));
    expect(badKey.spkiParameterOid).toBe('1.2.840.10045.3.1.7');
    expect(nodeCertificateSignature(parseCertificate(leaf), badKey)).toBe(false);
    expect(nodeCertificateSignature(parseCertificate(leaf), root)).toBe(true);
  });

  it('an indefinite-length SEQUENCE with no end-of-contents (BER read fails, r and s intact): false', async () => {
    const [r, s] = rs();
    const unterminated = withSignature(
      concat(new Uint8Array([0x30, 0x80]), encode(0x02, r), encode(0x02, s)),
    );
    expect(nodeCertificateSignature(unterminated, root)).toBe(false);
    expect(await pkijsVerdict(unterminated, root)).toBe(false);
  });

  it('a P-256 curve OID under another key algorithm than id-ecPublicKey: left to pkijs (undefined)', () => {
    // id-ecPublicKey 1.2.840.10045.2.1 becomes 1.2.840.10045.2.9: same length, curve parameter kept.
    const oid = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const other = parseCertificate(replaced(root.der, oid, [...oid.slice(0, -1), 0x09]));
    expect(other.spkiAlgorithm).toBe('1.2.840.10045.2.9');
    expect(other.spkiParameterOid).toBe('1.2.840.10045.3.1.7');
    expect(nodeCertificateSignature(parseCertificate(leaf), other)).toBeUndefined();
  });
});
