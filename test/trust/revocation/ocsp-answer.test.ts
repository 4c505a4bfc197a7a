import { execFile } from 'node:child_process';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../src/formats/x509.js';
import {
  ocspAnswer,
  ocspRequest,
  OnlineRevocationClient,
  revocationSources,
} from '../../../src/trust/revocation/online.js';
import { concatBytes, derEncode, derRebuilt } from '../../helpers/der-tree.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  issuedIn,
  makeRevocationCa,
  reopenRevocationCa,
  type RevocationCa,
} from '../../helpers/revocation-pki.js';

/**
 * The OCSP and CRL decisions of `--revocation online` at unit level, without servers: every response is
 * `openssl ocsp` answering a request file (`-reqin`) from the CA's index.txt, every CRL `openssl ca
 * -gencrl`, and the client's fetch hands them out by URL. What online.test.ts cannot show through a real
 * responder: which SingleResponse is read, the time windows to the millisecond, who may sign, and which
 * sources are asked in which order.
 */
const run = promisify(execFile);
let dir: string;
let ca: RevocationCa;
/** A CA with the real CA's key but another name, and one with its name but another key. */
const other = { sameKey: '', sameName: '', sameNameKey: '', edCa: '' };
const certs: Record<string, ParsedCertificate> = {};
const pems: Record<string, string> = {};
const signers: Record<string, { cert: string; key: string }> = {};

const p = (name: string) => join(dir, name);
const parsePem = (path: string) => parseCertificate(pemCertificates(readFileSync(path, 'utf8'))[0]!);

/** The serial of a certificate issued here, in hex, from its PEM path. */
function serialOf(pem: string): string {
  return parsePem(pem).summary.serialNumber;
}

/**
 * `openssl ocsp` as a responder for one request file, signed by `signer`. The CertIDs are asked by issuer
 * and serial (`-serial`), so that the issuer name hashed is the given issuer's (with `-cert` openssl
 * hashes the certificate's own issuer field).
 */
async function respond(
  ids: Array<[issuerPem: string, certPem: string]>,
  signer: { cert: string; key: string },
  name: string,
  extra: string[] = ['-nmin', '10'],
): Promise<Uint8Array> {
  const req = p(`${name}.req`);
  const resp = p(`${name}.resp`);
  await run('openssl', [
    'ocsp',
    ...ids.flatMap(([i, c]) => ['-issuer', i, '-serial', `0x${serialOf(c)}`]),
    '-no_nonce',
    '-reqout',
    req,
  ]);
  await run('openssl', [
    'ocsp',
    '-index',
    join(ca.dir, 'index.txt'),
    '-CA',
    ca.caPem,
    '-rsigner',
    signer.cert,
    '-rkey',
    signer.key,
    '-reqin',
    req,
    '-respout',
    resp,
    ...extra,
  ]);
  return new Uint8Array(readFileSync(resp));
}

/** thisUpdate of the response's first SingleResponse, as the reader sees it. */
function thisUpdate(der: Uint8Array): Date {
  const response = pkijs.OCSPResponse.fromBER(der.slice().buffer);
  const basic = pkijs.BasicOCSPResponse.fromBER(
    response.responseBytes!.response.valueBlock.valueHexView.slice().buffer,
  );
  return basic.tbsResponseData.responses[0]!.thisUpdate;
}

