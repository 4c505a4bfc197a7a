import * as asn1js from 'asn1js';
import { execFileSync } from 'node:child_process';
import { sign as cryptoSign } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sha256Hex, toArrayBuffer } from '../../../src/formats/der.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../src/formats/x509.js';
import {
  crlCovers,
  crlProblem,
  parseCrl,
  readCrls,
  serialKey,
  type LoadedCrl,
} from '../../../src/trust/revocation/crl.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  makeRevocationCa,
  opensslTime,
  reopenRevocationCa,
  type RevocationCa,
} from '../../helpers/revocation-pki.js';

const DAY = 86_400_000;

function certOf(path: string): ParsedCertificate {
  return parseCertificate(pemCertificates(readFileSync(path, 'utf8'))[0]!);
}

function derOf(pemPath: string): Uint8Array {
  const pem = readFileSync(pemPath, 'utf8');
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
}

describe('CRLs made by openssl ca', () => {
  let dir: string;
  let ca: RevocationCa;
  let caCert: ParsedCertificate;
  let crlPath: string;
  let crl: LoadedCrl;
  let now: Date;
  let serials: Record<string, string>;

  beforeAll(async () => {
    // The CA, three certificates revoked and the CRL are made once a day (cachedFixtureDir). The CRL is
    // current for 30 days and every check time here is derived from its own thisUpdate (`now`), never from
    // the clock, so a CRL made earlier in the day is as good. The CA is opened from a per-run copy, as the
    // tests make more CRLs with it.
    const cached = await cachedFixtureDir('revocation-crl-openssl-ca-v1', async (out) => {
      const built = await makeRevocationCa(join(out, 'ca'));
      const a = await built.issue('a', 'A');
      const b = await built.issue('b', 'B');
      const c = await built.issue('c', 'C');
      await built.revoke(a.cert, 'keyCompromise');
      await built.revoke(b.cert, 'superseded');
      // `openssl ca -revoke` without -crl_reason writes an entry with no reasonCode.
      await built.openssl('ca', '-config', join(built.dir, 'openssl.cnf'), '-revoke', c.cert);
      await built.crl(join(out, 'crl.pem'));
    });
    dir = mkdtempSync(join(tmpdir(), 'sigscan-crl-'));
    ca = reopenRevocationCa(join(cached, 'ca'), join(dir, 'ca'), '/O=Sigscan Test/CN=Sigscan Revocation CA');
    caCert = certOf(ca.caPem);
    crlPath = join(dir, 'crl.pem');
    copyFileSync(join(cached, 'crl.pem'), crlPath);
    crl = (await readCrls(crlPath))[0]!;
    now = new Date(crl.thisUpdate.getTime() + 60_000);
    serials = {
      a: certOf(join(ca.dir, 'a.pem')).summary.serialNumber,
      b: certOf(join(ca.dir, 'b.pem')).summary.serialNumber,
      c: certOf(join(ca.dir, 'c.pem')).summary.serialNumber,
    };
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads entries with their reasons, keyed by serial', () => {
    expect(serials).toEqual({ a: '1001', b: '1002', c: '1003' });
    expect([...crl.entries.keys()]).toEqual(['1001', '1002', '1003']);
    expect(crl.entries.get('1001')?.reason).toBe('keyCompromise');
    expect(crl.entries.get('1002')?.reason).toBe('superseded');
    expect(crl.entries.get('1003')).not.toHaveProperty('reason');
    expect(Math.abs(crl.entries.get('1001')!.revokedAt.getTime() - crl.thisUpdate.getTime())).toBeLessThan(
      60_000,
    );
    expect(crl.nextUpdate!.getTime() - crl.thisUpdate.getTime()).toBe(30 * DAY);
    expect(crl.unsupported).toBeUndefined();
    expect(crl.source).toBe(crlPath);
  });

  it('reads PEM, DER and directories alike; the hash is of the DER CRL', async () => {
    const der = derOf(crlPath);
    const derPath = join(dir, 'crl.der');
    writeFileSync(derPath, der);
    const fromDer = (await readCrls(derPath))[0]!;
    expect(fromDer.sha256).toBe(sha256Hex(der));
    expect(crl.sha256).toBe(sha256Hex(der));
    const sub = join(dir, 'crls');
    mkdirSync(sub);
    writeFileSync(join(sub, 'one.der'), der);
    writeFileSync(join(sub, 'two.pem'), readFileSync(crlPath));
    expect((await readCrls(sub)).map((c) => c.source)).toEqual([join(sub, 'one.der'), join(sub, 'two.pem')]);
  });

  it('refuses what is not a CRL (MALFORMED_CRL / USAGE)', async () => {
    expect(() => parseCrl(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 'x')).toThrow(
      expect.objectContaining({ code: 'MALFORMED_CRL' }),
    );
    const bad = join(dir, 'bad.crl');
    writeFileSync(bad, 'nonsense');
    await expect(readCrls(bad)).rejects.toMatchObject({ code: 'USAGE' });
    await expect(readCrls(join(dir, 'missing.crl'))).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('covers the certificates its issuer name issued, not the issuer itself', async () => {
    expect(crlCovers(crl, certOf(join(ca.dir, 'a.pem')))).toBe(true);
    const other = await makeRevocationCa(join(dir, 'other'), '/O=Sigscan Test/CN=Other CA');
    const x = await other.issue('x', 'X');
    expect(crlCovers(crl, certOf(x.cert))).toBe(false);
  });

  it('is usable when signed by the issuer and current', () => {
    expect(crlProblem(crl, caCert, now)).toBeUndefined();
    expect(crlProblem(crl, caCert, crl.thisUpdate)).toBeUndefined();
    expect(crlProblem(crl, caCert, crl.nextUpdate!)).toBeUndefined();
  });

  it('is not usable before thisUpdate or after nextUpdate', () => {
    expect(crlProblem(crl, caCert, new Date(crl.thisUpdate.getTime() - 1000))).toBe(
      `it was issued ${crl.thisUpdate.toISOString()}, after the check time ${new Date(crl.thisUpdate.getTime() - 1000).toISOString()}`,
    );
    const late = new Date(crl.nextUpdate!.getTime() + 1000);
    expect(crlProblem(crl, caCert, late)).toBe(
      `it expired ${crl.nextUpdate!.toISOString()} (nextUpdate), before the check time ${late.toISOString()}`,
    );
  });

  it('is not usable when one byte of its signature changed', () => {
    const der = derOf(crlPath);
    der[der.length - 5]! ^= 0x01;
    expect(crlProblem(parseCrl(der, 'flipped'), caCert, now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('is not usable when a signed byte changed (a serial dropped from the list)', () => {
    const der = derOf(crlPath);
    // The serial 0x10 0x01 of the first entry becomes 0x10 0x09: a revoked certificate would read good.
    const at = Buffer.from(der).indexOf(Buffer.from([0x02, 0x02, 0x10, 0x01]));
    expect(at).toBeGreaterThan(0);
    der[at + 3] = 0x09;
    const forged = parseCrl(der, 'forged');
    expect(forged.entries.has('1009')).toBe(true);
    expect(crlProblem(forged, caCert, now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('is not usable when the outer signature algorithm differs from the signed one', () => {
    const der = derOf(crlPath);
    // sha256WithRSAEncryption (…01 0b) appears twice: inside tbsCertList and outside. Change the outer to sha512 (…01 0d).
    const oid = Buffer.from('2a864886f70d01010b', 'hex');
    const last = Buffer.from(der).lastIndexOf(oid);
    expect(last).toBeGreaterThan(Buffer.from(der).indexOf(oid));
    der[last + oid.length - 1] = 0x0d;
    expect(crlProblem(parseCrl(der, 'mixed'), caCert, now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('is not usable when its issuer may not sign CRLs', async () => {
    const noCrlSign = await makeRevocationCa(
      join(dir, 'nocrlsign'),
      '/O=Sigscan Test/CN=No CRL Sign',
      'ca_nocrlsign',
    );
    const own = (await readCrls(await noCrlSign.crl(join(dir, 'nocrlsign.pem'))))[0]!;
    expect(crlProblem(own, certOf(noCrlSign.caPem), now)).toBe(
      'its issuer CN=No CRL Sign,O=Sigscan Test may not sign CRLs (keyUsage lacks cRLSign)',
    );
  });

  it('is not usable when signed by another key under the same name', async () => {
    const impostor = await makeRevocationCa(join(dir, 'impostor'), ca.subject);
    const fake = (await readCrls(await impostor.crl(join(dir, 'impostor.pem'))))[0]!;
    expect(crlCovers(fake, certOf(join(ca.dir, 'a.pem')))).toBe(true);
    expect(crlProblem(fake, caCert, now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('refuses partitioned, delta and unknown-critical CRLs rather than read them as complete', async () => {
    const kinds: Record<string, string> = {
      crl_idp:
        'it has an issuingDistributionPoint (partitioned or indirect CRL), which sigscan does not support',
      crl_delta: 'it is a delta CRL, which sigscan does not support',
      crl_unknown_critical: 'it carries the unknown critical extension 1.3.6.1.4.1.55738.1',
    };
    for (const [section, problem] of Object.entries(kinds)) {
      const out = await ca.crl(join(dir, `${section}.pem`), { crlExtensions: section });
      const loaded = (await readCrls(out))[0]!;
      expect(loaded.unsupported).toBe(problem);
      expect(crlProblem(loaded, caCert, now)).toBe(problem);
    }
  });

  it('a CRL window can be set: one from the future is not yet usable', async () => {
    const future = await ca.crl(join(dir, 'future.pem'), {
      lastUpdate: opensslTime(new Date(now.getTime() + DAY)),
      nextUpdate: opensslTime(new Date(now.getTime() + 10 * DAY)),
    });
    expect(crlProblem((await readCrls(future))[0]!, caCert, now)).toMatch(
      /^it was issued \S+, after the check time/,
    );
  });
  /**
   * The openssl-made CRL changed by `edit` and signed again with the CA's own key, so only the change
   * decides: faults `openssl ca` cannot write (entry extensions it never emits, no nextUpdate, an inner
   * algorithm that differs from the outer one). Hand-made, as no tool makes these.
   */
  function resigned(edit: (c: pkijs.CertificateRevocationList) => void, key = ca.caKey): Uint8Array {
    const c = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(derOf(crlPath)));
    edit(c);
    const tbs = new Uint8Array((c.toSchema(true) as asn1js.Sequence).valueBlock.value[0]!.toBER());
    c.tbsView = tbs;
    c.signatureValue = new asn1js.BitString({
      valueHex: toArrayBuffer(cryptoSign('sha256', tbs, readFileSync(key))),
    });
    return new Uint8Array(c.toSchema().toBER());
  }

  const ext = (extnID: string, value: asn1js.BaseBlock, critical = false) =>
    new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
  const reason = (code: number) => ext('2.5.29.21', new asn1js.Enumerated({ value: code }));
  const withEntryExtensions = (index: number, extensions: pkijs.Extension[]) =>
    resigned((c) => {
      c.revokedCertificates![index]!.crlEntryExtensions = new pkijs.Extensions({ extensions });
    });

  it('a re-signed copy is usable; without nextUpdate it is not: nothing says when it stops being current', () => {
    expect(
      crlProblem(
        parseCrl(
          resigned(() => undefined),
          'same',
        ),
        caCert,
        now,
      ),
    ).toBeUndefined();
    const open = parseCrl(
      resigned((c) => {
        delete c.nextUpdate;
      }),
      'open',
    );
    expect(open.nextUpdate).toBeUndefined();
    expect(crlProblem(open, caCert, now)).toBe(
      'it has no nextUpdate, so nothing says when it stops being current',
    );
  });

  it('an inner (signed) algorithm that differs from the outer one is refused even when the signature verifies', () => {
    // RFC 5280 §5.1.1.2. The tbsCertList names sha384WithRSA; the signature is sha256WithRSA, as the outer says.
    const mixed = parseCrl(
      resigned((c) => {
        c.signature = new pkijs.AlgorithmIdentifier({
          algorithmId: '1.2.840.113549.1.1.12',
          algorithmParams: new asn1js.Null(),
        });
      }),
      'mixed',
    );
    expect(crlProblem(mixed, caCert, now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('an algorithm without a hash sigscan knows (md2WithRSA) is not usable', () => {
    const md2 = () =>
      new pkijs.AlgorithmIdentifier({
        algorithmId: '1.2.840.113549.1.1.2',
        algorithmParams: new asn1js.Null(),
      });
    const der = resigned((c) => {
      c.signature = md2();
      c.signatureAlgorithm = md2();
    });
    expect(crlProblem(parseCrl(der, 'md2'), caCert, now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('an algorithm OID without a hash sigscan knows is refused even when an EC key would verify it', () => {
    // node's verify with no digest defaults to SHA-256 for EC keys: only the OID check refuses this CRL.
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
        .concat(['-keyout', join(dir, 'ec.key'), '-out', join(dir, 'ec.pem')])
        .concat(['-subj', '/O=Sigscan Test/CN=Sigscan Revocation CA', '-days', '2']),
      { stdio: 'pipe' },
    );
    const ecCa = certOf(join(dir, 'ec.pem'));
    const algorithm = (algorithmId: string) => (c: pkijs.CertificateRevocationList) => {
      c.signature = new pkijs.AlgorithmIdentifier({ algorithmId });
      c.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId });
    };
    const ecdsaSha256 = resigned(algorithm('1.2.840.10045.4.3.2'), join(dir, 'ec.key'));
    expect(crlProblem(parseCrl(ecdsaSha256, 'ec'), ecCa, now)).toBeUndefined();
    // id-ecdsa-with-sha3-256, signed with SHA-256 all the same.
    const sha3 = resigned(algorithm('2.16.840.1.101.3.4.3.10'), join(dir, 'ec.key'));
    expect(crlProblem(parseCrl(sha3, 'ec-sha3'), ecCa, now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('an issuer key node:crypto cannot use with the CRL algorithm (Ed25519 with sha256WithRSA) is a failed check, not a pass', () => {
    // Same name as the CA, an Ed25519 key: crypto.verify('sha256', …, ed25519 key) throws.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ed25519',
        '-nodes',
        '-keyout',
        join(dir, 'ed.key'),
        '-out',
        join(dir, 'ed.pem'),
      ].concat(['-subj', '/O=Sigscan Test/CN=Sigscan Revocation CA', '-days', '2']),
      { stdio: 'pipe' },
    );
    expect(crlProblem(crl, certOf(join(dir, 'ed.pem')), now)).toBe(
      'its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    );
  });

  it('entry extensions: an indirect CRL (certificateIssuer) and an unknown critical one are refused; the indirect reason wins', () => {
    const issuerName = ext(
      '2.5.29.29',
      new asn1js.Sequence({
        value: [
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 4 },
            value: [caCert.cert.issuer.toSchema()],
          }),
        ],
      }),
    );
    const unknownCritical = ext('1.3.6.1.4.1.55738.2', new asn1js.Null(), true);
    const indirect = parseCrl(withEntryExtensions(1, [issuerName]), 'indirect');
    expect(indirect.unsupported).toBe(
      'it is an indirect CRL (certificateIssuer entry extension), which sigscan does not support',
    );
    expect(crlProblem(indirect, caCert, now)).toBe(indirect.unsupported);
    const critical = parseCrl(withEntryExtensions(1, [reason(4), unknownCritical]), 'critical');
    expect(critical.unsupported).toBe('an entry carries the unknown critical extension 1.3.6.1.4.1.55738.2');
    expect(crlProblem(critical, caCert, now)).toBe(critical.unsupported);
    expect(parseCrl(withEntryExtensions(1, [unknownCritical, issuerName]), 'both').unsupported).toBe(
      indirect.unsupported,
    );
  });

  it('entry reasons: a critical reasonCode is understood, the reason is found among other extensions, odd values are named', () => {
    const invalidity = ext('2.5.29.24', new asn1js.GeneralizedTime({ valueDate: new Date(0) }));
    const critical = parseCrl(
      withEntryExtensions(1, [ext('2.5.29.21', new asn1js.Enumerated({ value: 1 }), true)]),
      'r',
    );
    expect(critical.unsupported).toBeUndefined();
    expect(critical.entries.get('1002')?.reason).toBe('keyCompromise');
    const behind = parseCrl(withEntryExtensions(1, [invalidity, reason(4)]), 'r');
    expect(behind.unsupported).toBeUndefined();
    expect(behind.entries.get('1002')?.reason).toBe('superseded');
    expect(behind.entries.get('1002')?.invalidityDate).toEqual(new Date(0));
    const after = parseCrl(withEntryExtensions(1, [reason(4), invalidity]), 'r');
    expect(after.entries.get('1002')?.invalidityDate).toEqual(new Date(0));
    // Not a GeneralizedTime: no invalidityDate, and none without the extension.
    const utc = ext('2.5.29.24', new asn1js.UTCTime({ valueDate: new Date(0) }));
    expect(parseCrl(withEntryExtensions(1, [utc]), 'r').entries.get('1002')).not.toHaveProperty(
      'invalidityDate',
    );
    expect(critical.entries.get('1002')).not.toHaveProperty('invalidityDate');
    expect(parseCrl(withEntryExtensions(1, [reason(11)]), 'r').entries.get('1002')?.reason).toBe('reason 11');
    // An INTEGER where RFC 5280 says ENUMERATED is no reason sigscan can name.
    const integer = ext('2.5.29.21', new asn1js.Integer({ value: 1 }));
    expect(parseCrl(withEntryExtensions(1, [integer]), 'r').entries.get('1002')?.reason).toBe('reason -1');
  });

  it('serial keys drop leading zero octets (a DER INTEGER with its high bit set) but keep a lone zero', () => {
    expect(serialKey(new Uint8Array([0x00, 0x80, 0x01]))).toBe('8001');
    expect(serialKey(new Uint8Array([0x00, 0x00, 0x7f]))).toBe('7f');
    expect(serialKey(new Uint8Array([0x10, 0x00]))).toBe('1000');
    expect(serialKey(new Uint8Array([0x00]))).toBe('00');
    expect(serialKey(new Uint8Array([0x00, 0x00]))).toBe('00');
  });

  it('errors keep the file and the cause; a directory is read in name order, its subdirectories not at all', async () => {
    let thrown: unknown;
    try {
      parseCrl(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 'x.crl');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({
      code: 'MALFORMED_CRL',
      message: expect.stringMatching(/^x\.crl: not a valid X\.509 CRL: /),
    });
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    const bad = join(dir, 'bad2.crl');
    writeFileSync(bad, 'nonsense');
    const usage = await readCrls(bad).then(
      () => undefined,
      (err: unknown) => err as Error & { code: string },
    );
    expect(usage).toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(new RegExp(`^--crl ${bad}: ${bad}: not a valid`)),
    });
    expect(usage?.cause).toBeInstanceOf(Error);
    const missing = join(dir, 'missing2.crl');
    const gone = await readCrls(missing).then(
      () => undefined,
      (err: unknown) => err as Error & { code: string },
    );
    expect(gone).toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(new RegExp(`^--crl ${missing}: ENOENT`)),
    });
    expect(gone?.cause).toBeInstanceOf(Error);
    const ordered = join(dir, 'ordered');
    mkdirSync(join(ordered, 'nested'), { recursive: true });
    for (const name of ['m.pem', 'z.pem', 'a.pem', 'k.pem'])
      writeFileSync(join(ordered, name), readFileSync(crlPath));
    writeFileSync(join(ordered, 'nested', 'b.pem'), readFileSync(crlPath));
    expect((await readCrls(ordered)).map((c) => c.source)).toEqual(
      ['a.pem', 'k.pem', 'm.pem', 'z.pem'].map((n) => join(ordered, n)),
    );
    // JavaScript's order, not the directory listing's: libuv lists names in byte (UTF-8) order, where U+FF01
    // comes before an astral character; in UTF-16 code units the astral one's surrogate comes first.
    const astral = join(dir, 'ordered-astral');
    mkdirSync(astral);
    for (const name of ['\uFF01.pem', '\u{1F600}.pem'])
      writeFileSync(join(astral, name), readFileSync(crlPath));
    expect((await readCrls(astral)).map((c) => c.source)).toEqual(
      ['\u{1F600}.pem', '\uFF01.pem'].map((n) => join(astral, n)),
    );
  });
});
