/**
 * parseCertificate's summary and fields (src/formats/x509.ts) on openssl certificates, asserted as exact
 * values: DN strings, SAN and EKU lists, key sizes and curves, the subject key identifier, the pkijs
 * fallbacks and the cache. Each extension shape the fast readers leave to pkijs (fastAltNames,
 * fastKeyPurposes, fastKeyIdentifier, simpleString, rsaModulusBytes) is built by byte surgery on an
 * openssl certificate and checked for the value pkijs gives, and for which reader gave it: pkijs' classes
 * are counted (vi.mock below), so a fast reader that silently gives up shows. Mutation survivors of
 * src/formats/x509.ts (h13/x5).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { hex, sha1Hex, sha256Hex, toArrayBuffer } from '../../src/formats/der.js';
import {
  extendedKeyUsages,
  extensionValue,
  formatName,
  namesEqual,
  parseCertificate,
  pemCertificates,
  publicKeyAlgorithm,
  subjectAlternativeNames,
} from '../../src/formats/x509.js';
import { derEncode, derRebuilt, derTree, latin1, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { selfSignedDer } from '../helpers/openssl-cert.js';
import { run } from '../helpers/tools.js';

/** How often x509.ts built each pkijs object itself (the fast readers exist to keep these at zero). */
const pkijsUse = vi.hoisted(() => ({ certificate: 0, extension: 0, names: 0, rsaKey: 0 }));

/**
 * pkijs with four entry points counted. Proxies of the real classes, not subclasses: an object pkijs builds
 * inside (a Certificate of a SignedData) stays an instance of the class the test and src name, so nothing
 * but the counts differs from the real package.
 */
vi.mock('pkijs', async (importOriginal) => {
  const real = await importOriginal<typeof import('pkijs')>();
  const counted = <T extends object>(cls: T, key: keyof typeof pkijsUse, via: 'new' | 'fromBER'): T =>
    new Proxy(cls, {
      construct(target, args, newTarget) {
        if (via === 'new') pkijsUse[key]++;
        return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget) as object;
      },
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (via !== 'fromBER' || prop !== 'fromBER' || typeof value !== 'function') return value;
        return (raw: BufferSource) => {
          pkijsUse[key]++;
          return (value as (raw: BufferSource) => unknown).call(target, raw);
        };
      },
    });
  return {
    ...real,
    Certificate: counted(real.Certificate, 'certificate', 'fromBER'),
    Extension: counted(real.Extension, 'extension', 'new'),
    RelativeDistinguishedNames: counted(real.RelativeDistinguishedNames, 'names', 'new'),
    RSAPublicKey: counted(real.RSAPublicKey, 'rsaKey', 'fromBER'),
  };
});

/** The pkijs objects x509.ts built during `f`. */
function pkijsBuilt<T>(f: () => T): { value: T; built: typeof pkijsUse } {
  const before = { ...pkijsUse };
  const value = f();
  const built = { ...pkijsUse };
  for (const k of Object.keys(built) as Array<keyof typeof pkijsUse>) built[k] -= before[k];
  return { value, built };
}
const NONE = { certificate: 0, extension: 0, names: 0, rsaKey: 0 };

const LEAF_EXT = `
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning,timeStamping,1.3.6.1.4.1.311.10.3.13
subjectKeyIdentifier = hash
subjectAltName = DNS:signer.example,email:signer@example.com,URI:https://example.com/id,IP:10.1.2.3,IP:2001:db8::1,dirName:dir_sect
[dir_sect]
CN = Directory Name
`;

const CERTS = [
  'ca',
  'leaf',
  'rsa2048',
  'rsa1025',
  'p384',
  'p521',
  'k256',
  'ed25519',
  'pss',
  'othername',
  'plain',
] as const;
type CertName = (typeof CERTS)[number];
const certs = {} as Record<CertName, Uint8Array>;
let leafPem: string;
let caPem: string;

beforeAll(async () => {
  const dir = await cachedFixtureDir('x509-summary-1', async (out) => {
    await selfSignedDer(out, 'ca', '/C=DE/O=X5 Root/CN=X5 CA', {
      extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign'],
    });
    await run('openssl', ['x509', '-inform', 'DER', '-in', join(out, 'ca.der'), '-out', join(out, 'ca.pem')]);
    // The leaf: an RSA key signed by the CA with `openssl x509 -req`, every SAN type the summary shows.
    await run('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(out, 'leaf.key'),
      '-out',
      join(out, 'leaf.csr'),
      '-utf8',
      '-subj',
      '/C=US/ST=Texas/L=Austin/O=Signer Co/OU=Builds/CN=signer/serialNumber=42',
    ]);
    writeFileSync(join(out, 'leaf.ext'), LEAF_EXT);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      join(out, 'leaf.csr'),
      '-CA',
      join(out, 'ca.pem'),
      '-CAkey',
      join(out, 'ca.key'),
      '-set_serial',
      '0x00ff01',
      '-days',
      '30',
      '-extfile',
      join(out, 'leaf.ext'),
      '-out',
      join(out, 'leaf.pem'),
    ]);
    await run('openssl', [
      'x509',
      '-in',
      join(out, 'leaf.pem'),
      '-outform',
      'DER',
      '-out',
      join(out, 'leaf.der'),
    ]);
    const key = (args: string[]) => ['-newkey', ...args];
    await selfSignedDer(out, 'rsa2048', '/CN=rsa2048', { keyArgs: key(['rsa:2048']) });
    await selfSignedDer(out, 'rsa1025', '/CN=rsa1025', { keyArgs: key(['rsa:1025']) });
    const ec = (curve: string) => key(['ec', '-pkeyopt', `ec_paramgen_curve:${curve}`]);
    await selfSignedDer(out, 'p384', '/CN=p384', { keyArgs: ec('P-384') });
    await selfSignedDer(out, 'p521', '/CN=p521', { keyArgs: ec('P-521') });
    await selfSignedDer(out, 'k256', '/CN=k256', { keyArgs: ec('secp256k1') });
    await selfSignedDer(out, 'ed25519', '/CN=ed25519', { keyArgs: key(['ed25519']) });
    await selfSignedDer(out, 'pss', '/CN=pss', {
      keyArgs: key(['rsa-pss', '-pkeyopt', 'rsa_keygen_bits:1024', '-pkeyopt', 'rsa_pss_keygen_md:sha256']),
    });
    // Fulcio's identity form: an otherName holding a UTF8String, beside a registeredID.
    await selfSignedDer(out, 'othername', '/CN=othername', {
      extensions: [
        'subjectAltName=otherName:1.3.6.1.4.1.57264.1.7;UTF8:user@example.com,RID:1.2.3.4,DNS:after.example',
        'extendedKeyUsage=critical,codeSigning',
      ],
    });
    // No SAN, no EKU, no SKI: openssl's req adds a subjectKeyIdentifier unless told not to.
    await selfSignedDer(out, 'plain', '/O=Plain/CN=plain', {
      extensions: ['subjectKeyIdentifier=none', 'authorityKeyIdentifier=none'],
    });
  });
  for (const name of CERTS) certs[name] = new Uint8Array(readFileSync(join(dir, `${name}.der`)));
  leafPem = readFileSync(join(dir, 'leaf.pem'), 'latin1');
  caPem = readFileSync(join(dir, 'ca.pem'), 'latin1');
}, 120_000);

