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
import {
  certificateIdentity,
  checkIdentityPolicy,
  keylessVerdict,
  plainSanValues,
} from '../../../src/trust/sigstore/identity.js';

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

describe('certificateIdentity: SANs Go would not read as written', () => {
  const conflictOf = (ext: string) => certificateIdentity(cert([`subjectAltName=${ext}`]), 'cosign').conflict;

  it('a space inside a DNS or email SAN is a conflict', () => {
    expect(conflictOf('DNS:a b.example')).toBe(
      'SAN "a b.example" is not a plain ASCII value Go reads as written',
    );
    expect(conflictOf('email:a b@example.com')).toBe(
      'SAN "a b@example.com" is not a plain ASCII value Go reads as written',
    );
  });

  it.each([
    ['Https://ci.example.com/a', 'a scheme not in lower case'],
    ['https://ci.example.com/a%2zb', 'a % not followed by two hex digits'],
    ['https://ci.example.com/a%2fb', 'a lower-case escape'],
  ])('URI %s (%s) is a conflict', (uri) => {
    expect(conflictOf(`URI:${uri}`)).toBe(
      `URI SAN "${uri}" is not in the form Go's url.URL.String() gives back unchanged`,
    );
  });

  it('a URI with an upper-case escape reads as written: no conflict', () => {
    expect(certificateIdentity(cert(['subjectAltName=URI:https://ci.example.com/a%2Fb']), 'cosign')).toEqual({
      sans: ['https://ci.example.com/a%2Fb'],
      issuer: undefined,
      conflict: undefined,
    });
  });

  it('every conflict is reported, joined by "; "', () => {
    expect(conflictOf('URI:Https://a b')).toBe(
      'SAN "Https://a b" is not a plain ASCII value Go reads as written; URI SAN "Https://a b" is not in the form Go\'s url.URL.String() gives back unchanged',
    );
  });

  it('a v2 issuer extension that does not decode as a string is a conflict', () => {
    const c = cert(['1.3.6.1.4.1.57264.1.8=ASN1:INTEGER:5', 'subjectAltName=email:x@example.com']);
    expect(certificateIdentity(c, 'sigstore-go')).toEqual({
      sans: ['x@example.com'],
      issuer: undefined,
      conflict: 'the v2 OIDC issuer extension does not decode',
    });
  });

  it('only one of v1 / v2 present: no conflict', () => {
    const v2only = cert([
      '1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://a.example',
      'subjectAltName=email:x@example.com',
    ]);
    expect(certificateIdentity(v2only, 'sigstore-go').conflict).toBeUndefined();
    const v1only = cert([
      `1.3.6.1.4.1.57264.1.1=DER:${hex('https://a.example')}`,
      'subjectAltName=email:x@example.com',
    ]);
    expect(certificateIdentity(v1only, 'cosign')).toEqual({
      sans: ['x@example.com'],
      issuer: 'https://a.example',
      conflict: undefined,
    });
  });
});

describe('plainSanValues', () => {
  it('strips the display prefixes and nothing else', () => {
    expect(
      plainSanValues([
        'othername:1.3.6.1.4.1.57264.1.7:alice',
        'othername:1.2:b',
        'email:othername:1.2:x',
        'uri:https://ci.example.com/a',
        'dns:build.example.com',
        'ip:10.0.0.1',
        'dirName:CN=email:x',
        'email:multi\nline',
      ]),
    ).toEqual([
      'alice',
      'b',
      'othername:1.2:x',
      'https://ci.example.com/a',
      'build.example.com',
      '10.0.0.1',
      'dirName:CN=email:x',
      'multi\nline',
    ]);
  });
});

