/**
 * A test CT log and a leaf certificate with an SCT embedded by it: no CT log runs here, so the SCT is
 * made by hand over the real openssl-issued TBSCertificate. Shared by the cosign keyless tests that need
 * a certificate sigstore-js accepts without Rekor (timestamped by a TSA instead).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { run } from './tools.js';

/** A CT log's key pair (openssl), its SubjectPublicKeyInfo and RFC 6962 log ID. */
export interface CtLog {
  key: KeyObject;
  pubPem: string;
  spkiDer: Buffer;
  logId: Buffer;
}

export async function makeCtLog(dir: string): Promise<CtLog> {
  const keyPem = join(dir, 'ct.key');
  const pubPem = join(dir, 'ct.pub');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPem]);
  await run('openssl', ['ec', '-in', keyPem, '-pubout', '-out', pubPem]);
  const key = createPrivateKey(await readFile(keyPem));
  const spkiDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return { key, pubPem, spkiDer, logId: createHash('sha256').update(spkiDer).digest() };
}

/**
 * A leaf with an embedded SCT (RFC 6962 §3.3) over its own TBSCertificate minus the SCT extension. No CT
 * log runs here, so the SCT is hand-made: openssl issues the certificate twice under one frozen clock
 * (faketime) and serial, first without the SCT list, whose TBS the CT key signs, then with it appended.
 */
export async function issueWithSct(
  dir: string,
  name: string,
  opts: { ca: string; pub: string; ext: string; ct: CtLog },
): Promise<string> {
  // Now, to the second (UTC, as faketime takes it): not before the CA, which cosign checks the chain at.
  const notBefore = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
  const issue = (ext: string, out: string) =>
    run('faketime', ['-f', notBefore, 'openssl',
      'x509', '-req', '-in', join(dir, 'leaf.csr'), '-force_pubkey', opts.pub, '-CA', opts.ca,
      '-CAkey', opts.ca.replace(/\.pem$/, '.key'), '-set_serial', '0x5c7', '-days', '10',
      '-extfile', ext, '-outform', 'DER', '-out', out,
    ]); // prettier-ignore
  const pre = join(dir, `${name}-pre.der`);
  await issue(opts.ext, pre);
  const tbs = firstElement(await readFile(pre));
  const caSpki = new X509Certificate(await readFile(opts.ca)).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(Date.parse(`${notBefore.replace(' ', 'T')}Z`)));
  const signed = Buffer.concat([
    Buffer.from([0, 0]), // v1, certificate_timestamp
    timestamp,
    Buffer.from([0, 1]), // precert_entry
    createHash('sha256').update(caSpki).digest(),
    uint(tbs.length, 3),
    tbs,
    uint(0, 2), // no extensions
  ]);
  const signature = sign('sha256', signed, opts.ct.key);
  const sct = Buffer.concat([
    Buffer.from([0]),
    opts.ct.logId,
    timestamp,
    uint(0, 2),
    Buffer.from([4, 3]), // sha256, ecdsa
    uint(signature.length, 2),
    signature,
  ]);
  const list = Buffer.concat([uint(sct.length + 2, 2), uint(sct.length, 2), sct]);
  const octets = Buffer.concat([Buffer.from([0x04]), derLength(list.length), list]);
  const ext = join(dir, `${name}.ext`);
  await writeFile(
    ext,
    `${await readFile(opts.ext, 'utf8')}1.3.6.1.4.1.11129.2.4.2=DER:${octets.toString('hex')}\n`,
  );
  const der = join(dir, `${name}.der`);
  await issue(ext, der);
  const pem = join(dir, `${name}.pem`);
  await run('openssl', ['x509', '-inform', 'DER', '-in', der, '-out', pem]);
  return pem;
}

function uint(n: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUIntBE(n, 0, bytes);
  return b;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : 3;
  return Buffer.concat([Buffer.from([0x80 | bytes]), uint(n, bytes)]);
}

/** The first element (TLV) inside a DER SEQUENCE: a certificate's TBSCertificate. */
function firstElement(der: Buffer): Buffer {
  const header = (at: number): { start: number; end: number } => {
    const first = der[at + 1]!;
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const n = first & 0x7f;
    return { start: at + 2 + n, end: at + 2 + n + der.readUIntBE(at + 2, n) };
  };
  const inner = header(0).start;
  return der.subarray(inner, header(inner).end);
}