/** The error message ocspAnswer throws, or its answer. */
function answer(der: Uint8Array, cert: string, issuer: ParsedCertificate, at: Date): unknown {
  try {
    return ocspAnswer(der, certs[cert]!, issuer, at);
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The CAs, keys and certificates are made once a day (.cache/test-fixtures): Stryker reruns this hook for
 * every mutant. Not the delegated responder's certificate: its notBefore must be within the five minutes'
 * skew of the responses the tests make, so the CA (copied per run) signs its cached request here each run.
 */
beforeAll(async () => {
  const built = await cachedFixtureDir('ocsp-answer-v3', async (d) => {
    const q = (name: string) => join(d, name);
    const builder = await makeRevocationCa(q('ca'));
    appendFileSync(
      join(builder.dir, 'openssl.cnf'),
      `
[multi]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
authorityInfoAccess = @aia
crlDistributionPoints = URI:http://crl-a.example/ca.crl, URI:file:///etc/ca.crl, URI:http://crl-b.example/ca.crl, email:http://mail.example/ca.crl, URI:http://crl-c.example/ca.crl
subjectInfoAccess = OCSP;URI:http://sia.example/ocsp
freshestCRL = URI:http://delta.example/delta.crl
[aia]
caIssuers;URI.0 = http://issuers.example/ca.cer
OCSP;URI.1 = http://ocsp-a.example/
OCSP;URI.2 = ldap://ldap.example/cn=ocsp?http://ocsp-ldap.example
OCSP;URI.3 = http://ocsp-a.example/
OCSP;URI.4 = HTTP://ocsp-b.example/ocsp
`,
    );
    for (const [name, cn, extensions] of [
      ['good', 'Good Leaf', 'codesign'],
      ['revoked', 'Revoked Leaf', 'codesign'],
      ['multi', 'Many Sources', 'multi'],
      ['compromised', 'Compromised Leaf', 'codesign'],
    ] as const) {
      await builder.issue(name, cn, { extensions });
    }
    await builder.revoke(join(builder.dir, 'revoked.pem'), 'keyCompromise');
    // keyCompromise with an invalidityDate, which openssl ocsp puts in the singleExtensions.
    await builder.revoke(join(builder.dir, 'compromised.pem'), 'keyCompromise', '20260102030405Z');
    // The responder's key and request only; its certificate is issued per run, after the cache.
    await builder.openssl(
      'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(builder.dir, 'ocsp.key'),
      '-out', join(builder.dir, 'ocsp.csr'), '-subj', '/O=Sigscan Test/CN=Sigscan OCSP Responder',
      '-config', join(builder.dir, 'openssl.cnf'),
    ); // prettier-ignore
    // The look-alike CAs, and a delegated responder certificate from each (the responder's own request).
    await run('openssl', [
      'req', '-x509', '-new', '-key', builder.caKey, '-subj', '/O=Sigscan Test/CN=Same Key Other Name', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-out', q('same-key.pem'),
    ]); // prettier-ignore
    // The CA's own certificate re-signed with a new key (`x509 -signkey` sets the key to it): the very same
    // subject bytes, another key.
    await run('openssl', [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      q('same-name.key'),
    ]);
    await run('openssl', [
      'x509',
      '-in',
      builder.caPem,
      '-signkey',
      q('same-name.key'),
      '-days',
      '30',
      '-out',
      q('same-name.pem'),
    ]);
    writeFileSync(q('ocsp.ext'), 'extendedKeyUsage = critical,OCSPSigning\n');
    for (const [name, issuerPem, issuerKey] of [
      ['from-same-key', q('same-key.pem'), builder.caKey],
      ['from-same-name', q('same-name.pem'), q('same-name.key')],
    ] as const) {
      await run('openssl', [
        'x509', '-req', '-in', join(builder.dir, 'ocsp.csr'), '-CA', issuerPem, '-CAkey', issuerKey, '-set_serial', '77',
        '-days', '30', '-extfile', q('ocsp.ext'), '-out', q(`${name}.pem`),
      ]); // prettier-ignore
    }
    // An Ed25519 CA (node:crypto refuses sha256 with its key) and a twin of it with the very same subject
    // and an RSA key (`x509 -signkey`), which issues an OCSPSigning certificate: signed sha256WithRSA, so
    // checking it with the Ed25519 CA's key throws rather than fails.
    await run('openssl', [
      'req', '-x509', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', q('ed-ca.key'), '-subj',
      '/O=Sigscan Test/CN=Ed25519 CA', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-out', q('ed-ca.pem'),
    ]); // prettier-ignore
    await run('openssl', [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      q('ed-twin.key'),
    ]);
    await run('openssl', [
      'x509', '-in', q('ed-ca.pem'), '-signkey', q('ed-twin.key'), '-days', '30', '-out', q('ed-twin.pem'),
    ]); // prettier-ignore
    await run('openssl', [
      'x509', '-req', '-in', join(builder.dir, 'ocsp.csr'), '-CA', q('ed-twin.pem'), '-CAkey', q('ed-twin.key'),
      '-set_serial', '78', '-days', '30', '-extfile', q('ocsp.ext'), '-out', q('from-ed-twin.pem'),
    ]); // prettier-ignore
  });
  dir = mkdtempSync(join(tmpdir(), 'sigscan-ocsp-answer-'));
  ca = reopenRevocationCa(join(built, 'ca'), join(dir, 'ca'), '/O=Sigscan Test/CN=Sigscan Revocation CA');
  certs['ca'] = parsePem(ca.caPem);
  for (const name of ['good', 'revoked', 'multi', 'compromised']) {
    const issued = issuedIn(ca.dir, name);
    pems[name] = issued.cert;
    certs[name] = parsePem(issued.cert);
    signers[name] = issued;
  }
  // The delegated responder, valid from now: the tests answer at its notBefore.
  await ca.openssl(
    'ca', '-batch', '-config', join(ca.dir, 'openssl.cnf'), '-in', join(ca.dir, 'ocsp.csr'),
    '-out', join(ca.dir, 'ocsp.pem'), '-notext', '-extensions', 'ocsp',
  ); // prettier-ignore
  pems['ocsp'] = join(ca.dir, 'ocsp.pem');
  certs['ocsp'] = parsePem(pems['ocsp']);
  signers['ocsp'] = { cert: pems['ocsp'], key: join(ca.dir, 'ocsp.key') };
  signers['ca'] = { cert: ca.caPem, key: ca.caKey };
  other.sameKey = join(built, 'same-key.pem');
  other.sameName = join(built, 'same-name.pem');
  other.sameNameKey = join(built, 'same-name.key');
  expect(Buffer.from(parsePem(other.sameName).subjectDer)).toEqual(Buffer.from(certs['ca']!.subjectDer));
  other.edCa = join(built, 'ed-ca.pem');
  for (const name of ['from-same-key', 'from-same-name', 'from-ed-twin']) {
    signers[name] = { cert: join(built, `${name}.pem`), key: signers['ocsp']!.key };
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ocspAnswer', () => {
  it('reads the SingleResponse for exactly this CertID: issuer name hash, key hash and serial', async () => {
    // openssl answers "unknown" for a CertID of a CA it does not serve: same key other name, same name other key.
    const der = await respond(
      [
        [ca.caPem, pems['revoked']!],
        [other.sameKey, pems['good']!],
        [other.sameName, pems['good']!],
        [ca.caPem, pems['good']!],
      ],
      signers['ocsp']!,
      'four',
    );
    const now = new Date();
    expect(answer(der, 'good', certs['ca']!, now)).toEqual({ status: 'good' });
    expect(answer(der, 'revoked', certs['ca']!, now)).toMatchObject({
      status: 'revoked',
      entry: { reason: 'keyCompromise' },
    });
    // The invalidityDate of the singleExtensions (notation-core-go's signing-time rule reads it); none
    // without one.
    const compromised = await respond([[ca.caPem, pems['compromised']!]], signers['ocsp']!, 'compromised');
    expect(answer(compromised, 'compromised', certs['ca']!, now)).toMatchObject({
      entry: { reason: 'keyCompromise', invalidityDate: new Date('2026-01-02T03:04:05Z') },
    });
    expect(Object.keys((answer(der, 'revoked', certs['ca']!, now) as { entry: object }).entry)).toEqual([
      'revokedAt',
      'reason',
    ]);
    // A response about other certificates only.
    const none = await respond([[ca.caPem, pems['revoked']!]], signers['ocsp']!, 'none');
    expect(answer(none, 'good', certs['ca']!, now)).toBe(
      `the response says nothing about serial ${certs['good']!.summary.serialNumber.toLowerCase()}`,
    );
  });

  it('status unknown is refused, not read as good or revoked', async () => {
    // Signed with the CA's key, which the same-key CA shares: the signer is accepted, the status is unknown.
    const der = await respond([[other.sameKey, pems['good']!]], signers['ca']!, 'unknown');
    expect(answer(der, 'good', parsePem(other.sameKey), new Date())).toBe(
      'the responder does not know the certificate (status unknown)',
    );
  });

  it('a response signed by the CA itself is believed', async () => {
    const der = await respond([[ca.caPem, pems['good']!]], signers['ca']!, 'by-ca');
    expect(answer(der, 'good', certs['ca']!, new Date())).toEqual({ status: 'good' });
  });

  it('a non-successful response status is named', () => {
    // OCSPResponse { responseStatus unauthorized(6) }: the whole of such a response.
    expect(answer(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x06]), 'good', certs['ca']!, new Date())).toBe(
      'the responder answered with status 6, not successful',
    );
  });

  it('thisUpdate may be up to five minutes after the check time, not a millisecond more', async () => {
    const der = await respond([[ca.caPem, pems['good']!]], signers['ca']!, 'skew');
    const produced = thisUpdate(der);
    const edge = new Date(produced.getTime() - 5 * 60_000);
    expect(answer(der, 'good', certs['ca']!, edge)).toEqual({ status: 'good' });
    expect(answer(der, 'good', certs['ca']!, new Date(edge.getTime() - 1))).toBe(
      `the response was produced ${produced.toISOString()}, after the check time`,
    );
  });

  it('without nextUpdate an answer is current for one hour after thisUpdate, to the millisecond', async () => {
    // No -nmin/-ndays: openssl leaves nextUpdate out.
    const der = await respond([[ca.caPem, pems['good']!]], signers['ca']!, 'no-next', []);
    const until = new Date(thisUpdate(der).getTime() + 60 * 60_000);
    expect(answer(der, 'good', certs['ca']!, until)).toEqual({ status: 'good' });
    expect(answer(der, 'good', certs['ca']!, new Date(until.getTime() + 1))).toBe(
      `the response is stale: current until ${until.toISOString()}`,
    );
  });

  it("a delegated responder counts only within its certificate's validity, bounds included", async () => {
    const der = await respond([[ca.caPem, pems['good']!]], signers['ocsp']!, 'delegated');
    const responder = certs['ocsp']!.cert;
    const notBefore = responder.notBefore.value;
    const notAfter = responder.notAfter.value;
    const refused = `the response is signed neither by ${certs['ca']!.summary.subject} nor by an OCSP responder it authorised`;
    // At notBefore the responder is valid, and the answer (made seconds later) within the skew: good.
    expect(answer(der, 'good', certs['ca']!, notBefore)).toEqual({ status: 'good' });
    expect(answer(der, 'good', certs['ca']!, new Date(notBefore.getTime() - 1))).toBe(refused);
    // At notAfter the responder is still valid, and the answer long stale.
    expect(answer(der, 'good', certs['ca']!, notAfter)).toMatch(/^the response is stale: current until /);
    expect(answer(der, 'good', certs['ca']!, new Date(notAfter.getTime() + 1))).toBe(refused);
  });

  it("a valid delegated responder's certificate does not make a response it did not sign believed", async () => {
    // Signed by a code-signing leaf of the CA, with the real responder's certificate added (-rother).
    writeFileSync(p('responder-cert.pem'), readFileSync(pems['ocsp']!));
    const der = await respond([[ca.caPem, pems['good']!]], signers['good']!, 'rother', [
      '-nmin',
      '10',
      '-rother',
      p('responder-cert.pem'),
    ]);
    expect(answer(der, 'good', certs['ca']!, new Date())).toBe(
      `the response is signed neither by ${certs['ca']!.summary.subject} nor by an OCSP responder it authorised`,
    );
  });

  it('a responder certificate from a look-alike CA is not believed (other name same key; same name other key)', async () => {
    const refused = `the response is signed neither by ${certs['ca']!.summary.subject} nor by an OCSP responder it authorised`;
    for (const signer of ['from-same-key', 'from-same-name']) {
      const der = await respond([[ca.caPem, pems['good']!]], signers[signer]!, signer);
      expect(answer(der, 'good', certs['ca']!, new Date()), signer).toBe(refused);
    }
  });
});

describe('ocspAnswer: signatures that cannot be checked are not believed', () => {
  it('an issuer key node:crypto cannot use with the response hash (Ed25519), itself or behind a responder: refused', async () => {
    // The CertID is the Ed25519 CA's (openssl ocsp -CA), the serial one the index lists as valid; the signer
    // a responder certificate its RSA twin issued, shipped in the response.
    const req = p('ed.req');
    const resp = p('ed.resp');
    await run('openssl', ['ocsp', '-issuer', other.edCa, '-serial', `0x${serialOf(pems['good']!)}`, '-no_nonce',
      '-reqout', req]); // prettier-ignore
    await run('openssl', ['ocsp', '-index', join(ca.dir, 'index.txt'), '-CA', other.edCa, '-rsigner',
      signers['from-ed-twin']!.cert, '-rkey', signers['from-ed-twin']!.key, '-reqin', req, '-respout', resp,
      '-nmin', '10']); // prettier-ignore
    const edCa = parsePem(other.edCa);
    expect(answer(new Uint8Array(readFileSync(resp)), 'good', edCa, new Date())).toBe(
      `the response is signed neither by ${edCa.summary.subject} nor by an OCSP responder it authorised`,
    );
  });

  it('a signature algorithm without a hash sigscan knows is refused, though node would verify it as SHA-256', async () => {
    const der = await respond([[ca.caPem, pems['good']!]], signers['ca']!, 'odd-alg');
    expect(answer(der, 'good', certs['ca']!, new Date())).toEqual({ status: 'good' });
    // sha256WithRSAEncryption (1.2.840.113549.1.1.11) -> 1.2.840.113549.1.1.99 in the unsigned outer
    // signatureAlgorithm of the BasicOCSPResponse.
    const odd = derRebuilt(der, (root) => {
      const octets = root.children![1]!.children![0]!.children![1]!;
      octets.content = derRebuilt(octets.content!, (basic) => {
        const oid = basic.children![1]!.children![0]!;
        expect(Buffer.from(oid.content!).toString('hex')).toBe('2a864886f70d01010b');
        oid.content = Buffer.from('2a864886f70d010163', 'hex');
      });
    });
    expect(answer(odd, 'good', certs['ca']!, new Date())).toBe(
      `the response is signed neither by ${certs['ca']!.summary.subject} nor by an OCSP responder it authorised`,
    );
  });
});

describe('ocspAnswer: the CertID hash algorithm', () => {
  it('a CertID labelled SHA-256 but carrying the SHA-1 hashes is not this certificate (re-signed by the CA)', async () => {
    const der = await respond([[ca.caPem, pems['good']!]], signers['ca']!, 'relabelled');
    const key = createPrivateKey(readFileSync(ca.caKey));
    const resigned = (hashOid?: string) =>
      derRebuilt(der, (root) => {
        const octets = root.children![1]!.children![0]!.children![1]!;
        octets.content = derRebuilt(octets.content!, (basic) => {
          const tbs = basic.children![0]!;
          const certId = tbs.children!.find((c) => c.id === 0x30)!.children![0]!.children![0]!;
          if (hashOid) certId.children![0]!.children![0]!.content = Buffer.from(hashOid, 'hex');
          basic.children![2]!.content = concatBytes([
            new Uint8Array([0]),
            cryptoSign('sha256', derEncode(tbs), key),
          ]);
        });
      });
    // The control: re-signed as it is, still good.
    expect(answer(resigned(), 'good', certs['ca']!, new Date())).toEqual({ status: 'good' });
    // id-sha256 in place of id-sha1 (1.3.14.3.2.26).
    expect(answer(resigned('608648016503040201'), 'good', certs['ca']!, new Date())).toBe(
      `the response says nothing about serial ${certs['good']!.summary.serialNumber.toLowerCase()}`,
    );
  });
});

describe('revocationSources and the client', () => {
  it('reads only http(s) OCSP responders of the AIA and CRL URIs, each once, in order', () => {
    expect(revocationSources(certs['multi']!.cert)).toEqual({
      ocsp: ['http://ocsp-a.example/', 'HTTP://ocsp-b.example/ocsp'],
      crl: ['http://crl-a.example/ca.crl', 'http://crl-b.example/ca.crl', 'http://crl-c.example/ca.crl'],
    });
  });

  it('asks the sources in order until one answers, and keeps answers per certificate and time', async () => {
    const now = new Date();
    const multiGood = await respond([[ca.caPem, pems['multi']!]], signers['ocsp']!, 'client-multi');
    // About another certificate: "says nothing about" this one, so the next responder is asked.
    const aboutOther = await respond([[ca.caPem, pems['revoked']!]], signers['ocsp']!, 'client-other');
    const asked: string[] = [];
    const client = new OnlineRevocationClient(async (url, kind) => {
      asked.push(`${kind} ${url.href}`);
      return url.host === 'ocsp-a.example' ? aboutOther : multiGood;
    });
    const request = encodeURIComponent(
      Buffer.from(ocspRequest(certs['multi']!, certs['ca']!)).toString('base64'),
    );
    const answers = await client.check(certs['multi']!, certs['ca']!, now);
    expect(answers).toEqual([
      {
        status: 'unavailable',
        source: 'OCSP http://ocsp-a.example/',
        problem: `the response says nothing about serial ${certs['multi']!.summary.serialNumber.toLowerCase()}`,
      },
      { status: 'good', source: 'OCSP HTTP://ocsp-b.example/ocsp' },
    ]);
    // A URL ending in "/" takes the request as is; any other gets a "/" first. No CRL is fetched.
    expect(asked).toEqual([
      `ocsp http://ocsp-a.example/${request}`,
      `ocsp http://ocsp-b.example/ocsp/${request}`,
    ]);
    // The same certificate and time: from the client's memory. Another time: asked again.
    asked.length = 0;
    expect(await client.check(certs['multi']!, certs['ca']!, now)).toEqual(answers);
    expect(asked).toEqual([]);
    await client.check(certs['multi']!, certs['ca']!, new Date(now.getTime() + 1000));
    expect(asked).toHaveLength(2);
  });

  it("OCSP down: the CRLs in order, another CA's CRL passed over, none after the one that answers", async () => {
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const crl = der(readFileSync(await ca.crl(p('ca.crl')), 'utf8'));
    const otherCa = await makeRevocationCa(join(dir, 'other-ca'), '/O=Sigscan Test/CN=Another CA');
    const otherCrl = der(readFileSync(await otherCa.crl(p('other.crl')), 'utf8'));
    const asked: string[] = [];
    const client = new OnlineRevocationClient(async (url, kind) => {
      asked.push(`${kind} ${url.href}`);
      if (kind === 'ocsp') throw new Error('responder down');
      return url.host === 'crl-a.example' ? otherCrl : crl;
    });
    const answers = await client.check(certs['multi']!, certs['ca']!, new Date());
    expect(answers.map((a) => [a.status, a.source])).toEqual([
      ['unavailable', 'OCSP http://ocsp-a.example/'],
      ['unavailable', 'OCSP HTTP://ocsp-b.example/ocsp'],
      ['unavailable', 'CRL http://crl-a.example/ca.crl'],
      ['good', 'CRL http://crl-b.example/ca.crl'],
    ]);
    expect(answers[2]).toEqual({
      status: 'unavailable',
      source: 'CRL http://crl-a.example/ca.crl',
      problem: `it is issued by another CA than ${certs['multi']!.summary.issuer}`,
    });
    expect(asked.filter((a) => a.startsWith('crl'))).toEqual([
      'crl http://crl-a.example/ca.crl',
      'crl http://crl-b.example/ca.crl',
    ]);
  });
});
