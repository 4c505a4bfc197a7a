import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';

import { parsePeLayout } from '../../../src/formats/pe/pe-file.js';
import { cachedRunInDirSync } from '../tool-answers.js';
import { cachedProcess } from './signed-pe.js';

/**
 * Adds a legacy Authenticode PKCS #9 countersignature (unsigned attribute 1.2.840.113549.1.9.6) to the
 * primary signature of an osslsigncode-signed PE. The countersignature is a SignerInfo that `openssl cms
 * -sign` makes over the parent's signature value (so its messageDigest is the hash of those octets, as
 * formats.md §7.4 says), with the countersigner's certificate added to the parent's certificate set.
 * Unsigned attributes and certificates are outside what the parent signature covers, so the parent
 * stays valid; the SignedData is re-encoded by pkijs from DER, which reproduces the same bytes.
 */

export async function addPkcs9Countersignature(args: {
  input: string;
  output: string;
  certPem: string;
  keyPem: string;
  dir: string;
  /** `openssl cms -sign -noattr`: no signed attributes, so no signingTime (a countersignature with no time). */
  noSignedAttributes?: boolean;
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
  cachedRunInDirSync('pe-countersign-openssl-v1', 'openssl', args.dir, [
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
    ...(args.noSignedAttributes ? ['-noattr'] : []),
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
  cachedRunInDirSync('pe-countersign-openssl-v1', 'openssl', pkiDir, [
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
  cachedRunInDirSync('pe-countersign-openssl-v1', 'openssl', pkiDir, [
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

const TIMESTAMP_ATTRIBUTES = new Set([
  '1.2.840.113549.1.9.6', // PKCS #9 countersignature
  '1.3.6.1.4.1.311.3.3.1', // Microsoft RFC 3161 timestamp
  '1.2.840.113549.1.9.16.2.14', // signatureTimeStampToken
]);

/**
 * Several timestamps on one signer, each made by osslsigncode: `sources` are copies of one signed file
 * that differ only in their stamps (`osslsigncode add -TSA-*` re-stamps without re-signing, so every
 * copy has the same signature value). Their timestamp attributes are joined, in order, onto the first
 * copy's primary SignerInfo: one attribute per stamp, or (`oneAttribute`) one attribute whose values are
 * all the stamps of the first source's OID. Unsigned attributes and certificates are outside what the
 * signature covers, so the signature itself stays valid.
 */
export function combineTimestamps(
  sources: string[],
  output: string,
  opts: {
    oneAttribute?: boolean;
    /** Which source gives the file and the SignerInfo (default 0); stamps still join in source order. */
    base?: number;
    /** Join stamps made over another signature value too (a broken stamp, for the tests that need one). */
    allowForeign?: boolean;
  } = {},
): string {
  const read = (path: string) => {
    const bytes = new Uint8Array(readFileSync(path));
    const layout = parsePeLayout(bytes);
    const { offset, size } = layout.certificateTable;
    if (offset + size !== bytes.length) throw new Error(`${path}: the table must end the file`);
    const dwLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
    const contentInfo = pkijs.ContentInfo.fromBER(bytes.slice(offset + 8, offset + dwLength));
    return { bytes, layout, contentInfo, signedData: new pkijs.SignedData({ schema: contentInfo.content }) };
  };
  const base = read(sources[opts.base ?? 0]!);
  const parent = base.signedData.signerInfos[0]!;
  const signature = Buffer.from(parent.signature.valueBlock.valueHexView);
  const attributes: pkijs.Attribute[] = [];
  const certificates = [...(base.signedData.certificates ?? [])];
  for (const source of sources) {
    const { signedData } = read(source);
    const signer = signedData.signerInfos[0]!;
    if (!opts.allowForeign && !Buffer.from(signer.signature.valueBlock.valueHexView).equals(signature)) {
      throw new Error(`${source} carries another signature value: its stamps would not cover ours`);
    }
    attributes.push(
      ...(signer.unsignedAttrs?.attributes ?? []).filter((a) => TIMESTAMP_ATTRIBUTES.has(a.type)),
    );
    certificates.push(...(signedData.certificates ?? []));
  }
  const joined = opts.oneAttribute
    ? [new pkijs.Attribute({ type: attributes[0]!.type, values: attributes.flatMap((a) => a.values) })]
    : attributes;
  parent.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 1, attributes: joined });
  base.signedData.certificates = certificates;
  const blob = new Uint8Array(
    new pkijs.ContentInfo({
      contentType: base.contentInfo.contentType,
      content: base.signedData.toSchema(true),
    })
      .toSchema()
      .toBER(),
  );
  const offset = base.layout.certificateTable.offset;
  const padded = Math.ceil((8 + blob.length) / 8) * 8;
  const out = new Uint8Array(offset + padded);
  out.set(base.bytes.subarray(0, offset));
  const view = new DataView(out.buffer);
  view.setUint32(offset, padded, true);
  view.setUint16(offset + 4, 0x0200, true);
  view.setUint16(offset + 6, 0x0002, true);
  out.set(blob, offset + 8);
  view.setUint32(base.layout.certificateDirectoryOffset + 4, padded, true);
  writeFileSync(output, out);
  return output;
}

/**
 * `osslsigncode add`: replaces the file's timestamps with one made by the given local TSA at `unixTime`. Once a
 * day for the same input, TSA and time (cachedProcess), like makeSignedPe.
 */
export async function restamp(args: {
  input: string;
  output: string;
  tsaChainPem: string;
  tsaKey: string;
  unixTime: number;
}): Promise<string> {
  const { dir, answer } = await cachedProcess(
    'osslsigncode-add-v1',
    [{ file: args.input }, { file: args.tsaChainPem }, { file: args.tsaKey }, args.unixTime],
    'osslsigncode',
    (out) => [
      'add',
      '-TSA-certs',
      args.tsaChainPem,
      '-TSA-key',
      args.tsaKey,
      '-TSA-time',
      String(args.unixTime),
      '-in',
      args.input,
      '-out',
      out('stamped'),
    ],
  );
  if (answer.exitCode !== 0)
    throw new Error(`osslsigncode add exited with ${answer.exitCode}\n${answer.stderr}`);
  copyFileSync(join(dir, 'stamped'), args.output);
  return args.output;
}

/** A TSA certificate (critical EKU timeStamping) from the test CA in `pkiDir`, valid for `days`. */
export async function issueTsaCertificate(
  pkiDir: string,
  name: string,
  days: number,
): Promise<{ chain: string; key: string }> {
  const p = (f: string) => join(pkiDir, f);
  cachedRunInDirSync('pe-countersign-openssl-v1', 'openssl', pkiDir, [
    'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`),
    '-subj', `/C=DE/O=Sigscan Test/CN=${name}`, '-config', p('openssl.cnf'),
  ]); // prettier-ignore
  cachedRunInDirSync('pe-countersign-openssl-v1', 'openssl', pkiDir, [
    'x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p(`${name}.pem`), '-days', String(days), '-extfile', p('openssl.cnf'), '-extensions', 'tsa',
  ]); // prettier-ignore
  writeFileSync(
    p(`${name}-chain.pem`),
    readFileSync(p(`${name}.pem`), 'utf8') + readFileSync(p('ca.pem'), 'utf8'),
  );
  return { chain: p(`${name}-chain.pem`), key: p(`${name}.key`) };
}

/**
 * Rewrites the primary SignedData of a signed PE (whose certificate table ends the file) after `edit`
 * changed it: the table record and the directory size are rewritten, everything before it is kept.
 */
export function editPrimarySignedData(
  input: string,
  output: string,
  edit: (signedData: pkijs.SignedData) => void,
): string {
  const bytes = new Uint8Array(readFileSync(input));
  const layout = parsePeLayout(bytes);
  const { offset, size } = layout.certificateTable;
  if (offset + size !== bytes.length) throw new Error(`${input}: the table must end the file`);
  const dwLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
  const contentInfo = pkijs.ContentInfo.fromBER(bytes.slice(offset + 8, offset + dwLength));
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  edit(signedData);
  const blob = new Uint8Array(
    new pkijs.ContentInfo({ contentType: contentInfo.contentType, content: signedData.toSchema(true) })
      .toSchema()
      .toBER(),
  );
  const padded = Math.ceil((8 + blob.length) / 8) * 8;
  const out = new Uint8Array(offset + padded);
  out.set(bytes.subarray(0, offset));
  const view = new DataView(out.buffer);
  view.setUint32(offset, padded, true);
  view.setUint16(offset + 4, 0x0200, true);
  view.setUint16(offset + 6, 0x0002, true);
  out.set(blob, offset + 8);
  view.setUint32(layout.certificateDirectoryOffset + 4, padded, true);
  writeFileSync(output, out);
  return output;
}
