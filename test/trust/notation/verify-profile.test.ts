/**
 * The Notary Project certificate profile (formats.md §3.5 item 8, notation-go
 * verifier/internal/x509 / notation-core-go signature/x509 ValidateCodeSigningCertChain) and the TSTInfo
 * accuracy rule, checked directly on certificates and timestamp tokens made with openssl: each profile
 * rule has a certificate that breaks only that rule, so each test pins the exact sentence sigscan gives.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, type ParsedCertificate } from '../../../src/formats/x509.js';
import {
  algorithmForKey,
  checkProfile,
  leafSubjectRefusal,
  subjectAttributes,
  timestampAccuracyMs,
} from '../../../src/trust/notation/verify.js';
import { derRebuilt, type DerNode } from '../../helpers/der-tree.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';

const O = 'sigscan profile';

/** name -> [key algorithm args, extension lines, issuer (undefined: self-signed), digest args]. */
const CERTS: Record<
  string,
  { key: string[]; ext: string[]; issuer?: string; digest?: string[]; subj?: string }
> = {
  root: {
    key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    ext: ['basicConstraints=critical,CA:true', 'keyUsage=critical,keyCertSign,cRLSign'],
  },
  rsaroot: {
    key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    ext: ['basicConstraints=critical,CA:true', 'keyUsage=critical,keyCertSign'],
  },
  good: { key: ecKey(), ext: leafExt(), issuer: 'root' },
  noku: { key: ecKey(), ext: ['basicConstraints=critical,CA:false'], issuer: 'root' },
  nodigsig: { key: ecKey(), ext: ['keyUsage=critical,nonRepudiation'], issuer: 'root' },
  allku: {
    key: ecKey(),
    ext: [
      'keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment,keyAgreement,keyCertSign,cRLSign,encipherOnly,decipherOnly',
    ],
    issuer: 'root',
  },
  deciphonly: { key: ecKey(), ext: ['keyUsage=critical,digitalSignature,decipherOnly'], issuer: 'root' },
  noeku: { key: ecKey(), ext: ['keyUsage=critical,digitalSignature'], issuer: 'root' },
  badeku: {
    key: ecKey(),
    ext: ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning,emailProtection,timeStamping'],
    issuer: 'root',
  },
  rsa1024: { key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], ext: leafExt(), issuer: 'root' },
  k256: {
    key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
    ext: leafExt(),
    issuer: 'root',
  },
  ed25519: { key: ['-algorithm', 'ED25519'], ext: leafExt(), issuer: 'root' },
  rsapss: {
    key: ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
    ext: leafExt(),
    issuer: 'root',
  },
  psssha1: {
    key: ecKey(),
    ext: leafExt(),
    issuer: 'rsaroot',
    digest: ['-sha1', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:20'],
  },
  psssha256: {
    key: ecKey(),
    ext: leafExt(),
    issuer: 'rsaroot',
    digest: ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'],
  },
  p384: { key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], ext: leafExt(), issuer: 'root' },
  p521: { key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], ext: leafExt(), issuer: 'root' },
  rsa3072: { key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'], ext: leafExt(), issuer: 'root' },
  // Subjects for leafSubjectRefusal / subjectAttributes (the others have no ST).
  bare: { key: ecKey(), ext: leafExt(), issuer: 'root', subj: '/CN=bare' },
  twoou: { key: ecKey(), ext: leafExt(), issuer: 'root', subj: `/C=US/ST=WA/O=${O}/OU=a/OU=b/CN=twoou` },
  // CA certificates, each placed above `good` (self-signed: checkProfile does not look at signatures).
  canobc: { key: ecKey(), ext: ['keyUsage=critical,keyCertSign'] },
  cabcnoncrit: { key: ecKey(), ext: ['basicConstraints=CA:true', 'keyUsage=critical,keyCertSign'] },
  cabcfalse: { key: ecKey(), ext: ['basicConstraints=critical,CA:false', 'keyUsage=critical,keyCertSign'] },
  canoku: { key: ecKey(), ext: ['basicConstraints=critical,CA:true'] },
  cakunoncrit: { key: ecKey(), ext: ['basicConstraints=critical,CA:true', 'keyUsage=keyCertSign'] },
  cakunosign: { key: ecKey(), ext: ['basicConstraints=critical,CA:true', 'keyUsage=critical,cRLSign'] },
  capathlen0: {
    key: ecKey(),
    ext: ['basicConstraints=critical,CA:true,pathlen:0', 'keyUsage=critical,keyCertSign'],
  },
};

