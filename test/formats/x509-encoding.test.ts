/**
 * parseCertificate on certificates changed outside the signed tbsCertificate, where anyone holding a
 * certificate can change bytes without breaking the issuer's signature, and where the readers a verdict
 * stands for disagree:
 * - a length not in its shortest form: Go's crypto/x509 (cryptobyte) refuses it; OpenSSL, the JDK and
 *   asn1js read it (checked: `openssl verify` below, jarsigner in test/trust/families/jar-cert-encoding);
 * - signatureAlgorithm not byte for byte the tbsCertificate's signature field (RFC 5280 4.1.1.2): Go
 *   compares the bytes, OpenSSL's X509_verify the values (absent parameters and NULL differ), the JDK
 *   the values with absent and NULL alike;
 * - bytes after the certificate: Go refuses them ("x509: trailing data"), pkijs and OpenSSL's d2i do not.
 * sigscan refuses all three, whatever the family: a certificate one consumer refuses is no certificate.
 * And one rule inside the signed bytes, where every one of those readers agrees and sigscan read the first
 * instance: an extension twice (RFC 5280 4.2; Go "duplicate extension", OpenSSL "invalid certificate",
 * the JDK "Duplicate extensions not allowed"), signed again by the CA so only the repeat differs.
 * Inputs: an openssl CA and a leaf it issued (`openssl x509 -req`), rebuilt element by element with one
 * change, and `openssl verify`'s answer on each, made once per UTC day.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import { toArrayBuffer } from '../../src/formats/der.js';
import { childrenOf, readElement } from '../../src/formats/der-reader.js';
import { parseCertificate } from '../../src/formats/x509.js';
import { concatBytes, derRebuilt, resignedCertificate, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { toPem } from '../helpers/pe/vendor.js';
import { run } from '../helpers/tools.js';

const READ = { code: 'MALFORMED_CERTIFICATE' } as const;
/** tbsCertificate's fields: [0] version, serial, signature, issuer, validity, subject, spki, [3] extensions. */
const tbs = (root: DerNode): DerNode[] => root.children![0]!.children!;
const EXTENSIONS = 7;

/** Each change, applied to the leaf. */
const VARIANTS = {
  asIssued: (leaf) => leaf,
  signatureValuePadded: (leaf) => derRebuilt(leaf, (root) => void (root.children![2]!.paddedLength = true)),
  signatureAlgorithmLong: (leaf) => derRebuilt(leaf, (root) => void (root.children![1]!.longLength = true)),
  certificatePadded: (leaf) => derRebuilt(leaf, (root) => void (root.paddedLength = true)),
  // sha256WithRSAEncryption with its NULL parameters dropped from the outer identifier only.
  signatureAlgorithmNoNull: (leaf) => derRebuilt(leaf, (root) => void root.children![1]!.children!.splice(1)),
  trailingByte: (leaf) => concatBytes([leaf, new Uint8Array([0])]),
  // Signed again by the CA: the control, and the leaf's basicConstraints (its first extension) twice.
  resigned: (leaf, caKey) => resigned(leaf, caKey, () => undefined),
  basicConstraintsTwice: (leaf, caKey) =>
    resigned(leaf, caKey, (exts) => void exts.push(structuredClone(exts[0]!))),
} satisfies Record<string, (leaf: Uint8Array, caKey: Buffer) => Uint8Array>;
type Variant = keyof typeof VARIANTS;

/** The leaf with its extensions changed and its tbsCertificate signed again with the CA's key. */
function resigned(leaf: Uint8Array, caKey: Buffer, change: (extensions: DerNode[]) => void): Uint8Array {
  return resignedCertificate(leaf, caKey, (t) => change(t.children![EXTENSIONS]!.children![0]!.children!));
}

let dir: string;
let answers: Record<
  Variant | `${'resigned' | 'basicConstraintsTwice'}.keytool`,
  { code: number; output: string }
>;
const der = (v: Variant) => new Uint8Array(readFileSync(join(dir, `${v}.der`)));

beforeAll(async () => {
  dir = await cachedFixtureDir('x509-encoding-v3', async (d) => {
    const openssl = (...args: string[]) => run('openssl', args, { cwd: d });
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/O=Sigscan Tests/CN=Encoding CA',
      '-days',
      '3650',
    );
    await openssl(
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.csr',
      '-subj',
      '/O=Sigscan Tests/CN=Encoding Leaf',
    );
    writeFileSync(join(d, 'leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n');
    await openssl(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '7',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      'leaf.ext',
      '-outform',
      'DER',
      '-out',
      'leaf.der',
    );
    const leaf = new Uint8Array(readFileSync(join(d, 'leaf.der')));
    const caKey = readFileSync(join(d, 'ca.key'));
    const out: Record<string, { code: number; output: string }> = {};
    for (const [name, change] of Object.entries(VARIANTS)) {
      const bytes = change(leaf, caKey);
      writeFileSync(join(d, `${name}.der`), bytes);
      // PEM written here, not by openssl, so openssl reads exactly these bytes.
      writeFileSync(join(d, `${name}.pem`), toPem(bytes));
      const r = await run('openssl', ['verify', '-CAfile', 'ca.pem', `${name}.pem`], {
        cwd: d,
        check: false,
      });
      out[name] = { code: r.code, output: r.stdout + r.stderr };
    }
    // The JDK's answer where the extensions changed: keytool parses with X509CertImpl.
    for (const name of ['resigned', 'basicConstraintsTwice']) {
      const r = await run('keytool', ['-J-Duser.language=en', '-printcert', '-file', `${name}.pem`], {
        cwd: d,
        check: false,
      });
      out[`${name}.keytool`] = { code: r.code, output: r.stdout + r.stderr };
    }
    writeFileSync(join(d, 'openssl-verify.json'), JSON.stringify(out));
  });
  answers = JSON.parse(readFileSync(join(dir, 'openssl-verify.json'), 'utf8')) as typeof answers;
}, 120_000);

