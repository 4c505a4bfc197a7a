import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as pkijs from 'pkijs';

import { parsePeLayout } from '../../../src/formats/pe/pe-file.js';

/**
 * Adds a legacy Authenticode PKCS #9 countersignature (unsigned attribute 1.2.840.113549.1.9.6) to the
 * primary signature of an osslsigncode-signed PE. The countersignature is a SignerInfo that `openssl cms
 * -sign` makes over the parent's signature value (so its messageDigest is the hash of those octets, as
 * formats.md §7.4 says), with the countersigner's certificate added to the parent's certificate set.
 * Unsigned attributes and certificates are outside what the parent signature covers, so the parent
 * stays valid; the SignedData is re-encoded by pkijs from DER, which reproduces the same bytes.
 */

const run = promisify(execFile);

export async function addPkcs9Countersignature(args: {
  input: string;
  output: string;
  certPem: string;
  keyPem: string;
  dir: string;
}): Promise<string> {
  const bytes = new Uint8Array(readFileSync(args.input));
  const layout = parsePeLayout(bytes);
  const { offset, size } = layout.certificateTable;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const dwLength = view.getUint32(offset, true);
  const blob = bytes.slice(offset + 8, offset + dwLength);

  const contentInfo = pkijs.ContentInfo.fromBER(blob);
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  const parent = signedData.signerInfos[0]!;
  const sigValue = join(args.dir, 'parent-signature.bin');
  writeFileSync(sigValue, new Uint8Array(parent.signature.valueBlock.valueHexView));

  const cmsDer = join(args.dir, 'countersignature.p7');
  await run('openssl', [
    'cms',
    '-sign',
    '-binary',
    '-nodetach',
    '-md',
    'sha256',
    '-in',
    sigValue,
    '-signer',
    args.certPem,
    '-inkey',
    args.keyPem,
    '-outform',
    'DER',
    '-out',
    cmsDer,
    '-nosmimecap',
  ]);
  const counter = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(readFileSync(cmsDer)).content });
  const counterSignerInfo = counter.signerInfos[0]!;

  parent.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 1,
    attributes: [
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.6', values: [counterSignerInfo.toSchema()] }),
    ],
  });
  signedData.certificates = [...(signedData.certificates ?? []), ...(counter.certificates ?? [])];
  const newBlob = new Uint8Array(
    new pkijs.ContentInfo({ contentType: contentInfo.contentType, content: signedData.toSchema(true) })
      .toSchema()
      .toBER(),
  );

  const recordLength = 8 + newBlob.length;
  const padded = Math.ceil(recordLength / 8) * 8;
  const record = new Uint8Array(padded);
  const rv = new DataView(record.buffer);
  rv.setUint32(0, padded, true);
  rv.setUint16(4, 0x0200, true);
  rv.setUint16(6, 0x0002, true);
  record.set(newBlob, 8);
  const out = new Uint8Array(offset + padded);
  out.set(bytes.subarray(0, offset));
  out.set(record, offset);
  new DataView(out.buffer).setUint32(layout.certificateDirectoryOffset + 4, padded, true);
  if (size + offset !== bytes.length) throw new Error('the input table must end the file');
  writeFileSync(args.output, out);
  return args.output;
}

/** A certificate from the test CA with digitalSignature and no extended key usage at all. */
export async function issueNoEkuCertificate(
  pkiDir: string,
  name: string,
): Promise<{ cert: string; key: string }> {
  const p = (f: string) => join(pkiDir, f);
  writeFileSync(
    p(`${name}.cnf`),
    `[req]\ndistinguished_name = dn\n[dn]\n[ext]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n`,
  );
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p(`${name}.key`),
    '-out',
    p(`${name}.csr`),
    '-subj',
    `/CN=${name}`,
    '-config',
    p(`${name}.cnf`),
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p(`${name}.csr`),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p(`${name}.pem`),
    '-days',
    '365',
    '-extfile',
    p(`${name}.cnf`),
    '-extensions',
    'ext',
  ]);
  return { cert: p(`${name}.pem`), key: p(`${name}.key`) };
}