let variant = 0;
/**
 * The certificate with its last signature octet changed: the same fields under a digest parseCertificate
 * has not cached, so a test sees the parse itself (the signature is not checked here).
 */
function fresh(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  copy[copy.length - 1] = copy[copy.length - 1]! ^ ((variant++ % 255) + 1);
  return copy;
}

/** parseCertificate on a fresh copy, with the pkijs objects it built. */
function parsedFresh(der: Uint8Array) {
  const input = fresh(der);
  return pkijsBuilt(() => parseCertificate(input));
}

const tbs = (root: DerNode): DerNode[] => root.children![0]!.children!;
/**
 * The certificate with one more extension, whose value asn1js reads its own way (an indefinite-length
 * SEQUENCE), so parseCertificate leaves it to pkijs.
 */
const UNREAD = '1.3.6.1.4.1.55555.9';
const unmodelled = (der: Uint8Array) => withExtension(der, UNREAD, new Uint8Array([0x30, 0x80, 0, 0]));
const SUBJECT = 5;
const SPKI = 6;
const EXTENSIONS = 7;
const oidNode = (oid: string): DerNode => ({
  id: 0x06,
  content: new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).valueBlock.toBER()),
});
const prim = (id: number, ...content: number[]): DerNode => ({ id, content: new Uint8Array(content) });
const cons = (id: number, ...children: DerNode[]): DerNode => ({ id, children });
const text = (id: number, value: string): DerNode => ({ id, content: latin1(value) });

/** `der` with extension `oid` holding `value` (replacing the one there, or added last). */
function withExtension(der: Uint8Array, oid: string, value: Uint8Array, critical = false): Uint8Array {
  return derRebuilt(der, (root) => {
    const list = tbs(root)[EXTENSIONS]!.children![0]!.children!;
    const ext = cons(0x30, oidNode(oid), ...(critical ? [prim(0x01, 0xff)] : []), {
      id: 0x04,
      content: value,
    });
    const at = list.findIndex((e) => hex(e.children![0]!.content!) === hex(oidNode(oid).content!));
    if (at >= 0) list[at] = ext;
    else list.push(ext);
  });
}
const SAN = '2.5.29.17';
const EKU = '2.5.29.37';
const SKI = '2.5.29.14';
const sanOf = (...names: DerNode[]) => derEncode(cons(0x30, ...names));

describe('parseCertificate: the summary of an openssl chain, exactly', () => {
  it('the leaf openssl x509 -req signed: names, serial, SANs, EKUs, key, validity, all without pkijs', () => {
    const der = certs.leaf;
    const { value: p, built } = parsedFresh(der);
    expect(built).toStrictEqual(NONE);
    expect(p.summary).toMatchObject({
      subject: 'SERIALNUMBER=42,CN=signer,OU=Builds,O=Signer Co,L=Austin,ST=Texas,C=US',
      issuer: 'CN=X5 CA,O=X5 Root,C=DE',
      serialNumber: '00ff01',
      publicKeyAlgorithm: 'RSA-2048',
      subjectAlternativeNames: [
        'dns:signer.example',
        'email:signer@example.com',
        'uri:https://example.com/id',
        'ip:10.1.2.3',
        'ip:20010db8000000000000000000000001',
      ],
      extendedKeyUsages: ['codeSigning', 'timeStamping', 'lifetimeSigning'],
    });
    expect(Object.keys(p.summary)).toHaveLength(11);
    const exact = parseCertificate(der);
    expect(exact.summary.sha256Fingerprint).toBe(sha256Hex(der));
    expect(exact.summary.sha1Fingerprint).toBe(sha1Hex(der));
    expect(exact.summary.spkiSha256).toBe(sha256Hex(exact.spkiDer));
    expect(Date.parse(p.summary.notAfter) - Date.parse(p.summary.notBefore)).toBe(30 * 86_400_000);
    expect(p.summary.notBefore).toBe(p.notBefore.toISOString());
    expect(p.summary.notAfter).toBe(p.notAfter.toISOString());
    expect(hex(p.serialNumber)).toBe('00ff01');
    // openssl's subjectKeyIdentifier=hash: SHA-1 of the subjectPublicKey bits.
    expect(hex(p.subjectKeyIdentifier!)).toBe(sha1Hex(p.subjectPublicKey));
    expect(p.version).toBe(2);
    expect(p.spkiAlgorithm).toBe('1.2.840.113549.1.1.1');
    expect(p.spkiParameterOid).toBeUndefined();
    expect(p.signatureAlgorithm).toBe('1.2.840.10045.4.3.2');
    expect(hex(p.issuerDer)).toBe(hex(parseCertificate(certs.ca).subjectDer));
    expect(hex(p.issuerDer)).not.toBe(hex(p.subjectDer));
  });

  it('the CA: EC P-256, its curve named, no SAN or EKU in the summary', () => {
    const { value: p, built } = parsedFresh(certs.ca);
    expect(built).toStrictEqual(NONE);
    expect(p.summary.subject).toBe('CN=X5 CA,O=X5 Root,C=DE');
    expect(p.summary.issuer).toBe(p.summary.subject);
    expect(p.summary.publicKeyAlgorithm).toBe('ECDSA-P-256');
    expect(p.spkiParameterOid).toBe('1.2.840.10045.3.1.7');
    expect(p.summary).not.toHaveProperty('subjectAlternativeNames');
    expect(p.summary).not.toHaveProperty('extendedKeyUsages');
  });

  it('key algorithms: RSA sizes in octets, curves by name or OID, Ed25519, RSA-PSS', () => {
    const names = Object.fromEntries(
      (['rsa2048', 'rsa1025', 'p384', 'p521', 'k256', 'ed25519', 'pss'] as const).map((n) => {
        const { value, built } = parsedFresh(certs[n]);
        // RSASSA-PSS-params in the key algorithm are left to pkijs by the DER reader (x509-fields.ts).
        expect(built, n).toStrictEqual(n === 'pss' ? { ...NONE, certificate: 1 } : NONE);
        return [n, value.summary.publicKeyAlgorithm];
      }),
    );
    expect(names).toStrictEqual({
      rsa2048: 'RSA-2048',
      // pkijs' count: whole octets of the modulus (129 for a 1025-bit key).
      rsa1025: 'RSA-1032',
      p384: 'ECDSA-P-384',
      p521: 'ECDSA-P-521',
      k256: 'ECDSA-1.3.132.0.10',
      ed25519: 'Ed25519',
      pss: 'RSA-1024',
    });
  });

  it('no SKI, SAN or EKU: none in the fields or the summary', () => {
    const { value: p, built } = parsedFresh(certs.plain);
    expect(built).toStrictEqual(NONE);
    expect(p.subjectKeyIdentifier).toBeUndefined();
    expect(p.summary.subject).toBe('CN=plain,O=Plain');
    expect(Object.keys(p.summary).sort()).toStrictEqual(
      [
        'issuer',
        'notAfter',
        'notBefore',
        'publicKeyAlgorithm',
        'serialNumber',
        'sha1Fingerprint',
        'sha256Fingerprint',
        'spkiSha256',
        'subject',
      ].sort(),
    );
  });

  it("Fulcio's otherName SAN (UTF8String) and a registeredID are read by pkijs; the RID is not shown", () => {
    const { value: p, built } = parsedFresh(certs.othername);
    expect(built).toStrictEqual({ ...NONE, extension: 1 });
    expect(p.summary.subjectAlternativeNames).toStrictEqual([
      'othername:1.3.6.1.4.1.57264.1.7:user@example.com',
      'dns:after.example',
    ]);
    // A critical EKU is read as any other: the flag does not hide the value.
    expect(p.summary.extendedKeyUsages).toStrictEqual(['codeSigning']);
  });
});