const refusal = (v: Variant): unknown => {
  try {
    parseCertificate(der(v));
    return 'parsed';
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
};
const refused = (why: string) => ({
  code: 'MALFORMED_CERTIFICATE',
  message: `not a valid X.509 certificate: ${why}`,
});

describe('parseCertificate refuses a certificate changed outside its signed bytes', () => {
  it('as issued: read, and openssl verify accepts it (the control)', () => {
    expect(answers.asIssued.code, answers.asIssued.output).toBe(0);
    const leaf = parseCertificate(der('asIssued'));
    expect(leaf.summary.subject).toBe('CN=Encoding Leaf,O=Sigscan Tests');
    expect(leaf.signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
  });

  it('a length not in its shortest form, at each of three places: refused where openssl verify accepts', () => {
    // Only the changed element's own length grows, so each sits where it sits in the certificate as issued.
    const asIssued = childrenOf(readElement(der('asIssued'), READ), READ);
    const cases: [Variant, number][] = [
      ['signatureValuePadded', asIssued[2]!.start],
      ['signatureAlgorithmLong', asIssued[1]!.start],
      ['certificatePadded', 0],
    ];
    for (const [v, offset] of cases) {
      expect(answers[v].code, `${v}: ${answers[v].output}`).toBe(0);
      expect(refusal(v), v).toEqual(
        refused(`the length at offset ${offset} is not in the shortest form DER requires`),
      );
    }
  });

  it("signatureAlgorithm without the signature field's NULL: refused, as openssl verify refuses it", () => {
    expect(answers.signatureAlgorithmNoNull.code).not.toBe(0);
    expect(answers.signatureAlgorithmNoNull.output).toContain('certificate signature failure');
    expect(refusal('signatureAlgorithmNoNull')).toEqual(
      refused('signatureAlgorithm differs from the signature field of tbsCertificate'),
    );
  });

  it('one byte after the certificate: refused, where pkijs reads the certificate', () => {
    expect(() => pkijs.Certificate.fromBER(toArrayBuffer(der('trailingByte')))).not.toThrow();
    expect(refusal('trailingByte')).toEqual(refused('bytes after the certificate (1)'));
  });

  it('a certificate left to pkijs is held to the same signatureAlgorithm rule', () => {
    // One more extension, whose value asn1js reads its own way (an indefinite-length SEQUENCE), sends the
    // certificate to pkijs; with the outer NULL there it is read, without it refused.
    const unread = (outerNull: boolean) =>
      derRebuilt(der('asIssued'), (root) => {
        tbs(root)[EXTENSIONS]!.children![0]!.children!.push({
          id: 0x30,
          children: [
            { id: 0x06, content: new Uint8Array([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb2, 0x03, 0x09]) },
            { id: 0x04, content: new Uint8Array([0x30, 0x80, 0, 0]) },
          ],
        });
        if (!outerNull) root.children![1]!.children!.splice(1);
      });
    const read = parseCertificate(unread(true));
    expect(read.cert.extensions!.map((e) => e.extnID)).toContain('1.3.6.1.4.1.55555.9');
    expect(read.signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
    expect(() => parseCertificate(unread(false))).toThrow(
      expect.objectContaining({
        code: 'MALFORMED_CERTIFICATE',
        message:
          'not a valid X.509 certificate: signatureAlgorithm differs from the signature field of tbsCertificate',
      }),
    );
  });
});

describe('an extension twice in the signed tbsCertificate', () => {
  it('signed again with nothing repeated: read, openssl verify and keytool accept it (the control)', () => {
    expect(answers.resigned.code, answers.resigned.output).toBe(0);
    expect(answers['resigned.keytool'].code, answers['resigned.keytool'].output).toBe(0);
    expect(parseCertificate(der('resigned')).extension('2.5.29.19')).toBeDefined();
  });

  it('basicConstraints twice: refused, as openssl verify and keytool refuse it', () => {
    expect(answers.basicConstraintsTwice.code).not.toBe(0);
    expect(answers.basicConstraintsTwice.output).toContain('invalid certificate');
    expect(answers['basicConstraintsTwice.keytool'].code).not.toBe(0);
    expect(refusal('basicConstraintsTwice')).toEqual(refused('extension 2.5.29.19 appears more than once'));
  });

  it('a certificate left to pkijs is refused for the same repeat', () => {
    // The indefinite-length extension value sends it to pkijs (as above); the repeat is the last extension.
    // Not signed again: parsing does not check the signature, and the repeat alone must refuse it.
    const unread = (twice: boolean) =>
      derRebuilt(der('resigned'), (root) => {
        const exts = tbs(root)[EXTENSIONS]!.children![0]!.children!;
        exts.push({
          id: 0x30,
          children: [
            { id: 0x06, content: new Uint8Array([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb2, 0x03, 0x09]) },
            { id: 0x04, content: new Uint8Array([0x30, 0x80, 0, 0]) },
          ],
        });
        if (twice) exts.push(structuredClone(exts[1]!));
      });
    expect(parseCertificate(unread(false)).cert.extensions!.map((e) => e.extnID)).toEqual([
      '2.5.29.19',
      '2.5.29.15',
      '2.5.29.14',
      '2.5.29.35',
      '1.3.6.1.4.1.55555.9',
    ]);
    expect(() => parseCertificate(unread(true))).toThrow(
      expect.objectContaining({
        code: 'MALFORMED_CERTIFICATE',
        message: 'not a valid X.509 certificate: extension 2.5.29.15 appears more than once',
      }),
    );
  });
});