describe('checkIdentityPolicy on a read identity', () => {
  const cfg = (set: (c: ReturnType<typeof emptyTrustConfig>) => void) => {
    const c = emptyTrustConfig();
    set(c);
    return c;
  };
  const untrustedAs = (code: string, message: string) => ({ status: 'untrusted', code, message });

  it('no policy at all: nothing to check, even for an identity read two ways', () => {
    expect(checkIdentityPolicy(emptyTrustConfig(), { sans: ['a'], conflict: 'x' })).toBeUndefined();
  });

  it('an issuer alone is a policy: a conflict refuses it', () => {
    expect(
      checkIdentityPolicy(
        cfg((c) => (c.certificateOidcIssuer = 'https://i')),
        { sans: ['a'], issuer: 'https://i', conflict: 'x' },
      ),
    ).toEqual(
      untrustedAs(
        'IDENTITY_AMBIGUOUS',
        'the certificate identity is not read the same way by every verifier: x',
      ),
    );
  });

  it('no SAN: shown as (none)', () => {
    expect(
      checkIdentityPolicy(
        cfg((c) => (c.certificateIdentity = 'a')),
        { sans: [] },
      ),
    ).toEqual(untrustedAs('IDENTITY_MISMATCH', 'certificate identity (none) is not the required a'));
  });

  it('an identity regexp needs one SAN to match, not all', () => {
    const c = cfg((x) => (x.certificateIdentityRegexp = /^b$/));
    expect(checkIdentityPolicy(c, { sans: ['a', 'b'] })).toBeUndefined();
    expect(checkIdentityPolicy(c, { sans: ['a', 'c'] })).toEqual(
      untrustedAs('IDENTITY_MISMATCH', 'certificate identity a, c does not match ^b$'),
    );
  });

  it('an exact issuer: the certificate issuer, or (none), is named in the refusal', () => {
    const c = cfg((x) => (x.certificateOidcIssuer = 'https://i'));
    expect(checkIdentityPolicy(c, { sans: ['a'] })).toEqual(
      untrustedAs('ISSUER_MISMATCH', 'certificate OIDC issuer (none) is not the required https://i'),
    );
    expect(checkIdentityPolicy(c, { sans: ['a'], issuer: 'https://j' })).toEqual(
      untrustedAs('ISSUER_MISMATCH', 'certificate OIDC issuer https://j is not the required https://i'),
    );
    expect(checkIdentityPolicy(c, { sans: ['a'], issuer: 'https://i' })).toBeUndefined();
  });

  it('an issuer regexp alone: matched, not matched, or no issuer', () => {
    const c = cfg((x) => (x.certificateOidcIssuerRegexp = /^https:\/\/i$/));
    expect(checkIdentityPolicy(c, { sans: ['a'], issuer: 'https://i' })).toBeUndefined();
    expect(checkIdentityPolicy(c, { sans: ['a'], issuer: 'https://j' })).toEqual(
      untrustedAs('ISSUER_MISMATCH', 'certificate OIDC issuer https://j does not match ^https:\\/\\/i$'),
    );
    expect(checkIdentityPolicy(c, { sans: ['a'] })).toEqual(
      untrustedAs('ISSUER_MISMATCH', 'certificate OIDC issuer (none) does not match ^https:\\/\\/i$'),
    );
  });
});

describe('keylessVerdict', () => {
  it('without a complete policy: unverified, the issuer shown as unknown when the certificate names none', () => {
    const leaf = cert(['subjectAltName=email:x@example.com']);
    const config = cfgIdentityOnly();
    expect(
      keylessVerdict(config, leaf, 'signature', { sans: ['x@example.com'], who: 'the leaf' }, {}),
    ).toEqual({
      status: 'unverified',
      code: 'IDENTITY_POLICY_MISSING',
      message:
        'keyless signature by x@example.com (issuer unknown) chains to a Fulcio CA, but no identity policy was given: pass --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]',
    });
  });
});

describe('keylessVerdict with a complete policy', () => {
  it('a matching identity and issuer: verified KEYLESS_VERIFIED naming root and time', () => {
    const leaf = cert([
      `1.3.6.1.4.1.57264.1.1=DER:${hex('https://a.example')}`,
      'subjectAltName=email:x@example.com',
    ]);
    const config = cfgIdentityOnly();
    config.certificateOidcIssuer = 'https://a.example';
    expect(
      keylessVerdict(
        config,
        leaf,
        'attestation',
        { sans: ['x@example.com'], oidc: 'https://a.example', who: 'the leaf' },
        { root: { path: 'root.json' }, signingTime: new Date('2026-01-02T03:04:05Z') },
      ),
    ).toEqual({
      status: 'verified',
      code: 'KEYLESS_VERIFIED',
      message:
        'keyless attestation by x@example.com (issuer https://a.example) verified with root.json at 2026-01-02T03:04:05.000Z',
    });
  });
});

function cfgIdentityOnly() {
  const c = emptyTrustConfig();
  c.certificateIdentity = 'x@example.com';
  return c;
}
