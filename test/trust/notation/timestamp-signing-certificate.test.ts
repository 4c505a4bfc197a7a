/**
 * The ESS signingCertificateV2 attribute of a notary.x509 signature's RFC 3161 token, malformed in each
 * way verify.ts tells apart (tspclient-go token.go SignedToken.SigningCertificate). The tokens are an
 * `openssl ts -reply` token whose signed attribute is rewritten by DER surgery, then the SignerInfo is
 * re-signed with the TSA key (the signature covers the signed attributes), so only the attribute differs.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../src/formats/x509.js';
import { parseTrustPolicy } from '../../../src/trust/notation/trustpolicy.js';
import { verifyUnderPolicy, type NotationSignatureInput } from '../../../src/trust/notation/verify.js';
import { firstSignerInfo, kids } from '../../helpers/cms-surgery.js';
import { derEncode, derTree, type DerNode } from '../../helpers/der-tree.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { opensslCaConfigHead } from '../../helpers/revocation-pki.js';
import { policy, statement } from './support.js';

const CONFIG = (dir: string) => `${opensslCaConfigHead(dir)}[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[t]
serial = ${dir}/tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_alg = sha256
accuracy = secs:1
`;

const monthAgo = () =>
  new Date(Date.now() - 30 * 86_400_000)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** A root, a TSA certificate and a code-signing leaf under it, and an `openssl ts` token (ESS v2, SHA-256). */