describe('subjectAlternativeNames: each GeneralName shape, and which reader reads it', () => {
  const sans = (...names: DerNode[]) => {
    const { value, built } = parsedFresh(withExtension(certs.plain, SAN, sanOf(...names)));
    return { names: value.summary.subjectAlternativeNames, pkijs: built.extension };
  };
  const dns = (name: string) => text(0x82, name);

  it('rfc822Name, dNSName, URI, iPv4, iPv6 and other lengths are read here, in order', () => {
    expect(
      sans(
        text(0x86, 'urn:x'),
        prim(0x87, 192, 0, 2, 1),
        prim(0x87, 1, 2, 3, 4, 5),
        text(0x81, 'a@b.example'),
        dns('d.example'),
      ),
    ).toStrictEqual({
      names: ['uri:urn:x', 'ip:192.0.2.1', 'ip:0102030405', 'email:a@b.example', 'dns:d.example'],
      pkijs: 0,
    });
  });

  it('a directoryName is skipped here; one whose [4] holds two Names, or no Name, goes to pkijs', () => {
    const name = cons(0x30, cons(0x31, cons(0x30, oidNode('2.5.4.3'), text(0x0c, 'dir'))));
    expect(sans(cons(0xa4, name), dns('x.example'))).toStrictEqual({ names: ['dns:x.example'], pkijs: 0 });
    expect(sans(cons(0xa4, name, name), dns('x.example')).pkijs).toBe(1);
    expect(sans(cons(0xa4, prim(0x05)), dns('x.example')).pkijs).toBe(1);
    // A Name under a constructed tag other than context [4] is no directoryName.
    expect(sans(cons(0xa1, name), dns('x.example')).pkijs).toBe(1);
    expect(sans(cons(0x24, name), dns('x.example')).pkijs).toBe(1);
    // A primitive [4] is no directoryName: left to pkijs, which reads nothing from the list.
    expect(sans(prim(0x84, 1), dns('x.example')).pkijs).toBe(1);
  });

  it('an empty name, a constructed one, a universal tag, and the types not shown go to pkijs', () => {
    expect(sans(dns(''), dns('x.example'))).toStrictEqual({ names: ['dns:', 'dns:x.example'], pkijs: 1 });
    expect(sans(prim(0x88, 0x2a), dns('x.example'))).toStrictEqual({ names: ['dns:x.example'], pkijs: 1 });
    expect(sans(text(0x16, 'ia5'), dns('x.example')).pkijs).toBe(1);
    // Universal tag 2 (INTEGER) is not dNSName [2].
    expect(sans(text(0x02, 'int'), dns('x.example')).pkijs).toBe(1);
    expect(sans(cons(0xa2, text(0x16, 'c')), dns('x.example')).pkijs).toBe(1);
    expect(sans(cons(0xa1, text(0x16, 'c')), dns('x.example')).pkijs).toBe(1);
    expect(sans(cons(0xa6, text(0x16, 'c')), dns('x.example')).pkijs).toBe(1);
  });

  it('an empty SAN SEQUENCE, a SET, unreadable bytes: pkijs, and no names in the summary', () => {
    const only = (value: Uint8Array) => {
      const { value: p, built } = parsedFresh(withExtension(certs.plain, SAN, value));
      return { names: p.summary.subjectAlternativeNames, pkijs: built.extension };
    };
    expect(only(sanOf())).toStrictEqual({ names: undefined, pkijs: 1 });
    expect(only(derEncode(cons(0x31, dns('set.example'))))).toStrictEqual({ names: undefined, pkijs: 1 });
    expect(only(new Uint8Array([0x30, 0x05, 0x82]))).toStrictEqual({ names: undefined, pkijs: 1 });
    // A primitive SEQUENCE (identifier 10, not 30).
    expect(only(derEncode(prim(0x10, 0x82, 0x01, 0x61))).pkijs).toBe(1);
    // A context [16] is no SEQUENCE.
    expect(only(derEncode(cons(0xb0, dns('ctx.example')))).pkijs).toBe(1);
  });
});

