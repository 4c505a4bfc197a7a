/**
 * Which SANs and which OIDC issuer `--certificate-identity[-regexp]` / `--certificate-oidc-issuer`
 * see, per reference verifier (src/trust/sigstore/identity.ts cites the code): cosign's
 * CheckCertificatePolicy for `.sig`/`.att`/sidecars, sigstore-go's SummarizeCertificate for bundles.
 * Certificates are made by openssl with the SANs and extensions under test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { parseCertificate } from '../../../src/formats/x509.js';
import { emptyTrustConfig } from '../../../src/trust/config.js';
import { certificateIdentity, checkIdentityPolicy } from '../../../src/trust/sigstore/identity.js';

const dir = mkdtempSync(join(tmpdir(), 'sigscan-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A self-signed certificate with these extension lines (openssl x509v3 config syntax). */
function cert(ext: string[]) {
  const stem = join(dir, `c${n++}`);
  writeFileSync(
    `${stem}.cnf`,
    ['[req]', 'distinguished_name=dn', '[dn]', '[x]', 'basicConstraints=CA:FALSE', ...ext, ''].join('\n'),
  );
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${stem}.key`,
    '-out', `${stem}.pem`, '-days', '1', '-subj', '/O=test', '-config', `${stem}.cnf`, '-extensions', 'x',
  ], { stdio: 'pipe' }); // prettier-ignore
  const pem = readFileSync(`${stem}.pem`, 'utf8');
  const b64 = pem.replace(/-----[^-]+-----|\s/g, '');
  return parseCertificate(new Uint8Array(Buffer.from(b64, 'base64'))).cert;
}

const hex = (s: string) => Buffer.from(s).toString('hex');
const policy = (identity?: string, issuer?: string) => {
  const c = emptyTrustConfig();
  c.certificateIdentity = identity;
  c.certificateOidcIssuer = issuer;
  return c;
};

describe('certificateIdentity', () => {
  const many = () =>
    cert([
      'subjectAltName=DNS:build.example.com,email:first@example.com,email:second@example.com,URI:https://ci.example.com/a,IP:10.0.0.1,IP:2001:db8::1',
    ]);

  it('cosign rules: every DNS, email, IPv4 and URI SAN', () => {
    expect(certificateIdentity(many(), 'cosign').sans.sort()).toEqual(
      [
        '10.0.0.1',
        'build.example.com',
        'first@example.com',
        'https://ci.example.com/a',
        'second@example.com',
      ].sort(),
    );
  });

  it('sigstore-go rules (bundles): the first URI only, else the first email; never DNS or IP', () => {
    expect(certificateIdentity(many(), 'sigstore-go').sans).toEqual(['https://ci.example.com/a']);
    const emails = cert([
      'subjectAltName=DNS:build.example.com,email:first@example.com,email:second@example.com',
    ]);
    expect(certificateIdentity(emails, 'sigstore-go').sans).toEqual(['first@example.com']);
    expect(
      checkIdentityPolicy(policy('second@example.com'), certificateIdentity(emails, 'sigstore-go')),
    ).toMatchObject({
      status: 'untrusted',
      code: 'IDENTITY_MISMATCH',
    });
    // cosign's classic rules would take the second email: the rule is per verifier, not global.
    expect(
      checkIdentityPolicy(policy('second@example.com'), certificateIdentity(emails, 'cosign')),
    ).toBeUndefined();
    expect(certificateIdentity(cert(['subjectAltName=DNS:build.example.com']), 'sigstore-go').sans).toEqual(
      [],
    );
  });

  it('the otherName counts only when the first one is Fulcio’s username OID', () => {
    const fulcio = cert(['subjectAltName=otherName:1.3.6.1.4.1.57264.1.7;UTF8:alice']);
    expect(certificateIdentity(fulcio, 'cosign').sans).toEqual(['alice']);
    expect(certificateIdentity(fulcio, 'sigstore-go').sans).toEqual(['alice']);
    const foreignFirst = cert([
      'subjectAltName=otherName:1.2.3.4;UTF8:mallory,otherName:1.3.6.1.4.1.57264.1.7;UTF8:alice',
    ]);
    expect(certificateIdentity(foreignFirst, 'cosign').sans).toEqual([]);
  });

  it('issuer: cosign reads the v1 extension; v1 and v2 that disagree refuse any policy', () => {
    const both = cert([
      `1.3.6.1.4.1.57264.1.1=DER:${hex('https://a.example')}`,
      '1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://a.example',
      'subjectAltName=email:x@example.com',
    ]);
    expect(certificateIdentity(both, 'cosign')).toMatchObject({
      issuer: 'https://a.example',
      conflict: undefined,
    });
    const split = cert([
      `1.3.6.1.4.1.57264.1.1=DER:${hex('https://evil.example')}`,
      '1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://a.example',
      'subjectAltName=email:x@example.com',
    ]);
    for (const rules of ['cosign', 'sigstore-go'] as const) {
      expect(
        checkIdentityPolicy(policy('x@example.com', 'https://a.example'), certificateIdentity(split, rules)),
      ).toMatchObject({
        status: 'untrusted',
        code: 'IDENTITY_AMBIGUOUS',
      });
    }
    // Only v2: cosign 2.5's GetIssuer sees none, sigstore-go sees it.
    const v2only = cert([
      '1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://a.example',
      'subjectAltName=email:x@example.com',
    ]);
    expect(certificateIdentity(v2only, 'cosign').issuer).toBeUndefined();
    expect(certificateIdentity(v2only, 'sigstore-go').issuer).toBe('https://a.example');
  });

  it('a URI Go would rewrite (upper-case scheme) refuses any policy', () => {
    const upper = cert(['subjectAltName=URI:HTTPS://ci.example.com/a']);
    expect(
      checkIdentityPolicy(policy('HTTPS://ci.example.com/a'), certificateIdentity(upper, 'cosign')),
    ).toMatchObject({
      status: 'untrusted',
      code: 'IDENTITY_AMBIGUOUS',
    });
  });
});
