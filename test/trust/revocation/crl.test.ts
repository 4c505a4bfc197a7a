import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sha256Hex } from '../../../src/formats/der.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../src/formats/x509.js';
import {
  crlCovers,
  crlProblem,
  parseCrl,
  readCrls,
  type LoadedCrl,
} from '../../../src/trust/revocation/crl.js';
import { makeRevocationCa, opensslTime, type RevocationCa } from '../../helpers/revocation-pki.js';

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
    dir = mkdtempSync(join(tmpdir(), 'sigscan-crl-'));
    ca = await makeRevocationCa(join(dir, 'ca'));
    caCert = certOf(ca.caPem);
    const a = await ca.issue('a', 'A');
    const b = await ca.issue('b', 'B');
    const c = await ca.issue('c', 'C');
    await ca.revoke(a.cert, 'keyCompromise');
    await ca.revoke(b.cert, 'superseded');
    // `openssl ca -revoke` without -crl_reason writes an entry with no reasonCode.
    await ca.openssl('ca', '-config', join(ca.dir, 'openssl.cnf'), '-revoke', c.cert);
    crlPath = await ca.crl(join(dir, 'crl.pem'));
    crl = (await readCrls(crlPath))[0]!;
    now = new Date(crl.thisUpdate.getTime() + 60_000);
    serials = {
      a: certOf(a.cert).summary.serialNumber,
      b: certOf(b.cert).summary.serialNumber,
      c: certOf(c.cert).summary.serialNumber,
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
});