describe('extendedKeyUsages: a SEQUENCE of minimal OIDs is read here, anything else by pkijs', () => {
  const ekus = (value: Uint8Array) => {
    const { value: p, built } = parsedFresh(withExtension(certs.plain, EKU, value));
    return { ekus: p.summary.extendedKeyUsages, pkijs: built.extension };
  };
  const seq = (...oids: string[]) => derEncode(cons(0x30, ...oids.map(oidNode)));

  it('known purposes by name, others as dotted OIDs, in order', () => {
    expect(ekus(seq('1.3.6.1.5.5.7.3.8', '1.2.3.4.5', '2.5.29.37.0'))).toStrictEqual({
      ekus: ['timeStamping', '1.2.3.4.5', 'anyExtendedKeyUsage'],
      pkijs: 0,
    });
  });

  it('an empty list, a SET, a primitive SEQUENCE, a non-minimal OID, garbage: pkijs', () => {
    expect(ekus(seq())).toStrictEqual({ ekus: undefined, pkijs: 1 });
    expect(ekus(derEncode(cons(0x31, oidNode('1.3.6.1.5.5.7.3.3'))))).toStrictEqual({
      ekus: undefined,
      pkijs: 1,
    });
    expect(ekus(derEncode(prim(0x10, 0x06, 0x01, 0x2a))).pkijs).toBe(1);
    expect(ekus(derEncode(cons(0xb0, oidNode('1.3.6.1.5.5.7.3.3')))).pkijs).toBe(1);
    // 1.3.6.1.5.5.7.3.3 with its last arc written 80 03: asn1js reads the number, not the bytes.
    const padded = derEncode(
      cons(
        0x30,
        oidNode('1.3.6.1.5.5.7.3.8'),
        prim(0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x80, 0x03),
      ),
    );
    expect(ekus(padded).pkijs).toBe(1);
    expect(ekus(new Uint8Array([0x30, 0x03, 0x06]))).toStrictEqual({ ekus: undefined, pkijs: 1 });
  });
});

describe('subjectKeyIdentifier: an OCTET STRING is read here', () => {
  const ski = (value: Uint8Array, critical = false) => {
    const { value: p, built } = parsedFresh(withExtension(certs.plain, SKI, value, critical));
    return { ski: p.subjectKeyIdentifier && hex(p.subjectKeyIdentifier), pkijs: built.extension };
  };

  it('its contents, critical or not (the value is the last part of the extension)', () => {
    expect(ski(derEncode(prim(0x04, 0xab, 0xcd)))).toStrictEqual({ ski: 'abcd', pkijs: 0 });
    expect(ski(derEncode(prim(0x04, 0xab, 0xcd)), true)).toStrictEqual({ ski: 'abcd', pkijs: 0 });
  });

  it('a value of another type gives none, and asks nothing of pkijs', () => {
    expect(ski(derEncode(prim(0x02, 0x05)))).toStrictEqual({ ski: undefined, pkijs: 0 });
    expect(ski(derEncode(prim(0x84, 0x05)))).toStrictEqual({ ski: undefined, pkijs: 0 });
  });

  it('a constructed OCTET STRING or unreadable bytes go to pkijs', () => {
    expect(ski(derEncode(cons(0x24, prim(0x04, 0xab)))).pkijs).toBe(1);
    expect(ski(new Uint8Array([0x04, 0x05, 0x01]))).toStrictEqual({ ski: undefined, pkijs: 1 });
  });
});

describe('names: Go-known attributes in simple strings are read here, anything else through pkijs', () => {
  /** The plain certificate ("/O=Plain/CN=plain") with the CN value replaced. */
  const withCn = (value: DerNode) =>
    derRebuilt(certs.plain, (root) => {
      tbs(root)[SUBJECT]!.children!.at(-1)!.children![0]!.children![1] = value;
    });
  const subject = (value: DerNode) => {
    const { value: p, built } = parsedFresh(withCn(value));
    return { subject: p.summary.subject, pkijs: built.names };
  };

  it('PrintableString, IA5String and UTF8String (latin1, latin1, strict UTF-8)', () => {
    expect(subject(text(0x13, 'Printable'))).toStrictEqual({ subject: 'CN=Printable,O=Plain', pkijs: 0 });
    expect(subject(text(0x16, 'ia5'))).toStrictEqual({ subject: 'CN=ia5,O=Plain', pkijs: 0 });
    expect(subject({ id: 0x0c, content: new Uint8Array(Buffer.from('Tëxas ✓')) })).toStrictEqual({
      subject: 'CN=Tëxas ✓,O=Plain',
      pkijs: 0,
    });
  });

  it('invalid UTF-8, a BMPString, a T61String, a constructed or context value: pkijs', () => {
    expect(subject(prim(0x0c, 0x61, 0xc3)).pkijs).toBe(1);
    expect(
      subject({ id: 0x1e, content: new Uint8Array(Buffer.from('\u00ffb', 'utf16le').swap16()) }),
    ).toStrictEqual({
      subject: 'CN=\u00ffb,O=Plain',
      pkijs: 1,
    });
    expect(subject(text(0x14, 't61')).pkijs).toBe(1);
    expect(subject(cons(0x30, text(0x13, 'x'))).pkijs).toBe(1);
    expect(subject(text(0x83, 'x')).pkijs).toBe(1);
    // The tag numbers of PrintableString and UTF8String, in another class or constructed.
    expect(subject(text(0x93, 'x')).pkijs).toBe(1);
    expect(subject(text(0x8c, 'x')).pkijs).toBe(1);
  });

  it('escapes: # and a space first are escaped alone too; # elsewhere only with another escape', () => {
    expect(subject(text(0x0c, '#hash')).subject).toBe('CN=\\#hash,O=Plain');
    expect(subject(text(0x0c, ' lead')).subject).toBe('CN=\\ lead,O=Plain');
    expect(subject(text(0x0c, 'a#b, c')).subject).toBe('CN=a#b\\, c,O=Plain');
  });

  // Go's Name.String() puts unknown attributes first in the sequence it prints reversed (Go issue 39924).
  it('an attribute type Go does not name is printed as oid=#<DER>, after the known ones', () => {
    const p = parseCertificate(
      derRebuilt(certs.plain, (root) => {
        const rdn = tbs(root)[SUBJECT]!.children!.at(-1)!;
        rdn.children![0]!.children![0] = oidNode('2.5.4.42');
      }),
    );
    expect(p.summary.subject).toBe('O=Plain,2.5.4.42=#0c05706c61696e');
  });
});