async function fixture(): Promise<string> {
  return cachedFixtureDir('tsa-signing-certificate-v1', async (d) => {
    const openssl = (...args: string[]) =>
      execFileSync('openssl', args, { cwd: d, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    mkdirSync(join(d, 'newcerts'));
    writeFileSync(join(d, 'index.txt'), '');
    writeFileSync(join(d, 'serial'), '1000\n');
    writeFileSync(join(d, 'tsaserial'), '01\n');
    writeFileSync(join(d, 'ca.cnf'), CONFIG(d));
    const ca = (...args: string[]) => openssl('ca', '-batch', '-config', 'ca.cnf', '-notext', ...args);
    const ec = (name: string, subj: string) =>
      openssl(
        'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
        '-out', `${name}.csr`, '-subj', subj, '-config', 'ca.cnf',
      ); // prettier-ignore
    ec('ca', '/O=sigscan ess test/CN=sigscan ess test root');
    ca('-selfsign', '-keyfile', 'ca.key', '-in', 'ca.csr', '-out', 'ca.pem', '-extensions', 'ca_ext',
      '-startdate', monthAgo(), '-days', '3650'); // prettier-ignore
    for (const [name, ext] of [
      ['tsa', 'tsa'],
      ['leaf', 'leaf'],
    ]) {
      ec(name!, `/O=sigscan ess test/CN=${name}`);
      ca('-in', `${name}.csr`, '-out', `${name}.pem`, '-extensions', ext!, '-startdate', monthAgo());
    }
    writeFileSync(join(d, 'signature.bin'), createHash('sha256').update('ess test').digest());
    openssl('ts', '-query', '-data', 'signature.bin', '-sha256', '-cert', '-out', 'q.tsq');
    openssl(
      'ts', '-reply', '-config', 'ca.cnf', '-section', 't', '-queryfile', 'q.tsq', '-signer', 'tsa.pem',
      '-inkey', 'tsa.key', '-token_out', '-out', 'tsa.tok',
    ); // prettier-ignore
  });
}

// DER builders for the attribute value.
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const prim = (id: number, content: Uint8Array): DerNode => ({ id, content });
const cons = (id: number, ...children: DerNode[]): DerNode => ({ id, children });
const seq = (...children: DerNode[]) => cons(0x30, ...children);
const octets = (b: Uint8Array) => prim(0x04, b);
const oid = (h: string) => prim(0x06, hex(h));
const NULL = prim(0x05, new Uint8Array());
const SHA256 = '608648016503040201';
const SHA384 = '608648016503040202';
const SHA512 = '608648016503040203';
const SHA1 = '2b0e03021a';
const SIGNING_CERTIFICATE_V2 = '2a864886f70d010910022f';

describe('verifyUnderPolicy: a malformed ESS signingCertificateV2 in the timestamp token', () => {
  let dir: string;
  let tsa: ParsedCertificate;
  let token: Uint8Array;
  beforeAll(async () => {
    dir = await fixture();
    tsa = cert('tsa');
    token = new Uint8Array(readFileSync(join(dir, 'tsa.tok')));
  }, 60_000);
  const cert = (name: string): ParsedCertificate =>
    parseCertificate(pemCertificates(readFileSync(join(dir, `${name}.pem`), 'utf8'))[0]!);
  const certHash = (alg: string) => new Uint8Array(createHash(alg).update(tsa.der).digest());
  /** The DER of the TSA certificate's issuer Name and serial INTEGER. */
  const issuerDer = () => derTree(new Uint8Array(tsa.cert.issuer.toSchema().toBER()));
  const serialDer = () => derTree(new Uint8Array(tsa.cert.serialNumber.toBER()));
  const directoryName = (name: DerNode = issuerDer()) => cons(0xa4, name);
  const issuerSerial = (gn: DerNode = directoryName(), serial: DerNode = serialDer()) => seq(seq(gn), serial);

  /**
   * The token with the signingCertificateV2 attribute's value SET replaced by `values` (each an encoded
   * element) and the SignerInfo re-signed over the new signed attributes with the TSA key.
   */
  const withValues = (...values: DerNode[]): Uint8Array => {
    const root = derTree(token);
    const si = firstSignerInfo(root);
    const signedAttrs = kids(si).find((n) => n.id === 0xa0)!;
    const attr = kids(signedAttrs).find(
      (a) => Buffer.from(kids(a)[0]!.content!).toString('hex') === SIGNING_CERTIFICATE_V2,
    )!;
    kids(attr)[1] = cons(0x31, ...values);
    const toSign = derEncode({ ...signedAttrs, id: 0x31 });
    const key = createPrivateKey(readFileSync(join(dir, 'tsa.key')));
    kids(si).find((n) => n.id === 0x04)!.content = new Uint8Array(sign('sha256', toSign, key));
    return derEncode(root);
  };
  /** One ESSCertIDv2 in a SigningCertificateV2 value. */
  const withCertId = (...fields: DerNode[]) => withValues(seq(seq(seq(...fields))));

  /** The authenticTimestamp outcome for the leaf stamped by `tokenDer`. */
  const stamped = async (tokenDer: Uint8Array) => {
    const root = cert('ca');
    const chain = [cert('leaf'), root];
    const input: NotationSignatureInput = {
      alg: 'ES256',
      signedBytes: new Uint8Array(),
      signature: new Uint8Array(readFileSync(join(dir, 'signature.bin'))),
      certificatesDer: chain.map((c) => c.der),
      payloadBytes: new Uint8Array(),
      signingScheme: 'notary.x509',
      timestampTokenDer: tokenDer,
    };
    const stmt = parseTrustPolicy(policy(statement({ trustStores: ['ca:test', 'tsa:stamps'] })))
      .statements[0]!;
    const { outcomes } = await verifyUnderPolicy(
      input,
      chain,
      {
        statement: stmt,
        source: 'test',
        stores: async (ref) => ({ ...ref, path: '(test)', certificates: [root], warnings: [] }),
      },
      new Date(),
    );
    const o = outcomes.find((x) => x.check === 'authenticTimestamp')!;
    return { ok: o.ok, code: o.code, message: o.message };
  };
  const untrusted = async (tokenDer: Uint8Array, because: string) => {
    const o = await stamped(tokenDer);
    expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
    expect(o.message).toContain(because);
  };
  const valid = async (tokenDer: Uint8Array) =>
    expect(await stamped(tokenDer)).toMatchObject({ ok: true, code: 'TIMESTAMP_VALID' });

  describe('well-formed controls: TIMESTAMP_VALID', () => {
    it('the openssl ts token as made, and re-signed unchanged (the surgery alone breaks nothing)', async () => {
      await valid(token);
      await valid(withCertId(octets(certHash('sha256'))));
    });

    it('hashAlgorithm given explicitly: SHA-256 (with and without NULL parameters), SHA-384, SHA-512', async () => {
      await valid(withCertId(seq(oid(SHA256)), octets(certHash('sha256'))));
      await valid(withCertId(seq(oid(SHA256), NULL), octets(certHash('sha256'))));
      await valid(withCertId(seq(oid(SHA384)), octets(certHash('sha384'))));
      await valid(withCertId(seq(oid(SHA512)), octets(certHash('sha512'))));
    });

    it('an issuerSerial naming the TSA certificate by directoryName and serial', async () => {
      await valid(withCertId(octets(certHash('sha256')), issuerSerial()));
      await valid(withCertId(seq(oid(SHA384)), octets(certHash('sha384')), issuerSerial()));
    });

    it('only the first ESSCertIDv2 is read: a second, wrong one after it does not matter', async () => {
      await valid(withValues(seq(seq(seq(octets(certHash('sha256'))), seq(octets(new Uint8Array(32)))))));
    });
  });

  describe('refused: TIMESTAMP_UNTRUSTED', () => {
    it('the attribute with an empty value SET', async () => {
      await untrusted(withValues(), 'no signed signingCertificateV2');
    });

    it('a value that is not a SEQUENCE (an INTEGER, an OCTET STRING)', async () => {
      await untrusted(withValues(prim(0x02, hex('01'))), 'lists no ESSCertIDv2');
      await untrusted(withValues(octets(certHash('sha256'))), 'lists no ESSCertIDv2');
    });

    it('an empty SigningCertificateV2, and an empty certs list', async () => {
      await untrusted(withValues(seq()), 'lists no ESSCertIDv2');
      await untrusted(withValues(seq(seq())), 'lists no ESSCertIDv2');
    });

    it('certs that is not a SEQUENCE OF ESSCertIDv2: a primitive, an ESSCertIDv2 not a SEQUENCE', async () => {
      await untrusted(withValues(seq(octets(certHash('sha256')))), 'lists no ESSCertIDv2');
      await untrusted(withValues(seq(prim(0x02, hex('01')))), 'lists no ESSCertIDv2');
      await untrusted(withValues(seq(seq(prim(0x02, hex('01'))))), 'lists no ESSCertIDv2');
      await untrusted(withValues(seq(seq(octets(certHash('sha256'))))), 'lists no ESSCertIDv2');
      await untrusted(withValues(seq(seq(cons(0x31, octets(certHash('sha256')))))), 'lists no ESSCertIDv2');
    });

    it('a SET where SigningCertificateV2 or its certs list is a SEQUENCE (Go encoding/asn1 refuses the tag)', async () => {
      // The hash is right: only the outer tags are wrong, so only a tag check can refuse these.
      const id = seq(octets(certHash('sha256')));
      await untrusted(withValues(cons(0x31, seq(id))), 'lists no ESSCertIDv2');
      await untrusted(withValues(seq(cons(0x31, id))), 'lists no ESSCertIDv2');
    });

    it('a hashAlgorithm without an OID (empty, or NULL first)', async () => {
      await untrusted(withCertId(seq(), octets(certHash('sha256'))), 'unreadable hashAlgorithm');
      await untrusted(
        withCertId(seq(NULL, oid(SHA256)), octets(certHash('sha256'))),
        'unreadable hashAlgorithm',
      );
    });

    it('a hash algorithm tspclient-go does not take: SHA-1 (with its right hash), an unknown OID', async () => {
      await untrusted(withCertId(seq(oid(SHA1)), octets(certHash('sha1'))), 'unsupported');
      await untrusted(withCertId(seq(oid('2a0304')), octets(certHash('sha256'))), 'unsupported');
    });

    it('no certHash: nothing after hashAlgorithm, or not an OCTET STRING', async () => {
      await untrusted(withCertId(seq(oid(SHA256))), 'has no certHash');
      await untrusted(withCertId(), 'has no certHash');
      await untrusted(withCertId(prim(0x02, certHash('sha256'))), 'has no certHash');
      await untrusted(withCertId(seq(oid(SHA256)), NULL, octets(certHash('sha256'))), 'has no certHash');
    });

    it('a certHash that does not match: another algorithm, truncated, empty, flipped', async () => {
      await untrusted(withCertId(octets(certHash('sha384'))), 'hash does not match');
      await untrusted(withCertId(seq(oid(SHA384)), octets(certHash('sha256'))), 'hash does not match');
      await untrusted(withCertId(octets(certHash('sha256').subarray(0, 31))), 'hash does not match');
      await untrusted(withCertId(octets(new Uint8Array())), 'hash does not match');
      const flipped = certHash('sha256');
      flipped[31] = flipped[31]! ^ 1;
      await untrusted(withCertId(octets(flipped)), 'hash does not match');
    });

    it('an issuerSerial naming another serial or another issuer (right hash)', async () => {
      const h = octets(certHash('sha256'));
      const otherSerial = prim(0x02, hex('7fff'));
      await untrusted(withCertId(h, issuerSerial(directoryName(), otherSerial)), 'names a certificate other');
      const otherIssuer = derTree(new Uint8Array(tsa.cert.subject.toSchema().toBER()));
      await untrusted(withCertId(h, issuerSerial(directoryName(otherIssuer))), 'names a certificate other');
    });

    it('an issuerSerial whose issuer is not a directoryName [4], or without a serial INTEGER', async () => {
      const h = octets(certHash('sha256'));
      const without = 'issuerSerial without a directoryName';
      // A Name straight in GeneralNames (no [4]), an application-class [4], an rfc822Name [1].
      await untrusted(withCertId(h, issuerSerial(issuerDer())), without);
      await untrusted(withCertId(h, issuerSerial(cons(0x64, issuerDer()))), without);
      await untrusted(withCertId(h, issuerSerial(cons(0xa1, issuerDer()))), without);
      // [4] with nothing in it; GeneralNames empty; serial as an OCTET STRING, or missing.
      await untrusted(withCertId(h, issuerSerial(cons(0xa4))), without);
      await untrusted(withCertId(h, seq(seq(), serialDer())), without);
      await untrusted(withCertId(h, seq(seq(directoryName()), octets(hex('1000')))), without);
      await untrusted(withCertId(h, seq(seq(directoryName()))), without);
      // GeneralNames not a SEQUENCE but a primitive; IssuerSerial itself a primitive.
      await untrusted(withCertId(h, seq(octets(hex('00')), serialDer())), without);
      await untrusted(withCertId(h, octets(hex('00'))), without);
      await untrusted(withCertId(h, prim(0x02, hex('01'))), without);
    });
  });
});