function ecKey(): string[] {
  return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
}
function leafExt(): string[] {
  return [
    'basicConstraints=critical,CA:false',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=codeSigning',
  ];
}

/** TSA config sections: name -> extra lines (accuracy) and the query's policy. */
const TOKENS: Record<string, { lines: string[]; policy?: string }> = {
  full: { lines: ['accuracy = secs:2, millisecs:300, microsecs:1500'] },
  millis: { lines: ['accuracy = millisecs:500'] },
  micros: { lines: ['accuracy = microsecs:1001'] },
  secs: { lines: ['accuracy = secs:3'] },
  baseline: { lines: [], policy: '0.4.0.2023.1.1' },
  baselinesecs: { lines: ['accuracy = secs:2'], policy: '0.4.0.2023.1.1' },
  other: { lines: [] },
};

let dir: string;
const cert = (name: string): ParsedCertificate =>
  parseCertificate(new Uint8Array(readFileSync(join(dir, `${name}.der`))));
const token = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.tok`)));
const who = (cn: string) => `certificate CN=${cn},O=${O},C=US`;

beforeAll(async () => {
  dir = await cachedFixtureDir('notation-profile-v4', async (d) => {
    const openssl = (...args: string[]) =>
      execFileSync('openssl', args, { cwd: d, stdio: ['ignore', 'pipe', 'pipe'] });
    let serial = 1;
    for (const [name, spec] of Object.entries(CERTS)) {
      openssl('genpkey', ...spec.key, '-out', `${name}.key`);
      writeFileSync(join(d, `${name}.ext`), [...spec.ext, ''].join('\n'));
      openssl(
        'req',
        '-new',
        '-key',
        `${name}.key`,
        '-subj',
        spec.subj ?? `/C=US/O=${O}/CN=${name}`,
        '-out',
        `${name}.csr`,
      );
      const signer = spec.issuer
        ? ['-CA', `${spec.issuer}.crt`, '-CAkey', `${spec.issuer}.key`]
        : ['-signkey', `${name}.key`];
      const digest = spec.digest ?? (name === 'ed25519' ? [] : ['-sha256']);
      openssl(
        'x509', '-req', '-in', `${name}.csr`, ...signer, ...digest, '-days', '30', '-set_serial', String(serial++),
        '-extfile', `${name}.ext`, '-out', `${name}.crt`,
      ); // prettier-ignore
      openssl('x509', '-in', `${name}.crt`, '-outform', 'DER', '-out', `${name}.der`);
      await breathe();
    }
    // A TSA (its own profile is not what these tokens test) and one token per accuracy shape.
    writeFileSync(
      join(d, 'tsa.ext'),
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n',
    );
    openssl('genpkey', ...ecKey(), '-out', 'tsa.key');
    openssl('req', '-new', '-key', 'tsa.key', '-subj', `/C=US/O=${O}/CN=tsa`, '-out', 'tsa.csr');
    openssl(
      'x509',
      '-req',
      '-in',
      'tsa.csr',
      '-signkey',
      'tsa.key',
      '-days',
      '30',
      '-extfile',
      'tsa.ext',
      '-out',
      'tsa.crt',
    );
    writeFileSync(join(d, 'data'), 'stamped');
    writeFileSync(join(d, 'serial'), '01\n');
    for (const [name, spec] of Object.entries(TOKENS)) {
      writeFileSync(
        join(d, `${name}.cnf`),
        [
          '[tsa]',
          'default_tsa = t',
          '[t]',
          'serial = ./serial',
          'signer_digest = sha256',
          'default_policy = 1.2.3.4.1',
          'other_policies = 0.4.0.2023.1.1',
          'digests = sha256',
          'ess_cert_id_alg = sha256',
          ...spec.lines,
          '',
        ].join('\n'),
      );
      const policy = spec.policy ? ['-tspolicy', spec.policy] : [];
      openssl('ts', '-query', '-data', 'data', '-sha256', '-cert', ...policy, '-out', `${name}.tsq`);
      openssl(
        'ts', '-reply', '-config', `${name}.cnf`, '-queryfile', `${name}.tsq`, '-signer', 'tsa.crt',
        '-inkey', 'tsa.key', '-token_out', '-out', `${name}.tok`,
      ); // prettier-ignore
      await breathe();
    }
    // openssl leaves a zero accuracy out; tspclient-go reads an Accuracy of explicit zeros as absent. The
    // baseline token's TSTInfo with an Accuracy of seconds 0 (and one with no field at all) inserted after
    // genTime, re-signed by the same TSA with openssl cms.
    openssl('cms', '-verify', '-inform', 'DER', '-in', 'baseline.tok', '-noverify', '-out', 'baseline.tst');
    const accuracies: Record<string, DerNode> = {
      zerosecs: { id: 0x30, children: [{ id: 0x02, content: new Uint8Array([0]) }] },
      emptyacc: { id: 0x30, children: [] },
    };
    for (const [name, accuracy] of Object.entries(accuracies)) {
      const tst = derRebuilt(new Uint8Array(readFileSync(join(d, 'baseline.tst'))), (root) => {
        root.children!.splice(5, 0, accuracy);
      });
      writeFileSync(join(d, `${name}.tst`), tst);
      openssl(
        'cms', '-sign', '-binary', '-nodetach', '-in', `${name}.tst`, '-econtent_type', '1.2.840.113549.1.9.16.1.4',
        '-signer', 'tsa.crt', '-inkey', 'tsa.key', '-md', 'sha256', '-nosmimecap', '-outform', 'DER', '-out', `${name}.tok`,
      ); // prettier-ignore
    }
  });
}, 120_000);

describe('checkProfile: the signing (leaf) certificate', () => {
  it('a compliant leaf under a compliant root: no problem', () => {
    expect(checkProfile([cert('good'), cert('root')])).toBeUndefined();
  });

  it('a leaf with no extendedKeyUsage is allowed (notation requires none)', () => {
    expect(checkProfile([cert('noeku'), cert('root')])).toBeUndefined();
  });

  it('no keyUsage extension', () => {
    expect(checkProfile([cert('noku'), cert('root')])).toBe(
      `${who('noku')} has no keyUsage extension; the signing certificate needs a critical keyUsage with digitalSignature`,
    );
  });

  it('keyUsage without digitalSignature', () => {
    expect(checkProfile([cert('nodigsig'), cert('root')])).toBe(
      `${who('nodigsig')}: keyUsage lacks digitalSignature`,
    );
  });

  it('every forbidden keyUsage bit is named, in order, decipherOnly (second byte) last', () => {
    expect(checkProfile([cert('allku'), cert('root')])).toBe(
      `${who('allku')}: keyUsage of a signing certificate may not include keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly`,
    );
    expect(checkProfile([cert('deciphonly'), cert('root')])).toBe(
      `${who('deciphonly')}: keyUsage of a signing certificate may not include decipherOnly`,
    );
  });

  it('forbidden extendedKeyUsage purposes beside codeSigning', () => {
    expect(checkProfile([cert('badeku'), cert('root')])).toBe(
      `${who('badeku')}: extendedKeyUsage emailProtection, timeStamping is not allowed for a code-signing certificate`,
    );
  });
});

describe('checkProfile: keys and signature algorithms', () => {
  it('RSA 1024', () => {
    expect(checkProfile([cert('rsa1024'), cert('root')])).toBe(
      `${who('rsa1024')}: RSA key of 1024 bits is shorter than 2048`,
    );
  });

  it('EC secp256k1', () => {
    expect(checkProfile([cert('k256'), cert('root')])).toBe(
      `${who('k256')}: EC curve secp256k1 is not P-256, P-384 or P-521`,
    );
  });

  it('Ed25519', () => {
    expect(checkProfile([cert('ed25519'), cert('root')])).toBe(
      `${who('ed25519')}: ed25519 keys are not allowed (RSA or EC only)`,
    );
  });

  it('an RSASSA-PSS key of 2048 bits is an RSA key of allowed size', () => {
    expect(checkProfile([cert('rsapss'), cert('root')])).toBeUndefined();
  });

  it('a certificate signed with RSASSA-PSS over SHA-1 is weak; over SHA-256 it is not', () => {
    expect(checkProfile([cert('psssha1'), cert('rsaroot')])).toBe(
      `${who('psssha1')} is signed with RSASSA-PSS with SHA-1; SHA-1 and weaker are not accepted anywhere in the chain`,
    );
    expect(checkProfile([cert('psssha256'), cert('rsaroot')])).toBeUndefined();
  });
});

describe('checkProfile: keys and signature algorithms notation accepts', () => {
  it('EC P-384 and P-521 leaves comply, as P-256 does', () => {
    expect(checkProfile([cert('p384'), cert('root')])).toBeUndefined();
    expect(checkProfile([cert('p521'), cert('root')])).toBeUndefined();
  });

  it('RSASSA-PSS parameters that cannot be read (NULL in signatureAlgorithm and in the tbsCertificate signature field, which must be the same) are weak', () => {
    const der = derRebuilt(cert('psssha256').der, (root) => {
      root.children![1]!.children![1] = { id: 0x05, content: new Uint8Array() };
      root.children![0]!.children![2]!.children![1] = { id: 0x05, content: new Uint8Array() };
    });
    expect(checkProfile([parseCertificate(der), cert('rsaroot')])).toBe(
      `${who('psssha256')} is signed with RSASSA-PSS with unreadable parameters; SHA-1 and weaker are not accepted anywhere in the chain`,
    );
  });

  it('a public key node:crypto cannot read (id-ecPublicKey changed to an unknown OID) is a profile problem', () => {
    const der = derRebuilt(cert('good').der, (root) => {
      const spki = root.children![0]!.children!.find(
        (c) =>
          Buffer.from(c.children?.[0]?.children?.[0]?.content ?? []).toString('hex') === '2a8648ce3d0201',
      )!;
      spki.children![0]!.children![0]!.content = Buffer.from('2a8648ce3d0209', 'hex');
    });
    expect(checkProfile([parseCertificate(der), cert('root')])).toMatch(
      new RegExp(`^${who('good')}: its public key cannot be read \\(.+\\)$`),
    );
  });
});

describe('algorithmForKey: the algorithm notation derives from the leaf key, and how the key is described', () => {
  const key = (name: string) => new X509Certificate(cert(name).der).publicKey;
  it('RSA 2048/3072 and EC P-256/P-384/P-521 map to PS256/PS384 and ES256/ES384/ES512', () => {
    expect(algorithmForKey(key('rsaroot'))).toEqual({ alg: 'PS256', description: 'RSA 2048' });
    expect(algorithmForKey(key('rsa3072'))).toEqual({ alg: 'PS384', description: 'RSA 3072' });
    expect(algorithmForKey(key('good'))).toEqual({ alg: 'ES256', description: 'EC prime256v1' });
    expect(algorithmForKey(key('p384'))).toEqual({ alg: 'ES384', description: 'EC secp384r1' });
    expect(algorithmForKey(key('p521'))).toEqual({ alg: 'ES512', description: 'EC secp521r1' });
  });
  it('other sizes, curves and key types have no algorithm', () => {
    expect(algorithmForKey(key('rsa1024'))).toEqual({ description: 'RSA 1024' });
    expect(algorithmForKey(key('k256'))).toEqual({ description: 'EC secp256k1' });
    expect(algorithmForKey(key('ed25519'))).toEqual({ description: 'ed25519' });
  });
});

describe('checkProfile: CA certificates', () => {
  const above = (ca: string) => checkProfile([cert('good'), cert(ca)]);

  it('no basicConstraints', () => {
    expect(above('canobc')).toBe(`${who('canobc')} is used as a CA but has no basicConstraints extension`);
  });
  it('basicConstraints not critical', () => {
    expect(above('cabcnoncrit')).toBe(
      `${who('cabcnoncrit')}: the basicConstraints extension of a CA must be critical`,
    );
  });
  it('basicConstraints cA=false', () => {
    expect(above('cabcfalse')).toBe(`${who('cabcfalse')} is used as a CA but basicConstraints says cA=false`);
  });
  it('no keyUsage', () => {
    expect(above('canoku')).toBe(
      `${who('canoku')} is a CA without a keyUsage extension; keyCertSign is required`,
    );
  });
  it('keyUsage not critical', () => {
    expect(above('cakunoncrit')).toBe(
      `${who('cakunoncrit')}: the keyUsage extension of a CA must be critical`,
    );
  });
  it('keyUsage without keyCertSign', () => {
    expect(above('cakunosign')).toBe(`${who('cakunosign')} is a CA whose keyUsage lacks keyCertSign`);
  });
  it('pathLenConstraint 0: fine directly above the leaf, broken with one intermediate below', () => {
    expect(above('capathlen0')).toBeUndefined();
    expect(checkProfile([cert('good'), cert('root'), cert('capathlen0')])).toBe(
      `${who('capathlen0')} allows at most 0 intermediate CA(s) below it (pathLenConstraint) but the chain has 1`,
    );
  });
});

describe('timestampAccuracyMs (openssl ts tokens)', () => {
  it('seconds, millis and micros add up, micros rounded up to whole ms', () => {
    expect(timestampAccuracyMs(token('full'))).toBe(2000 + 300 + 2);
  });
  it('each accuracy field alone counts (the others absent)', () => {
    expect(timestampAccuracyMs(token('millis'))).toBe(500);
    expect(timestampAccuracyMs(token('micros'))).toBe(2);
    expect(timestampAccuracyMs(token('secs'))).toBe(3000);
  });
  it('no accuracy: 1 s under the RFC 3628 baseline policy, else 0', () => {
    expect(timestampAccuracyMs(token('baseline'))).toBe(1000);
    expect(timestampAccuracyMs(token('other'))).toBe(0);
  });
  it('under the baseline policy an accuracy that is given counts as given', () => {
    expect(timestampAccuracyMs(token('baselinesecs'))).toBe(2000);
  });
  it('under the baseline policy an accuracy of zero, or with no field, is 1 s (tspclient-go TSTInfo.Validate)', () => {
    expect(timestampAccuracyMs(token('zerosecs'))).toBe(1000);
    expect(timestampAccuracyMs(token('emptyacc'))).toBe(1000);
  });
});

describe('leaf subjects notation-go can match', () => {
  it('C, ST and O are required, and every missing one is named in that order', () => {
    expect(leafSubjectRefusal(cert('good').cert.subject)).toBe(
      'its subject lacks ST, which notation requires',
    );
    expect(leafSubjectRefusal(cert('bare').cert.subject)).toBe(
      'its subject lacks C, ST, O, which notation requires',
    );
    expect(leafSubjectRefusal(cert('twoou').cert.subject)).toBe(
      'its subject repeats OU, which notation does not match',
    );
  });
  it('subjectAttributes keeps every value of a repeated attribute', () => {
    const attrs = subjectAttributes(cert('twoou').cert.subject);
    expect(attrs.get('OU')).toEqual(['a', 'b']);
    expect(attrs.get('CN')).toEqual(['twoou']);
    expect([...attrs.keys()]).toEqual(['C', 'ST', 'O', 'OU', 'CN']);
  });
});