describe('RSA key sizes: the plain SEQUENCE { modulus, exponent } is read here, anything else by pkijs', () => {
  /** rsa2048 with its subjectPublicKey replaced by `key` (no unused bits). */
  const withKey = (key: Uint8Array) =>
    derRebuilt(certs.rsa2048, (root) => {
      tbs(root)[SPKI]!.children![1] = { id: 0x03, content: new Uint8Array([0, ...key]) };
    });
  const keyOf = (der: Uint8Array) => derTree(parseCertificate(der).subjectPublicKey);
  const size = (key: Uint8Array) => {
    const { value: p, built } = parsedFresh(withKey(key));
    return { name: p.summary.publicKeyAlgorithm, pkijs: built.rsaKey };
  };
  const modulus = (rsa: DerNode) => rsa.children![0]!.content!;
  const rsa = (...ints: DerNode[]) => derEncode(cons(0x30, ...ints));

  it('one leading zero octet of the modulus is the sign, a second one is discounted too', () => {
    const key = keyOf(certs.rsa2048);
    expect(modulus(key)[0]).toBe(0);
    expect(modulus(key)).toHaveLength(257);
    const exponent = key.children![1]!;
    expect(size(rsa({ id: 0x02, content: modulus(key) }, exponent))).toStrictEqual({
      name: 'RSA-2048',
      pkijs: 0,
    });
    const twoZeros = new Uint8Array([0, ...modulus(key)]);
    expect(size(rsa({ id: 0x02, content: twoZeros }, exponent))).toStrictEqual({
      name: 'RSA-2048',
      pkijs: 0,
    });
    // No sign octet (the high bit set): 256 octets still.
    expect(size(rsa({ id: 0x02, content: modulus(key).subarray(1) }, exponent))).toStrictEqual({
      name: 'RSA-2048',
      pkijs: 0,
    });
    // 129 octets of a 1025-bit modulus: no sign octet, counted whole.
    expect(modulus(keyOf(certs.rsa1025))).toHaveLength(129);
  });

  it('bytes after the SEQUENCE, a third INTEGER, a non-INTEGER, an empty or constructed one: pkijs', () => {
    const key = keyOf(certs.rsa2048);
    const exponent = key.children![1]!;
    const m = { id: 0x02, content: modulus(key) };
    expect(size(new Uint8Array([...rsa(m, exponent), 0x00]))).toStrictEqual({ name: 'RSA-2048', pkijs: 1 });
    expect(size(rsa(m, exponent, exponent)).pkijs).toBe(1);
    expect(size(rsa(m))).toStrictEqual({ name: 'RSA', pkijs: 1 });
    expect(size(rsa({ id: 0x04, content: modulus(key) }, exponent)).pkijs).toBe(1);
    expect(size(rsa({ id: 0x82, content: modulus(key) }, exponent)).pkijs).toBe(1);
    expect(size(rsa(m, prim(0x02))).pkijs).toBe(1);
    expect(size(rsa(cons(0x22, m), exponent)).pkijs).toBe(1);
    expect(size(derEncode(cons(0x31, m, exponent))).pkijs).toBe(1);
    expect(size(derEncode({ id: 0x10, content: rsa(m, exponent).subarray(4) })).pkijs).toBe(1);
    expect(size(rsa(cons(0x30, m, exponent).children![0]!, exponent)).pkijs).toBe(0);
    expect(size(derEncode(cons(0xb0, m, exponent))).pkijs).toBe(1);
    // pkijs drops one leading zero octet of the modulus, and one more is discounted after it.
    const twoZeros = { id: 0x02, content: new Uint8Array([0, ...modulus(key)]) };
    expect(size(new Uint8Array([...rsa(twoZeros, exponent), 0x00]))).toStrictEqual({
      name: 'RSA-2048',
      pkijs: 1,
    });
    expect(
      size(new Uint8Array([...rsa({ id: 0x02, content: modulus(key).subarray(1) }, exponent), 0x00])),
    ).toStrictEqual({
      name: 'RSA-2048',
      pkijs: 1,
    });
    // Unreadable: neither reader gets a modulus.
    expect(size(new Uint8Array([0x30, 0x05, 0x02]))).toStrictEqual({ name: 'RSA', pkijs: 1 });
  });

  it('an RSA-PSS key pkijs cannot read either is named RSA, not by its OID', () => {
    const der = derRebuilt(certs.pss, (root) => {
      tbs(root)[SPKI]!.children![1] = { id: 0x03, content: new Uint8Array([0, 0x30, 0x05, 0x02]) };
    });
    expect(parseCertificate(der).summary.publicKeyAlgorithm).toBe('RSA');
  });

  it('an EC key whose parameters are no OID has no curve name', () => {
    const der = derRebuilt(certs.plain, (root) => {
      tbs(root)[SPKI]!.children![0]!.children![1] = prim(0x05);
    });
    const p = parseCertificate(der);
    expect(p.spkiParameterOid).toBeUndefined();
    expect(p.summary.publicKeyAlgorithm).toBe('ECDSA-unknown');
  });
});

describe('the pkijs objects: built on first use, once, and from the certificate once it is built', () => {
  it('extension(): pkijs Extension of the stored bytes, kept; undefined for an absent OID', () => {
    const { value: p } = parsedFresh(certs.leaf);
    const first = pkijsBuilt(() => p.extension('2.5.29.19'));
    expect(first.built).toStrictEqual({ ...NONE, extension: 1 });
    expect(first.value!.critical).toBe(true);
    expect((first.value!.parsedValue as pkijs.BasicConstraints).cA).toBe(false);
    expect(pkijsBuilt(() => p.extension('2.5.29.19'))).toStrictEqual({ value: first.value, built: NONE });
    expect(pkijsBuilt(() => p.extension('1.2.3.4'))).toStrictEqual({ value: undefined, built: NONE });
    // Once the Certificate is built its own extensions answer.
    const cert = pkijsBuilt(() => p.cert);
    expect(cert.built).toStrictEqual({ ...NONE, certificate: 1 });
    expect(cert.value).toBeInstanceOf(pkijs.Certificate);
    expect(pkijsBuilt(() => p.cert)).toStrictEqual({ value: cert.value, built: NONE });
    const ku = pkijsBuilt(() => p.extension('2.5.29.15'));
    expect(ku.built).toStrictEqual(NONE);
    expect(ku.value).toBe(cert.value.extensions!.find((e) => e.extnID === '2.5.29.15'));
    expect(p.extension('1.2.3.4')).toBeUndefined();
  });

  it('issuerName and subjectName: built once from the stored Name, then the certificate’s', () => {
    const { value: p } = parsedFresh(certs.leaf);
    const issuer = pkijsBuilt(() => p.issuerName);
    expect(issuer.built).toStrictEqual({ ...NONE, names: 1 });
    expect(formatName(issuer.value)).toBe('CN=X5 CA,O=X5 Root,C=DE');
    expect(p.issuerName).toBe(issuer.value);
    const subject = pkijsBuilt(() => p.subjectName);
    expect(subject.built).toStrictEqual({ ...NONE, names: 1 });
    expect(formatName(subject.value)).toBe(p.summary.subject);
    expect(p.subjectName).toBe(subject.value);
    const cert = p.cert;
    expect(p.issuerName).toBe(cert.issuer);
    expect(p.subjectName).toBe(cert.subject);
  });

  it('a non-OCTET STRING SKI stays absent after the Certificate is built too', () => {
    const p = parseCertificate(fresh(withExtension(certs.plain, SKI, derEncode(prim(0x02, 0x05)))));
    expect(p.subjectKeyIdentifier).toBeUndefined();
    expect(p.cert.extensions!.map((e) => e.extnID)).toContain(SKI);
  });
});

