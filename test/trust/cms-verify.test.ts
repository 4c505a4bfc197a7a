import { constants, createHash, createPrivateKey, privateEncrypt, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import type { JarEvidenceMaterial } from '../../src/detectors/jar.js';
import { parseSignedData, type SignerInfoView } from '../../src/formats/cms.js';
import { contentBytes, readElement } from '../../src/formats/der-reader.js';
import { parseCertificate } from '../../src/formats/x509.js';
import { verifySignerInfo } from '../../src/trust/cms-verify.js';
import { contentsOctets } from '../../src/trust/families/authenticode.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { fieldWithId, firstSignerInfo, kids } from '../helpers/cms-surgery.js';
import { derEncode, derRebuilt, type DerNode } from '../helpers/der-tree.js';
import { cachedRunInDirSync } from '../helpers/tool-answers.js';
import { detectFile } from './helpers.js';

const CONTENT = new Uint8Array(Buffer.from('Signature-Version: 1.0\r\nCreated-By: sigscan tests\r\n\r\n'));

/**
 * openssl in the test's temp dir, once a day per command and input files (cachedRunInDirSync): the keys, the
 * DSA parameters and the signatures come from the day cache, and so does openssl's verdict on them; Stryker
 * reruns these for every mutant the file covers (16 s a run before).
 */
function openssl(dir: string, args: string[]): void {
  const answer = cachedRunInDirSync('cms-verify-openssl-v1', 'openssl', dir, args);
  if (answer.exitCode !== 0)
    throw new Error(`openssl ${args.join(' ')} exited with ${answer.exitCode}\n${answer.stderr}`);
}

describe('verifySignerInfo with signatures made by openssl cms', () => {
  let dir: string;
  const p = (n: string) => join(dir, n);

  /** `openssl cms -verify -noverify` of a DER file against CONTENT (cached per day): its answer. */
  function opensslCmsVerify(file: string, extra: string[] = []) {
    const args = ['cms', '-verify', '-binary', '-noverify', '-inform', 'DER', '-in', p(file), ...extra];
    return cachedRunInDirSync(
      'cms-verify-openssl-v1',
      'openssl',
      dir,
      [...args, '-content', p('content'), '-out', p('out')],
      false,
    );
  }

  /** Self-signed cert + detached DER CMS over CONTENT with the given key type and options. */
  function sign(name: string, keyArgs: string[], extra: string[] = []): SignerInfoView {
    openssl(dir, [
      'req',
      '-x509',
      ...keyArgs.map((a) => a.replace('DSAPARAM', p('dsaparam.pem'))),
      '-nodes',
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.pem`),
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
    ]);
    openssl(dir, [
      'cms',
      '-sign',
      '-binary',
      '-in',
      p('content'),
      '-signer',
      p(`${name}.pem`),
      '-inkey',
      p(`${name}.key`),
      '-outform',
      'DER',
      '-out',
      p(`${name}.p7s`),
      ...extra,
    ]);
    const info = parseSignedData(new Uint8Array(readFileSync(p(`${name}.p7s`))));
    return info.signers[0]!;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-cms-'));
    writeFileSync(p('content'), CONTENT);
    openssl(dir, [
      'genpkey',
      '-genparam',
      '-algorithm',
      'DSA',
      '-pkeyopt',
      'dsa_paramgen_bits:2048',
      '-out',
      p('dsaparam.pem'),
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<{ name: string; key: string[]; extra?: string[]; attrs: boolean }> = [
    { name: 'rsa-sha256-attrs', key: ['-newkey', 'rsa:2048'], attrs: true },
    { name: 'rsa-sha256-noattr', key: ['-newkey', 'rsa:2048'], extra: ['-noattr'], attrs: false },
    {
      name: 'rsa-pss-sha384',
      key: ['-newkey', 'rsa:2048'],
      extra: ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:32'],
      attrs: true,
    },
    { name: 'rsa-sha1', key: ['-newkey', 'rsa:2048'], extra: ['-md', 'sha1'], attrs: true },
    { name: 'rsa-md5-noattr', key: ['-newkey', 'rsa:2048'], extra: ['-md', 'md5', '-noattr'], attrs: false },
    { name: 'ecdsa-p256', key: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], attrs: true },
    {
      name: 'ecdsa-p384-noattr',
      key: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
      extra: ['-noattr'],
      attrs: false,
    },
    { name: 'dsa', key: ['-newkey', 'dsa:DSAPARAM'], attrs: true },
  ];

  it.each(cases)('$name: valid over the content, invalid over anything else', async (c) => {
    const signer = sign(c.name, c.key, c.extra);
    expect(signer.hasSignedAttributes).toBe(c.attrs);
    const good = await verifySignerInfo({ signer, content: CONTENT });
    expect(good, good.message).toMatchObject({ ok: true, code: 'CMS_SIGNATURE_VALID' });
    // openssl agrees (detached content, no chain check).
    openssl(dir, [
      'cms',
      '-verify',
      '-binary',
      '-noverify',
      '-inform',
      'DER',
      '-in',
      p(`${c.name}.p7s`),
      '-content',
      p('content'),
      '-out',
      p('out'),
    ]);

    const tampered = CONTENT.slice();
    tampered[5] = tampered[5]! ^ 1;
    const bad = await verifySignerInfo({ signer, content: tampered });
    expect(bad.ok).toBe(false);
    expect(bad.code).toBe(c.attrs ? 'CMS_DIGEST_MISMATCH' : 'CMS_SIGNATURE_INVALID');
  });

  it('flags SHA-1 and MD5 as weak without failing them', async () => {
    const sha1 = await verifySignerInfo({
      signer: sign('weak-sha1', ['-newkey', 'rsa:2048'], ['-md', 'sha1']),
      content: CONTENT,
    });
    expect(sha1).toMatchObject({ ok: true, weakAlgorithm: 'SHA-1' });
    const md5 = await verifySignerInfo({
      signer: sign('weak-md5', ['-newkey', 'rsa:2048'], ['-md', 'md5', '-noattr']),
      content: CONTENT,
    });
    expect(md5).toMatchObject({ ok: true, weakAlgorithm: 'MD5' });
  });

  it('a flipped signature byte is CMS_SIGNATURE_INVALID (with signed attributes)', async () => {
    const signer = sign('flip', ['-newkey', 'rsa:2048']);
    const sig = signer.signatureValue.slice();
    sig[10] = sig[10]! ^ 0x40;
    const r = await verifySignerInfo({ signer: { ...signer, signatureValue: sig }, content: CONTENT });
    expect(r).toMatchObject({ ok: false, code: 'CMS_SIGNATURE_INVALID' });
  });

  it('signed attributes stored BER (indefinite length) verify through their DER form, and only so', async () => {
    const signer = sign('ber-attrs', ['-newkey', 'rsa:2048']);
    const attrs = signer.signerInfo.signedAttrs!;
    const element = readElement(attrs.der, { code: 'MALFORMED_CMS' });
    const ber = new Uint8Array([0xa0, 0x80, ...contentBytes(element), 0x00, 0x00]);
    const berSigner = {
      ...signer,
      signerInfo: { ...signer.signerInfo, signedAttrs: { ...attrs, der: ber } },
    };
    const r = await verifySignerInfo({ signer: berSigner, content: CONTENT });
    expect(r, r.message).toMatchObject({ ok: true, code: 'CMS_SIGNATURE_VALID' });
    const other = await verifySignerInfo({ signer: berSigner, content: new Uint8Array([1, 2, 3]) });
    expect(other).toMatchObject({ ok: false, code: 'CMS_DIGEST_MISMATCH' });
  });

  /** The signer with another signatureAlgorithm / digestAlgorithm OID, as a file relabelled in place would read. */
  const relabel = (
    signer: SignerInfoView,
    field: 'signatureAlgorithm' | 'digestAlgorithm',
    oid: string,
  ): SignerInfoView => ({
    ...signer,
    signerInfo: { ...signer.signerInfo, [field]: { oid } },
  });
  const privateKey = (name: string) => createPrivateKey(readFileSync(p(`${name}.key`)));
  /** PKCS #1 type-1 padding around the bare hash, no DigestInfo: the legacy VeriSign form. */
  const bareSignature = (name: string, hash: string, data: Uint8Array): Uint8Array =>
    new Uint8Array(
      privateEncrypt(
        { key: privateKey(name), padding: constants.RSA_PKCS1_PADDING },
        createHash(hash).update(data).digest(),
      ),
    );

  it('legacy bare-digest RSA signature: valid over its own content only', async () => {
    const signer = sign('bare', ['-newkey', 'rsa:2048'], ['-md', 'sha1', '-noattr']);
    const own = { ...signer, signatureValue: bareSignature('bare', 'sha1', CONTENT) };
    expect(await verifySignerInfo({ signer: own, content: CONTENT })).toMatchObject({
      ok: true,
      code: 'CMS_SIGNATURE_VALID',
    });
    // The same key's bare signature over other bytes: same length of recovered hash, other value.
    const other = { ...signer, signatureValue: bareSignature('bare', 'sha1', new Uint8Array([1, 2, 3])) };
    expect(await verifySignerInfo({ signer: other, content: CONTENT })).toMatchObject({
      ok: false,
      code: 'CMS_SIGNATURE_INVALID',
    });
  });

  it('a bare-digest signature labelled RSASSA-PSS is not read as the legacy PKCS #1 form', async () => {
    const signer = sign(
      'bare-pss',
      ['-newkey', 'rsa:2048'],
      ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss'],
    );
    expect(signer.signerInfo.signatureAlgorithm.oid).toBe('1.2.840.113549.1.1.10');
    const attrs = signer.signerInfo.signedAttrs!.der.slice();
    attrs[0] = 0x31;
    const bare = { ...signer, signatureValue: bareSignature('bare-pss', 'sha384', attrs) };
    expect(await verifySignerInfo({ signer: bare, content: CONTENT })).toMatchObject({
      ok: false,
      code: 'CMS_SIGNATURE_INVALID',
    });
  });

  it('RSASSA-PSS with an MGF1 hash other than the message hash: UNSUPPORTED_ALGORITHM', async () => {
    const signer = sign(
      'pss-mgf',
      ['-newkey', 'rsa:2048'],
      ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_mgf1_md:sha256'],
    );
    expect(await verifySignerInfo({ signer, content: CONTENT })).toEqual({
      ok: false,
      code: 'UNSUPPORTED_ALGORITHM',
      message: 'RSASSA-PSS with an MGF1 hash different from the message hash is not supported',
      digestAlgorithm: 'sha384',
    });
  });

  /**
   * An openssl-made SignerInfo whose signed attributes are signed again with the Ed25519 key of an openssl-made
   * certificate, labelled Ed25519: OpenSSL 3.0's cms -sign refuses Ed25519 ("invalid digest").
   */
  function ed25519Signer(name: string): SignerInfoView {
    const base = sign(`${name}-base`, ['-newkey', 'rsa:2048']);
    openssl(
      dir,
      [
        'req',
        '-x509',
        '-newkey',
        'ed25519',
        '-nodes',
        '-keyout',
        p(`${name}.key`),
        '-out',
        p(`${name}.pem`),
      ].concat(['-subj', `/CN=${name}`]),
    );
    openssl(dir, ['x509', '-in', p(`${name}.pem`), '-outform', 'DER', '-out', p(`${name}.der`)]);
    const attrs = base.signerInfo.signedAttrs!.der.slice();
    attrs[0] = 0x31;
    return {
      ...base,
      certificate: parseCertificate(new Uint8Array(readFileSync(p(`${name}.der`)))),
      signatureValue: new Uint8Array(nodeSign(null, attrs, privateKey(name))),
      signerInfo: { ...base.signerInfo, signatureAlgorithm: { oid: '1.3.101.112' } },
    };
  }

  it('Ed25519 (RFC 8419) over the signed attributes: valid', async () => {
    expect(await verifySignerInfo({ signer: ed25519Signer('ed'), content: CONTENT })).toMatchObject({
      ok: true,
      code: 'CMS_SIGNATURE_VALID',
      message: 'Ed25519 signature by CN=ed is valid',
    });
  });

  it.each([
    // node:crypto verifies with whatever key it is given: an RSA PKCS #1 signature checks out under an Ed25519
    // label (a null hash makes it pick SHA-256), an ECDSA one under an RSA label (the hash is all it takes from
    // the label). OpenSSL's CMS_SignerInfo_verify refuses both ("wrong public key type"), as does Windows.
    { name: 'rsa', key: ['-newkey', 'rsa:2048'], label: '1.3.101.112', labelName: 'Ed25519', keyType: 'rsa' },
    {
      name: 'ec',
      key: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      label: '1.2.840.113549.1.1.11',
      labelName: 'SHA256withRSA',
      keyType: 'ec',
    },
    {
      name: 'rsa-as-ec',
      key: ['-newkey', 'rsa:2048'],
      label: '1.2.840.10045.4.3.2',
      labelName: 'SHA256withECDSA',
      keyType: 'rsa',
    },
  ])(
    'a $keyType signature relabelled $labelName: CMS_SIGNATURE_INVALID, not verified under the other algorithm',
    async (c) => {
      const signer = sign(`relabel-${c.name}`, c.key, ['-noattr']);
      expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({ ok: true });
      const r = await verifySignerInfo({
        signer: relabel(signer, 'signatureAlgorithm', c.label),
        content: CONTENT,
      });
      expect(r).toMatchObject({
        ok: false,
        code: 'CMS_SIGNATURE_INVALID',
        message: `the signature is labelled ${c.labelName}, but the signer's key is ${c.keyType}`,
      });
    },
  );

  it('an Ed25519 signature labelled SHA256withRSA: CMS_SIGNATURE_INVALID', async () => {
    const signer = ed25519Signer('edr');
    expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({ ok: true });
    expect(
      await verifySignerInfo({
        signer: relabel(signer, 'signatureAlgorithm', '1.2.840.113549.1.1.11'),
        content: CONTENT,
      }),
    ).toMatchObject({
      ok: false,
      code: 'CMS_SIGNATURE_INVALID',
      message: "the signature is labelled SHA256withRSA, but the signer's key is ed25519",
    });
  });

  it('RSASSA-PSS parameters OpenSSL refuses (saltLength -5): UNSUPPORTED_ALGORITHM, not a verdict on the signature', async () => {
    const signer = sign(
      'pss-salt',
      ['-newkey', 'rsa:2048'],
      ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:32'],
    );
    const der = readFileSync(p('pss-salt.p7s'));
    const salt = Buffer.from('a203020120', 'hex');
    const at = der.indexOf(salt);
    expect(der.indexOf(salt, at + 1)).toBe(-1);
    der[at + 4] = 0xfb;
    const odd = parseSignedData(new Uint8Array(der)).signers[0]!;
    expect(odd.signerInfo.signatureAlgorithm.oid).toBe(signer.signerInfo.signatureAlgorithm.oid);
    const r = await verifySignerInfo({ signer: odd, content: CONTENT });
    expect(r).toMatchObject({ ok: false, code: 'UNSUPPORTED_ALGORITHM', digestAlgorithm: 'sha384' });
    expect(r.message).toMatch(/^RSASSA-PSS with SHA-384 could not be checked: .*invalid salt length/);
  });

  it('an unknown signature algorithm OID is UNSUPPORTED_ALGORITHM, not verified with a guessed hash', async () => {
    const signer = sign('unknown-sig', ['-newkey', 'rsa:2048']);
    // sha256WithRSAEncryption's arc with an unassigned last number.
    const r = await verifySignerInfo({
      signer: relabel(signer, 'signatureAlgorithm', '1.2.840.113549.1.1.99'),
      content: CONTENT,
    });
    expect(r).toEqual({
      ok: false,
      code: 'UNSUPPORTED_ALGORITHM',
      message: 'signature algorithm 1.2.840.113549.1.1.99 is not supported',
      digestAlgorithm: 'sha256',
    });
  });

  it('a digest OID written as signatureAlgorithm (the old habit) means the key with the SignerInfo digest', async () => {
    const signer = sign('digest-as-sig', ['-newkey', 'rsa:2048']);
    // SHA3-256: a NIST hash arc (2.16.840.1.101.3.4.2.*) that is not in the hash table itself.
    const r = await verifySignerInfo({
      signer: relabel(signer, 'signatureAlgorithm', '2.16.840.1.101.3.4.2.8'),
      content: CONTENT,
    });
    expect(r).toMatchObject({ ok: true, code: 'CMS_SIGNATURE_VALID', digestAlgorithm: 'sha256' });
  });

  it('an unknown digest algorithm OID is UNSUPPORTED_ALGORITHM', async () => {
    const signer = sign('unknown-digest', ['-newkey', 'rsa:2048']);
    const r = await verifySignerInfo({
      signer: relabel(signer, 'digestAlgorithm', '2.16.840.1.101.3.4.2.8'),
      content: CONTENT,
    });
    expect(r).toEqual({
      ok: false,
      code: 'UNSUPPORTED_ALGORITHM',
      message: 'digest algorithm 2.16.840.1.101.3.4.2.8 is not supported',
    });
  });

  it('a signer certificate whose key node:crypto cannot import: UNSUPPORTED_ALGORITHM', async () => {
    const signer = sign('odd-key', ['-newkey', 'rsa:2048']);
    // rsaEncryption (1.2.840.113549.1.1.1) in the SubjectPublicKeyInfo becomes 1.2.840.113549.1.1.99.
    const der = Buffer.from(signer.certificate!.der);
    const oid = Buffer.from('06092a864886f70d0101010500', 'hex');
    const at = der.indexOf(oid);
    expect(der.indexOf(oid, at + 1)).toBe(-1);
    der[at + 10] = 0x63;
    const certificate = parseCertificate(new Uint8Array(der));
    const r = await verifySignerInfo({ signer: { ...signer, certificate }, content: CONTENT });
    expect(r).toMatchObject({ ok: false, code: 'UNSUPPORTED_ALGORITHM', digestAlgorithm: 'sha256' });
    expect(r.message).toMatch(/^the signer's public key \(.*\) cannot be used: /);
  });

  it('no certificate for the sid: SIGNER_CERTIFICATE_MISSING', async () => {
    const signer = sign('nocert', ['-newkey', 'rsa:2048']);
    const r = await verifySignerInfo({ signer: { ...signer, certificate: undefined }, content: CONTENT });
    expect(r).toMatchObject({ ok: false, code: 'SIGNER_CERTIFICATE_MISSING' });
  });

  /**
   * The content-type signed attribute (RFC 5652 §11.1): the openssl-made signed attributes edited and signed
   * again with the same key, so only the attribute rule decides. OpenSSL's ossl_cms_si_check_attributes
   * refuses a missing, repeated or two-valued content-type; the JDK's SignerInfo.verify refuses a value other
   * than the eContentType ("contentType does not match, bad SignerInfo"), which OpenSSL does not check.
   */
  describe('the content-type signed attribute', () => {
    const CONTENT_TYPE = '2a864886f70d010903';
    const isContentType = (a: DerNode) =>
      Buffer.from(a.children![0]!.content!).toString('hex') === CONTENT_TYPE;
    const contentTypeAttr = (attrs: DerNode) => attrs.children!.find(isContentType)!;
    const variants: Array<{ name: string; change: (attrs: DerNode) => void; openssl: boolean }> = [
      { name: 'as signed', change: () => {}, openssl: true },
      {
        name: 'missing',
        change: (attrs) => {
          attrs.children = attrs.children!.filter((a) => !isContentType(a));
        },
        openssl: false,
      },
      {
        name: 'twice',
        change: (attrs) => {
          attrs.children!.push(contentTypeAttr(attrs));
        },
        openssl: false,
      },
      {
        name: 'two values',
        change: (attrs) => {
          const values = contentTypeAttr(attrs).children![1]!;
          values.children!.push(values.children![0]!);
        },
        openssl: false,
      },
      {
        name: 'no value',
        change: (attrs) => {
          contentTypeAttr(attrs).children![1]!.children = [];
        },
        openssl: false,
      },
      {
        // id-signedData where the eContentType is id-data.
        name: 'another content type',
        change: (attrs) => {
          contentTypeAttr(attrs).children![1]!.children![0]!.content = new Uint8Array(
            Buffer.from('2a864886f70d010702', 'hex'),
          );
        },
        openssl: true,
      },
      {
        // id-data's bytes as an OCTET STRING rather than an OBJECT IDENTIFIER: OpenSSL checks no value type.
        name: 'not an OID',
        change: (attrs) => {
          contentTypeAttr(attrs).children![1]!.children![0]!.id = 0x04;
        },
        openssl: true,
      },
    ];

    it.each(variants)('$name', async (c) => {
      const signer = sign('content-type', ['-newkey', 'rsa:2048']);
      expect(signer.contentType).toBe('1.2.840.113549.1.7.1');
      const der = derRebuilt(new Uint8Array(readFileSync(p('content-type.p7s'))), (root) => {
        const si = firstSignerInfo(root);
        const attrs = fieldWithId(si, 0xa0)!;
        c.change(attrs);
        const signature = kids(si).at(-1)!;
        signature.content = new Uint8Array(
          nodeSign('sha256', derEncode({ ...attrs, id: 0x31 }), privateKey('content-type')),
        );
      });
      const file = `content-type-${c.name.replaceAll(' ', '-')}.p7s`;
      writeFileSync(p(file), der);
      const answer = opensslCmsVerify(file);
      expect(answer.exitCode === 0).toBe(c.openssl);
      const r = await verifySignerInfo({ signer: parseSignedData(der).signers[0]!, content: CONTENT });
      expect(r).toMatchObject(
        c.name === 'as signed'
          ? { ok: true, code: 'CMS_SIGNATURE_VALID' }
          : { ok: false, code: 'CMS_SIGNATURE_INVALID', digestAlgorithm: 'sha256' },
      );
    });
  });

  it('a SignedData without a certificate set (cms -sign -nocerts): read, its signer certificate missing until supplied', async () => {
    const signer = sign('nocerts', ['-newkey', 'rsa:2048'], ['-nocerts']);
    const info = parseSignedData(new Uint8Array(readFileSync(p('nocerts.p7s'))));
    expect(info.certificates).toHaveLength(0);
    expect(info.certificateSetSize).toBe(0);
    expect(info.signers).toHaveLength(1);
    expect(signer.certificate).toBeUndefined();
    expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({
      ok: false,
      code: 'SIGNER_CERTIFICATE_MISSING',
    });
    // The certificate supplied from outside, as `openssl cms -verify -certfile` does: valid.
    const cert = parseCertificate(
      new Uint8Array(
        Buffer.from(readFileSync(p('nocerts.pem'), 'latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64'),
      ),
    );
    expect(
      await verifySignerInfo({ signer: { ...signer, certificate: cert }, content: CONTENT }),
    ).toMatchObject({
      ok: true,
      code: 'CMS_SIGNATURE_VALID',
    });
    expect(opensslCmsVerify('nocerts.p7s').exitCode).not.toBe(0);
    expect(opensslCmsVerify('nocerts.p7s', ['-certfile', p('nocerts.pem')]).exitCode).toBe(0);
  });

  it('a view whose signed-attribute set is empty is not verified over the content: CMS_DIGEST_MISMATCH', async () => {
    // cms.ts refuses such a set when it reads one (SET SIZE (1..MAX)); a view built by hand must fail as well.
    const signer = sign('empty-attrs', ['-newkey', 'rsa:2048'], ['-noattr']);
    expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({ ok: true });
    const empty = {
      ...signer,
      signerInfo: {
        ...signer.signerInfo,
        signedAttrs: { der: new Uint8Array([0xa0, 0x00]), attributes: [] },
      },
    };
    expect(await verifySignerInfo({ signer: empty, content: CONTENT })).toMatchObject({
      ok: false,
      code: 'CMS_DIGEST_MISMATCH',
    });
  });

  it.each([
    {
      name: 'MGF1 without its hash parameters',
      change: (mgf: DerNode) => {
        mgf.children!.splice(1);
      },
    },
    {
      name: 'MGF1 with NULL parameters',
      change: (mgf: DerNode) => {
        mgf.children![1] = { id: 0x05, content: new Uint8Array(0) };
      },
    },
    {
      // 1.2.840.113549.1.1.8 (MGF1) with its last arc changed: a mask generation function nobody defines.
      name: 'a mask generation function other than MGF1',
      change: (mgf: DerNode) => {
        const oid = mgf.children![0]!;
        oid.content = new Uint8Array([...oid.content!.subarray(0, -1), 0x63]);
      },
    },
  ])(
    'RSASSA-PSS with $name: UNSUPPORTED_ALGORITHM, as OpenSSL refuses it ("invalid pss parameters")',
    async (c) => {
      const signer = sign(
        'pss-mgf1',
        ['-newkey', 'rsa:2048'],
        ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss'],
      );
      expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({ ok: true });
      // The signatureAlgorithm parameters lie outside what the signature covers: only the label changes.
      const der = derRebuilt(new Uint8Array(readFileSync(p('pss-mgf1.p7s'))), (root) => {
        const params = kids(kids(firstSignerInfo(root)).at(-2)!)[1]!;
        c.change(kids(kids(params).find((f) => f.id === 0xa1)!)[0]!);
      });
      const file = `pss-mgf1-${c.name.replaceAll(' ', '-')}.p7s`;
      writeFileSync(p(file), der);
      const answer = opensslCmsVerify(file);
      expect(answer.exitCode).not.toBe(0);
      expect(answer.stderr).toContain('invalid pss parameters');
      const r = await verifySignerInfo({ signer: parseSignedData(der).signers[0]!, content: CONTENT });
      expect(r).toMatchObject({ ok: false, code: 'UNSUPPORTED_ALGORITHM', digestAlgorithm: 'sha384' });
      expect(r.message).toMatch(/^RSASSA-PSS /);
    },
  );

  it.each([
    // RSASSA-PSS-params { hashAlgorithm [0] SHA3-256 }: a hash the verifier has no name for.
    {
      name: 'an unsupported hash',
      params: '300fa00d300b0609608648016503040208',
      message: /^RSASSA-PSS hash /,
    },
    // An INTEGER where the RSASSA-PSS-params SEQUENCE belongs.
    { name: 'not a SEQUENCE', params: '020105', message: /^malformed RSASSA-PSS parameters: / },
  ])('RSASSA-PSS parameters with $name: UNSUPPORTED_ALGORITHM', async (c) => {
    const signer = sign(
      'pss-params',
      ['-newkey', 'rsa:2048'],
      ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss'],
    );
    expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({ ok: true });
    const parameters = readElement(new Uint8Array(Buffer.from(c.params, 'hex')), { code: 'MALFORMED_CMS' });
    const r = await verifySignerInfo({
      signer: {
        ...signer,
        signerInfo: {
          ...signer.signerInfo,
          signatureAlgorithm: { oid: '1.2.840.113549.1.1.10', parameters },
        },
      },
      content: CONTENT,
    });
    expect(r).toMatchObject({ ok: false, code: 'UNSUPPORTED_ALGORITHM', digestAlgorithm: 'sha384' });
    expect(r.message).toMatch(c.message);
  });

  describe('where RFC 5652 §11 puts content-type, message-digest, signing-time and countersignature', () => {
    // ossl_cms_si_check_attributes (OpenSSL's cms_att.c) applies the same table. The changed signed attributes
    // are signed again with the signer's own key, so only the attribute rule can refuse them.
    const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
    const oid = (arc: number): DerNode => ({
      id: 0x06,
      content: hex(`2a864886f70d0109${arc.toString(16).padStart(2, '0')}`),
    });
    const attribute = (arc: number, ...values: DerNode[]): DerNode => ({
      id: 0x30,
      children: [oid(arc), { id: 0x31, children: values }],
    });
    const utcTime = (text: string): DerNode => ({
      id: 0x17,
      content: new Uint8Array(Buffer.from(text, 'latin1')),
    });
    const SIGNING_TIME = 5;
    const cases: Array<{ name: string; signed?: (attrs: DerNode[]) => void; unsigned?: DerNode[] }> = [
      {
        name: 'signing-time among the unsigned attributes',
        unsigned: [attribute(SIGNING_TIME, utcTime('200101000000Z'))],
      },
      {
        name: 'content-type among the unsigned attributes',
        unsigned: [attribute(3, { id: 0x06, content: hex('2a864886f70d010701') })],
      },
      {
        name: 'message-digest among the unsigned attributes',
        unsigned: [attribute(4, { id: 0x04, content: new Uint8Array(32) })],
      },
      {
        name: 'a second signing-time attribute',
        signed: (attrs) => void attrs.push(attribute(SIGNING_TIME, utcTime('200101000000Z'))),
      },
      {
        name: 'a signing-time attribute with two values',
        signed: (attrs) =>
          void attrs
            .find((a) => Buffer.from(a.children![0]!.content!).toString('hex').endsWith('0905'))!
            .children![1]!.children!.push(utcTime('200101000000Z')),
      },
      {
        name: 'a countersignature among the signed attributes',
        signed: (attrs) => void attrs.push(attribute(6, { id: 0x30, children: [] })),
      },
    ];

    it.each(cases)('$name: CMS_SIGNATURE_INVALID, as openssl cms -verify refuses it', async (c) => {
      const signer = sign('attribute-rules', ['-newkey', 'rsa:2048']);
      expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({ ok: true });
      const key = createPrivateKey(readFileSync(p('attribute-rules.key')));
      const der = derRebuilt(new Uint8Array(readFileSync(p('attribute-rules.p7s'))), (root) => {
        const si = firstSignerInfo(root);
        if (c.signed) {
          const signedAttrs = fieldWithId(si, 0xa0)!;
          c.signed(signedAttrs.children!);
          const set = derEncode({ id: 0x31, children: signedAttrs.children });
          kids(si).find((f) => f.id === 0x04)!.content = new Uint8Array(nodeSign('sha256', set, key));
        }
        if (c.unsigned) kids(si).push({ id: 0xa1, children: c.unsigned });
      });
      const file = `attribute-rules-${c.name.replaceAll(' ', '-')}.p7s`;
      writeFileSync(p(file), der);
      const answer = opensslCmsVerify(file);
      expect(answer.exitCode, answer.stderr).not.toBe(0);
      expect(answer.stderr).toContain('ossl_cms_si_check_attributes:attribute error');
      const r = await verifySignerInfo({ signer: parseSignedData(der).signers[0]!, content: CONTENT });
      expect(r).toMatchObject({ ok: false, code: 'CMS_SIGNATURE_INVALID' });
    });

    it('the same surgery with a signing-time value replaced, not added: valid for both (the control)', async () => {
      sign('attribute-rules', ['-newkey', 'rsa:2048']);
      const key = createPrivateKey(readFileSync(p('attribute-rules.key')));
      const der = derRebuilt(new Uint8Array(readFileSync(p('attribute-rules.p7s'))), (root) => {
        const si = firstSignerInfo(root);
        const signedAttrs = fieldWithId(si, 0xa0)!;
        const time = signedAttrs.children!.find((a) =>
          Buffer.from(a.children![0]!.content!).toString('hex').endsWith('0905'),
        )!;
        time.children![1]!.children = [utcTime('200101000000Z')];
        const set = derEncode({ id: 0x31, children: signedAttrs.children });
        kids(si).find((f) => f.id === 0x04)!.content = new Uint8Array(nodeSign('sha256', set, key));
      });
      writeFileSync(p('attribute-rules-control.p7s'), der);
      expect(opensslCmsVerify('attribute-rules-control.p7s').exitCode).toBe(0);
      const signer = parseSignedData(der).signers[0]!;
      expect(signer.signingTime?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
      expect(await verifySignerInfo({ signer, content: CONTENT })).toMatchObject({ ok: true });
    });
  });

  it("a certificate with another key than the signer's: CMS_SIGNATURE_INVALID", async () => {
    const a = sign('key-a', ['-newkey', 'rsa:2048'], ['-noattr']);
    const b = sign('key-b', ['-newkey', 'rsa:2048'], ['-noattr']);
    const r = await verifySignerInfo({ signer: { ...a, certificate: b.certificate }, content: CONTENT });
    expect(r).toMatchObject({ ok: false, code: 'CMS_SIGNATURE_INVALID' });
  });
});

describe('verifySignerInfo on corpus signatures', () => {
  it('JAR block without signed attributes (equinox signed.jar): signature over the .SF bytes', async () => {
    const [e] = await detectFile(join(CORPUS_DIR, 'jar/equinox/signed.jar'), 'jar');
    const m = e!.material as JarEvidenceMaterial;
    const signer = parseSignedData(m.blockDer).signers[0]!;
    expect(signer.hasSignedAttributes).toBe(false);
    expect(await verifySignerInfo({ signer, content: m.signatureFileBytes! })).toMatchObject({ ok: true });
    const sf = m.signatureFileBytes!.slice();
    sf[0] = sf[0]! ^ 1;
    expect(await verifySignerInfo({ signer, content: sf })).toMatchObject({ code: 'CMS_SIGNATURE_INVALID' });
  });

  it('JAR block with signed attributes (JDK 16 signedJava16.jar)', async () => {
    const [e] = await detectFile(join(CORPUS_DIR, 'jar/equinox/signedJava16.jar'), 'jar');
    const m = e!.material as JarEvidenceMaterial;
    const signer = parseSignedData(m.blockDer).signers[0]!;
    expect(signer.hasSignedAttributes).toBe(true);
    expect(await verifySignerInfo({ signer, content: m.signatureFileBytes! })).toMatchObject({ ok: true });
  });

  it.each(['whois.exe', 'pciide.sys', 'SoftwareUpdate.exe', '7z1900-x64_signed.exe'])(
    'Authenticode %s: messageDigest over the SpcIndirectDataContent contents octets only',
    async (name) => {
      const [e] = await detectFile(join(CORPUS_DIR, 'authenticode/signify', name), 'pe');
      const m = e!.material as AuthenticodeMaterial;
      const signer = parseSignedData(m.signedDataDer).signers[0]!;
      const ok = await verifySignerInfo({ signer, content: contentsOctets(m.spcIndirectDataDer) });
      expect(ok, ok.message).toMatchObject({ ok: true, code: 'CMS_SIGNATURE_VALID' });
      // Hashing the full DER (outer tag and length included) is the classic mistake: it must not match.
      const wrong = await verifySignerInfo({ signer, content: m.spcIndirectDataDer });
      expect(wrong.code).toBe('CMS_DIGEST_MISMATCH');
    },
  );
});