describe('certificates the DER reader leaves to pkijs give the same fields from pkijs', () => {
  it('the leaf, field by field', () => {
    const fast = parseCertificate(certs.leaf);
    const ber = unmodelled(certs.leaf);
    const { value: p, built } = pkijsBuilt(() => parseCertificate(ber));
    expect(built).toStrictEqual({ ...NONE, certificate: 1 });
    expect(p.summary).toStrictEqual({
      ...fast.summary,
      sha256Fingerprint: sha256Hex(ber),
      sha1Fingerprint: sha1Hex(ber),
    });
    expect(p.der).toStrictEqual(ber);
    expect(p.cert).toBeInstanceOf(pkijs.Certificate);
    expect(hex(p.issuerDer)).toBe(hex(fast.issuerDer));
    expect(hex(p.subjectDer)).toBe(hex(fast.subjectDer));
    expect(hex(p.serialNumber)).toBe('00ff01');
    expect(hex(p.subjectKeyIdentifier!)).toBe(hex(fast.subjectKeyIdentifier!));
    expect(hex(p.tbs)).toBe(hex(new Uint8Array(p.cert.tbsView)));
    expect(p.tbs.length).toBe(fast.tbs.length + 19); // 30 11 06 09 <UNREAD> 04 04 30 80 00 00
    expect(p.extension(UNREAD)).toBeDefined();
    expect(p.version).toBe(2);
    expect(p.notBefore.getTime()).toBe(fast.notBefore.getTime());
    expect(p.notAfter.getTime()).toBe(fast.notAfter.getTime());
    expect(hex(p.spkiDer)).toBe(hex(fast.spkiDer));
    expect(p.spkiAlgorithm).toBe('1.2.840.113549.1.1.1');
    expect(p.spkiParameterOid).toBeUndefined();
    expect(hex(p.subjectPublicKey)).toBe(hex(fast.subjectPublicKey));
    expect(p.signatureAlgorithm).toBe('1.2.840.10045.4.3.2');
    expect(hex(p.signatureValue)).toBe(hex(fast.signatureValue));
    expect(p.issuerName).toBe(p.cert.issuer);
    expect(p.subjectName).toBe(p.cert.subject);
    expect(p.extension('2.5.29.19')).toBe(p.cert.extensions!.find((e) => e.extnID === '2.5.29.19'));
    expect(p.extension('1.2.3.4')).toBeUndefined();
  });

  it('an EC CA (the curve as the parameter OID), a certificate without SKI, SAN or EKU', () => {
    const ca = parseCertificate(unmodelled(certs.ca));
    expect(ca.spkiParameterOid).toBe('1.2.840.10045.3.1.7');
    expect(ca.summary.publicKeyAlgorithm).toBe('ECDSA-P-256');
    const plain = parseCertificate(unmodelled(certs.plain));
    expect(plain.subjectKeyIdentifier).toBeUndefined();
    expect(plain.summary).toStrictEqual({
      ...parseCertificate(certs.plain).summary,
      sha256Fingerprint: plain.summary.sha256Fingerprint,
      sha1Fingerprint: plain.summary.sha1Fingerprint,
    });
    expect(plain.summary).not.toHaveProperty('subjectAlternativeNames');
    const other = parseCertificate(unmodelled(certs.othername));
    expect(other.summary.subjectAlternativeNames).toStrictEqual([
      'othername:1.3.6.1.4.1.57264.1.7:user@example.com',
      'dns:after.example',
    ]);
    expect(other.summary.extendedKeyUsages).toStrictEqual(['codeSigning']);
  });

  it('an SKI that is no OCTET STRING gives none from pkijs either', () => {
    const p = parseCertificate(unmodelled(withExtension(certs.plain, SKI, derEncode(prim(0x02, 0x05)))));
    expect(p.subjectKeyIdentifier).toBeUndefined();
    expect(p.cert.extensions!.map((e) => e.extnID)).toContain(SKI);
  });

  it('an otherName whose value is no string: the type OID, then the value as asn1js prints it', () => {
    // pkijs' schema admits only OID + [0] { one element }, so otherNameString's catch is not reached.
    const odd = sanOf(
      cons(0xa0, oidNode('1.2.3'), cons(0xa0, cons(0x30, prim(0x05)))),
      text(0x82, 'x.example'),
    );
    for (const der of [
      withExtension(certs.plain, SAN, odd),
      unmodelled(withExtension(certs.plain, SAN, odd)),
    ]) {
      // SEQUENCE { NULL }: its value list, printed by asn1js as NULL.
      expect(parseCertificate(der).summary.subjectAlternativeNames).toStrictEqual([
        'othername:1.2.3:NULL',
        'dns:x.example',
      ]);
    }
  });
});

describe('parseCertificate: refusals and the cache', () => {
  it('a certificate the DER reader refuses is refused though pkijs reads it', () => {
    const der = certs.plain;
    const header = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
    const body = new Uint8Array([...der.subarray(header), 0x05, 0x00]);
    const extra = new Uint8Array([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]);
    expect(() => pkijs.Certificate.fromBER(toArrayBuffer(extra))).not.toThrow();
    expect(() => parseCertificate(extra)).toThrow(expect.objectContaining({ code: 'MALFORMED_CERTIFICATE' }));
  });

  it('one pkijs refuses: MALFORMED_CERTIFICATE, pkijs error as the cause', () => {
    const copy = unmodelled9(certs.plain);
    let caught: (Error & { code?: string; cause?: unknown }) | undefined;
    try {
      parseCertificate(copy);
    } catch (err) {
      caught = err as typeof caught;
    }
    expect(caught?.code).toBe('MALFORMED_CERTIFICATE');
    expect(caught?.cause).toBeInstanceOf(Error);
  });

  it('the same bytes give the same object; the cached one keeps its own copy of the bytes', () => {
    const input = fresh(certs.leaf);
    const p = parseCertificate(input);
    expect(parseCertificate(input.slice())).toBe(p);
    const kept = hex(p.der);
    input.fill(0);
    expect(hex(p.der)).toBe(kept);
    expect(p.summary.subject).toBe('SERIALNUMBER=42,CN=signer,OU=Builds,O=Signer Co,L=Austin,ST=Texas,C=US');
    const ber = fresh(unmodelled(certs.leaf));
    const q = parseCertificate(ber);
    const keptBer = hex(q.der);
    ber.fill(0);
    expect(hex(q.der)).toBe(keptBer);
  });
});

/** signatureValue with 9 unused bits: asn1js refuses the BIT STRING, the DER reader leaves it to pkijs. */
function unmodelled9(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  const at = der.findLastIndex((b, i) => b === 0x03 && der[i + 1]! + i + 2 === der.length);
  copy[at + 2] = 9;
  return copy;
}

describe('namesEqual, pemCertificates, extensionValue and the pkijs-object readers', () => {
  const nameDer = (cn: string, tag = 0x0c) =>
    derEncode(cons(0x30, cons(0x31, cons(0x30, oidNode('2.5.4.3'), text(tag, cn)))));

  const bytesOf = (value: string, encoding: BufferEncoding) => new Uint8Array(Buffer.from(value, encoding));
  const named = (...rdns: DerNode[][]) => derEncode(cons(0x30, ...rdns.map((avas) => cons(0x31, ...avas))));
  const ava = (oid: string, id: number, content: Uint8Array): DerNode =>
    cons(0x30, oidNode(oid), { id, content });
  const cn = (value: string, id = 0x0c) =>
    ava('2.5.4.3', id, bytesOf(value, id === 0x0c ? 'utf8' : 'latin1'));
  const o = (value: string) => ava('2.5.4.10', 0x0c, bytesOf(value, 'utf8'));

  it('OpenSSL X509_NAME_cmp: string types converted, ASCII case folded, whitespace trimmed and collapsed', () => {
    const a = nameDer('Signer Co');
    expect(namesEqual(a, a.slice())).toBe(true);
    expect(namesEqual(a, nameDer('signer co'))).toBe(true);
    expect(namesEqual(a, nameDer('  SIGNER \t\n  co '))).toBe(true);
    expect(namesEqual(a, nameDer('Signer Co', 0x13))).toBe(true); // PrintableString
    expect(namesEqual(a, nameDer('Signer Co', 0x16))).toBe(true); // IA5String
    expect(namesEqual(a, nameDer('Signer Co', 0x1a))).toBe(true); // VisibleString
    expect(
      namesEqual(
        a,
        named([ava('2.5.4.3', 0x1e, new Uint8Array(Buffer.from('Signer Co', 'utf16le').swap16()))]),
      ),
    ).toBe(true);
    const utf32 = new Uint8Array([...'Signer Co'].flatMap((c) => [0, 0, 0, c.charCodeAt(0)]));
    expect(namesEqual(a, named([ava('2.5.4.3', 0x1c, utf32)]))).toBe(true); // UniversalString
    expect(namesEqual(a, nameDer('SignerCo'))).toBe(false);
    expect(namesEqual(a, nameDer('Other'))).toBe(false);
  });

  it('no Unicode folding or collation: each of these is another Name for OpenSSL and Go (pkijs said equal)', () => {
    expect(namesEqual(nameDer('Evil\u200bCA'), nameDer('EvilCA'))).toBe(false); // zero-width space
    expect(namesEqual(nameDer('Evil\u00adCA'), nameDer('EvilCA'))).toBe(false); // soft hyphen
    expect(namesEqual(nameDer('Fooa\u0301'), nameDer('Foo\u00e1'))).toBe(false); // decomposed accent
    expect(namesEqual(nameDer('\u212a'), nameDer('k'))).toBe(false); // Kelvin sign
    expect(namesEqual(nameDer('\u00c9'), nameDer('\u00e9'))).toBe(false); // only ASCII case folds
    expect(namesEqual(nameDer('A\u00a0B'), nameDer('A B'))).toBe(false); // no-break space is no whitespace
  });

  it('RDN order and grouping count; attributes inside one RDN are a set; other value types byte for byte', () => {
    const both = named([cn('Signer'), o('Org')]);
    expect(namesEqual(both, named([o('Org'), cn('Signer')]))).toBe(true);
    expect(namesEqual(named([cn('Signer')], [o('Org')]), named([o('Org')], [cn('Signer')]))).toBe(false);
    expect(namesEqual(both, named([cn('Signer')], [o('Org')]))).toBe(false);
    expect(namesEqual(named([cn('Signer')]), named([cn('Signer')], []))).toBe(false);
    const octets = (b: number[]) => named([ava('2.5.4.45', 0x04, new Uint8Array(b))]);
    expect(namesEqual(octets([0x41]), octets([0x41]).slice())).toBe(true);
    expect(namesEqual(octets([0x41]), octets([0x61]))).toBe(false); // not a string type: no case folding
    expect(namesEqual(nameDer('Signer', 0x12), nameDer('signer', 0x12))).toBe(false); // NumericString: raw
  });

  it('whitespace is OpenSSL ossl_isspace (\\v too), stripped at both ends however long the run', () => {
    expect(namesEqual(nameDer('Signer Co'), nameDer('\vSigner\v\vCo\v'))).toBe(true);
    expect(namesEqual(nameDer('Signer Co'), nameDer('Signer Co  \t'))).toBe(true);
    expect(namesEqual(nameDer('Signer Co'), nameDer(' \f Signer Co'))).toBe(true);
    expect(namesEqual(nameDer('SignerVCo'), nameDer('Signer Co'))).toBe(false);
  });

  it('BMPString and UniversalString beyond Latin-1 and beyond the BMP, and their bounds', () => {
    const bmp = (units: number[]) =>
      named([ava('2.5.4.3', 0x1e, new Uint8Array(units.flatMap((u) => [u >> 8, u & 0xff])))]);
    const universal = (cps: number[]) =>
      named([
        ava(
          '2.5.4.3',
          0x1c,
          new Uint8Array(cps.flatMap((c) => [c >>> 24, (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff])),
        ),
      ]);
    const utf8 = (text: string) => named([ava('2.5.4.3', 0x0c, bytesOf(text, 'utf8'))]);
    expect(namesEqual(bmp([0x3a9, 0x41]), utf8('\u03a9a'))).toBe(true);
    expect(namesEqual(universal([0x3a9, 0x41]), utf8('\u03a9a'))).toBe(true);
    expect(namesEqual(universal([0x10ffff]), utf8('\u{10ffff}'))).toBe(true);
    expect(namesEqual(universal([0xe000]), utf8('\ue000'))).toBe(true);
    // Surrogate code points are no characters in a UniversalString: unreadable, though a BMPString may
    // carry the same lone unit.
    expect(namesEqual(universal([0xd800]), bmp([0xd800]))).toBe(false);
    expect(namesEqual(universal([0xdfff]), bmp([0xdfff]))).toBe(false);
    expect(namesEqual(universal([0xd7ff]), bmp([0xd7ff]))).toBe(true);
    expect(namesEqual(universal([0x110000]), universal([0x110000]).slice())).toBe(true); // bytes
    expect(namesEqual(universal([0x110000]), utf8('a'))).toBe(false);
    // A length that is no multiple of 4 (UniversalString) or 2 (BMPString) is unreadable, even where the
    // whole units would read the same.
    const cut = (id: number, bytes: number[]) => named([ava('2.5.4.3', id, new Uint8Array(bytes))]);
    expect(namesEqual(cut(0x1c, [0, 0, 0, 0x41, 0]), cut(0x1c, [0, 0, 0, 0x61, 0]))).toBe(false);
    expect(namesEqual(cut(0x1e, [0, 0x41, 0]), cut(0x1e, [0, 0x61, 0]))).toBe(false);
  });

  it('only universal, primitive string values are decoded; Name, RDN and AVA must have their universal tags', () => {
    const valueTagged = (id: number) => named([ava('2.5.4.3', id, latin1('A'))]);
    expect(namesEqual(valueTagged(0x8c), nameDer('a'))).toBe(false); // [12] IMPLICIT, not a UTF8String
    expect(namesEqual(valueTagged(0x8c), valueTagged(0x8c).slice())).toBe(true);
    const constructed = named([cons(0x30, oidNode('2.5.4.3'), cons(0x2c, text(0x0c, 'A')))]);
    expect(
      namesEqual(constructed, named([cons(0x30, oidNode('2.5.4.3'), cons(0x2c, text(0x0c, 'a')))])),
    ).toBe(false);
    const setOf = (outer: number, set: number, seq: number, value: string) =>
      derEncode(cons(outer, cons(set, cons(seq, oidNode('2.5.4.3'), text(0x0c, value)))));
    expect(namesEqual(setOf(0x30, 0x31, 0x30, 'A'), setOf(0x30, 0x31, 0x30, 'a'))).toBe(true); // the control
    expect(namesEqual(setOf(0x31, 0x31, 0x30, 'A'), setOf(0x31, 0x31, 0x30, 'a'))).toBe(false); // Name a SET
    expect(namesEqual(setOf(0xb0, 0x31, 0x30, 'A'), setOf(0xb0, 0x31, 0x30, 'a'))).toBe(false); // [16]
    expect(namesEqual(setOf(0x30, 0x30, 0x30, 'A'), setOf(0x30, 0x30, 0x30, 'a'))).toBe(false); // RDN a SEQUENCE
    expect(namesEqual(setOf(0x30, 0xb1, 0x30, 'A'), setOf(0x30, 0xb1, 0x30, 'a'))).toBe(false); // [17]
    expect(namesEqual(setOf(0x30, 0x31, 0x31, 'A'), setOf(0x30, 0x31, 0x31, 'a'))).toBe(false); // AVA a SET
    expect(namesEqual(setOf(0x30, 0x31, 0xb0, 'A'), setOf(0x30, 0x31, 0xb0, 'a'))).toBe(false); // [16]
    // The same bytes with the constructed bit cleared: primitive SEQUENCE, SET and AVA.
    const primitive = (der: Uint8Array, at: number) =>
      Uint8Array.from(der, (x, i) => (i === at ? x & ~0x20 : x));
    for (const at of [0, 2, 4]) {
      expect(namesEqual(primitive(setOf(0x30, 0x31, 0x30, 'A'), at), setOf(0x30, 0x31, 0x30, 'a'))).toBe(
        false,
      );
    }
  });

  it('unreadable Names are equal to nothing, not even themselves, unless byte-identical', () => {
    const badUtf8 = named([ava('2.5.4.3', 0x0c, new Uint8Array([0xc3, 0x28]))]);
    expect(namesEqual(badUtf8, named([ava('2.5.4.3', 0x0c, new Uint8Array([0xc3, 0x29]))]))).toBe(false);
    expect(namesEqual(badUtf8, badUtf8.slice())).toBe(true);
    const oddBmp = named([ava('2.5.4.3', 0x1e, new Uint8Array([0, 0x41, 0]))]);
    expect(namesEqual(oddBmp, nameDer('A'))).toBe(false);
    const surrogate = named([ava('2.5.4.3', 0x1c, new Uint8Array([0, 0, 0xd8, 0]))]);
    expect(namesEqual(surrogate, nameDer('A'))).toBe(false);
    const trailing = new Uint8Array([...nameDer('A'), 0]);
    expect(namesEqual(trailing, nameDer('a'))).toBe(false);
    expect(namesEqual(new Uint8Array(), new Uint8Array())).toBe(false);
    expect(namesEqual(derEncode(cons(0x31, cn('A'))), derEncode(cons(0x31, cn('a'))))).toBe(false); // a SET, no Name
    expect(namesEqual(derEncode(cons(0x30, cons(0x30, cn('A')))), nameDer('a'))).toBe(false); // RDN not a SET
    expect(
      namesEqual(named([cons(0x30, oidNode('2.5.4.3'))]), named([cons(0x30, oidNode('2.5.4.3'))]).slice()),
    ).toBe(true);
    expect(namesEqual(named([cons(0x30, oidNode('2.5.4.3'))]), nameDer('a'))).toBe(false); // AVA without a value
  });

  it('pemCertificates: every CERTIFICATE block, whitespace dropped, other blocks ignored', () => {
    const ders = pemCertificates(
      `junk\n${caPem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${leafPem.replace(/\n/g, '\r\n  ')}`,
    );
    expect(ders.map((d) => parseCertificate(d).summary.sha256Fingerprint)).toStrictEqual([
      sha256Hex(certs.ca),
      sha256Hex(certs.leaf),
    ]);
    expect(pemCertificates('no certificate here')).toStrictEqual([]);
  });

  it('extensionValue: the raw extnValue of an OID, undefined without one', () => {
    const cert = parseCertificate(certs.leaf).cert;
    expect(hex(extensionValue(cert, SKI)!)).toBe(
      `0414${sha1Hex(parseCertificate(certs.leaf).subjectPublicKey)}`,
    );
    expect(extensionValue(cert, '1.3.6.1.4.1.57264.1.1')).toBeUndefined();
    const none = parseCertificate(certs.plain).cert;
    expect(extensionValue(none, SAN)).toBeUndefined();
  });

  it('subjectAlternativeNames, extendedKeyUsages, publicKeyAlgorithm on a pkijs Certificate', () => {
    const cert = parseCertificate(certs.leaf).cert;
    expect(subjectAlternativeNames(cert)).toStrictEqual(
      parseCertificate(certs.leaf).summary.subjectAlternativeNames,
    );
    expect(extendedKeyUsages(cert)).toStrictEqual(['codeSigning', 'timeStamping', 'lifetimeSigning']);
    expect(publicKeyAlgorithm(cert.subjectPublicKeyInfo)).toBe('RSA-2048');
    expect(publicKeyAlgorithm(parseCertificate(certs.p384).cert.subjectPublicKeyInfo)).toBe('ECDSA-P-384');
    expect(subjectAlternativeNames(parseCertificate(certs.plain).cert)).toStrictEqual([]);
    expect(extendedKeyUsages(parseCertificate(certs.plain).cert)).toStrictEqual([]);
  });
});
