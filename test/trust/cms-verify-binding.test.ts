import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseSignedData } from '../../src/formats/cms.js';
import { contentBytes, elementBytes } from '../../src/formats/der-reader.js';
import { computeImageHash } from '../../src/formats/pe/image-hash.js';
import { parsePeLayout } from '../../src/formats/pe/pe-file.js';
import type { TrustConfig } from '../../src/trust/config.js';
import { verifySignerInfo } from '../../src/trust/cms-verify.js';
import { contentsOctets } from '../../src/trust/families/authenticode.js';
import { derAll, derEncode, derTree, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir, workingCopy } from '../helpers/fixture-cache.js';
import { compileTinyPe, makeSignedPe, makeTestPki, osslsigncodeVerifyWith } from '../helpers/pe/signed-pe.js';
import { firstRecordContent, replaceFirstRecordContent } from '../helpers/pe/surgery.js';
import { config, evaluateFile } from './helpers.js';

/**
 * The content binding of a SignerInfo with signed attributes (cms-verify.ts): the signature covers only the
 * signed attributes, so the messageDigest attribute is the one thing that ties it to the content. Every case
 * starts from a PE signed by osslsigncode (SHA-256, RSA) and goes through the whole scan (detector, image
 * hash, evaluator), and osslsigncode judges the same file.
 *
 * - content swap: the file is changed and the SpcIndirectDataContent digest recomputed to match, so the
 *   family's own image-hash check passes; the signed attributes and the signature are untouched. Only the
 *   messageDigest comparison can see it.
 * - ambiguous messageDigest (two attributes, or two values in one), signed with the signer's key so that
 *   the signature over the attributes is good: the attributes then name the digests of two different files,
 *   and a verifier that reads one of them accepts one of the files. Each file is rejected by the
 *   exactly-one rule, which runs before the signature check; the message names that rule.
 * - a messageDigest that is not an OCTET STRING (one tag byte changed in the file): the signature over the
 *   attributes now fails too, so the verdict code and message show that the attribute check ran first.
 */

const EXACTLY_ONE = 'the signed attributes do not carry exactly one messageDigest value';
const WHAT = 'the Authenticode signature certificate-table[0] is invalid: ';
/** id-messageDigest 1.2.840.113549.1.9.4, contents octets. */
const MESSAGE_DIGEST_OID = Buffer.from('2a864886f70d010904', 'hex');

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** The SignerInfo of a ContentInfo tree, and its signedAttrs [0] and signature. */
function signerParts(root: DerNode): { attrs: DerNode; signature: DerNode } {
  const signedData = root.children![1]!.children![0]!;
  const signerInfo = signedData.children!.at(-1)!.children![0]!;
  const i = signerInfo.children!.findIndex((c) => c.id === 0xa0);
  return { attrs: signerInfo.children![i]!, signature: signerInfo.children![i + 2]! };
}

function isMessageDigest(attribute: DerNode): boolean {
  const type = attribute.children?.[0];
  return type?.id === 0x06 && Buffer.from(type.content!).equals(MESSAGE_DIGEST_OID);
}

/** DER SET OF order: by the encodings of the elements. */
function sortSetOf(set: DerNode): void {
  set.children!.sort((a, b) => Buffer.compare(derEncode(a), derEncode(b)));
}

/** `change` edits the signed attributes; they are re-sorted and signed again with `key` (RSA, SHA-256). */
function resignedAttributes(
  contentInfo: Uint8Array,
  key: KeyObject,
  change: (attrs: DerNode) => void,
): Uint8Array {
  const root = derTree(contentInfo);
  const { attrs, signature } = signerParts(root);
  change(attrs);
  sortSetOf(attrs);
  const set = derEncode({ ...attrs, id: 0x31 });
  signature.content = new Uint8Array(sign('sha256', set, key));
  return derEncode(root);
}

function replaceOnce(bytes: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const buf = Buffer.from(bytes);
  const at = buf.indexOf(from);
  expect(at).toBeGreaterThan(0);
  expect(buf.indexOf(from, at + 1)).toBe(-1);
  const out = bytes.slice();
  out.set(to, at);
  return out;
}

describe('the messageDigest attribute binds the signature to the content (osslsigncode PE)', () => {
  let dir: string;
  let caPem: string;
  let key: KeyObject;
  let signed: Uint8Array;
  /** The signed file with its DOS stub changed, and its image hash. */
  let changed: Uint8Array;
  let signedImageHash: Buffer;
  let changedImageHash: Buffer;
  let cfg: TrustConfig;

  beforeAll(async () => {
    const built = await cachedFixtureDir('cms-verify-binding-v1', async (d) => {
      const pki = await makeTestPki(join(d, 'pki'));
      await makeSignedPe(pki, await compileTinyPe(d), join(d, 'signed.exe'), { hash: 'sha256' });
    });
    dir = workingCopy(built, 'sigscan-cms-binding-');
    caPem = join(dir, 'pki', 'ca.pem');
    key = createPrivateKey(readFileSync(join(dir, 'pki', 'rsa.key')));
    signed = new Uint8Array(readFileSync(join(dir, 'signed.exe')));
    const layout = parsePeLayout(signed);
    signedImageHash = Buffer.from(computeImageHash(signed, layout, 'SHA-256'));
    changed = replaceOnce(signed, Buffer.from('cannot be run'), Buffer.from('CANNOT be run'));
    changedImageHash = Buffer.from(computeImageHash(changed, layout, 'SHA-256'));
    cfg = await config({ roots: [caPem], tsaRoots: [caPem] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Uint8Array): string => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  /** The SpcIndirectDataContent contents octets of a file's signature: what messageDigest covers. */
  const spcContents = (contentInfo: Uint8Array): Uint8Array =>
    contentsOctets(elementBytes(parseSignedData(contentInfo).eContent!));

  async function scan(
    file: string,
  ): Promise<{ status: string; code: string; message: string; matches: unknown }> {
    const [outcome, ...more] = await evaluateFile(file, 'pe', cfg);
    expect(more).toEqual([]);
    return { ...outcome!.verdict, matches: outcome!.evidence.details?.['imageHashMatches'] };
  }

  async function osslsigncode(file: string): Promise<{ passed: boolean; digestFailure: boolean }> {
    const r = await osslsigncodeVerifyWith(file, { caFile: caPem, tsaCaFile: caPem });
    return { passed: r.passed, digestFailure: r.output.includes('PKCS7_signatureVerify:digest failure') };
  }

  it('the signed file verifies (sigscan and osslsigncode)', async () => {
    const file = write('as-signed.exe', signed);
    expect(await scan(file)).toMatchObject({ status: 'verified', code: 'CHAIN_VALID', matches: true });
    expect((await osslsigncode(file)).passed).toBe(true);
  });

  it('content swap: the file changed, the SpcIndirectDataContent digest recomputed, the signed attributes kept', async () => {
    // The image hash lives in the certificate table, which the image hash does not cover.
    const swapped = replaceOnce(changed, signedImageHash, changedImageHash);
    const file = write('swapped.exe', swapped);
    const claimed = sha256(spcContents(firstRecordContent(join(dir, 'as-signed.exe'))));
    const actual = sha256(spcContents(firstRecordContent(file)));
    expect(await scan(file)).toEqual({
      status: 'invalid',
      code: 'CMS_DIGEST_MISMATCH',
      message: `${WHAT}messageDigest attribute ${claimed.toString('hex')} does not match the SHA-256 of the signed content (${actual.toString('hex')})`,
      // The family's image-hash check passed: the messageDigest comparison is what rejects the file.
      matches: true,
    });
    expect(await osslsigncode(file)).toEqual({ passed: false, digestFailure: true });

    // The same at the SignerInfo: the signature over the signed attributes is still the signer's.
    const signer = parseSignedData(firstRecordContent(file)).signers[0]!;
    expect(signer.hasSignedAttributes).toBe(true);
    const r = await verifySignerInfo({ signer, content: spcContents(firstRecordContent(file)) });
    expect(r).toEqual({
      ok: false,
      code: 'CMS_DIGEST_MISMATCH',
      message: `messageDigest attribute ${claimed.toString('hex')} does not match the SHA-256 of the signed content (${actual.toString('hex')})`,
      digestAlgorithm: 'sha256',
    });
    const original = await verifySignerInfo({
      signer,
      content: spcContents(firstRecordContent(join(dir, 'as-signed.exe'))),
    });
    expect(original).toMatchObject({ ok: true, code: 'CMS_SIGNATURE_VALID' });
  });

  /**
   * One signature whose signed attributes name the SpcIndirectDataContent of both the signed file and the
   * changed one (both files carry it): each file has its digest there, so reading any one of the values
   * accepts one of them.
   */
  async function bothFiles(change: (attrs: DerNode, digests: [Buffer, Buffer]) => void): Promise<string[]> {
    const original = firstRecordContent(write('as-signed.exe', signed));
    const swappedContent = replaceOnce(original, signedImageHash, changedImageHash);
    const digests: [Buffer, Buffer] = [sha256(spcContents(original)), sha256(spcContents(swappedContent))];
    const ambiguous = resignedAttributes(original, key, (attrs) => change(attrs, digests));
    const files = [
      replaceFirstRecordContent(write('a.exe', signed), join(dir, 'ambiguous-signed.exe'), ambiguous),
      replaceFirstRecordContent(
        write('b.exe', changed),
        join(dir, 'ambiguous-changed.exe'),
        replaceOnce(ambiguous, signedImageHash, changedImageHash),
      ),
    ];
    for (const file of files) {
      // Both signatures are the signer's, over attributes holding this file's digest.
      const signer = parseSignedData(firstRecordContent(file)).signers[0]!;
      const values = signer.signerInfo
        .signedAttrs!.attributes.filter((a) => a.type === '1.2.840.113549.1.9.4')
        .flatMap((a) => a.values.map((v) => Buffer.from(contentBytes(v)).toString('hex')));
      expect(values.sort()).toEqual(digests.map((d) => d.toString('hex')).sort());
    }
    return files;
  }

  /**
   * osslsigncode (OpenSSL's PKCS7_verify) reads the first messageDigest in stored order and ignores the
   * other: it accepts the file whose digest is stored first and rejects the other one. The attributes are
   * in DER order, which for two equal-length OCTET STRINGs is the order of the digests.
   */
  async function expectOsslsigncodeReadsTheFirst(files: string[]): Promise<void> {
    const digests = files.map((f) => sha256(spcContents(firstRecordContent(f))));
    const first = Buffer.compare(digests[0]!, digests[1]!) < 0 ? 0 : 1;
    for (const [i, file] of files.entries()) {
      expect(await osslsigncode(file)).toEqual(
        i === first ? { passed: true, digestFailure: false } : { passed: false, digestFailure: true },
      );
    }
  }

  it('two messageDigest attributes, one per file: both files rejected by the exactly-one rule', async () => {
    const files = await bothFiles((attrs, [, other]) => {
      const md = attrs.children!.find(isMessageDigest)!;
      attrs.children!.push({
        id: 0x30,
        children: [md.children![0]!, { id: 0x31, children: [{ id: 0x04, content: other }] }],
      });
    });
    for (const file of files) {
      expect(await scan(file)).toEqual({
        status: 'invalid',
        code: 'CMS_DIGEST_MISMATCH',
        message: WHAT + EXACTLY_ONE,
        matches: true,
      });
    }
    await expectOsslsigncodeReadsTheFirst(files);
  });

  it('one messageDigest attribute with two values, one per file: both files rejected', async () => {
    const files = await bothFiles((attrs, [, other]) => {
      const values = attrs.children!.find(isMessageDigest)!.children![1]!;
      values.children!.push({ id: 0x04, content: other });
      sortSetOf(values);
    });
    for (const file of files) {
      expect(await scan(file)).toEqual({
        status: 'invalid',
        code: 'CMS_DIGEST_MISMATCH',
        message: WHAT + EXACTLY_ONE,
        matches: true,
      });
    }
    await expectOsslsigncodeReadsTheFirst(files);
  });

  it('no messageDigest attribute (re-signed): rejected, not read as absent signed attributes', async () => {
    const original = firstRecordContent(write('as-signed.exe', signed));
    const without = resignedAttributes(original, key, (attrs) => {
      attrs.children = attrs.children!.filter((a) => !isMessageDigest(a));
    });
    const file = replaceFirstRecordContent(write('c.exe', signed), join(dir, 'no-md.exe'), without);
    expect(await scan(file)).toEqual({
      status: 'invalid',
      code: 'CMS_DIGEST_MISMATCH',
      message: WHAT + EXACTLY_ONE,
      matches: true,
    });
    expect((await osslsigncode(file)).passed).toBe(false);
  });

  it('an empty signed-attributes SET: refused as MALFORMED_CMS, where osslsigncode reads it as absent', async () => {
    // SignedAttributes is SET SIZE (1..MAX), so `[0] {}` is malformed. OpenSSL's PKCS7 code (osslsigncode) takes
    // it as no attributes and checks the signature over the content; OpenSSL's CMS code (`openssl cms -verify`)
    // hashes the empty set and fails (test/formats/cms-structure.test.ts). Two readers of the platform disagree,
    // so sigscan refuses the structure (src/formats/cms.ts) rather than pick one.
    const original = firstRecordContent(write('as-signed.exe', signed));
    const root = derTree(original);
    const { attrs, signature } = signerParts(root);
    attrs.children = [];
    signature.content = new Uint8Array(sign('sha256', spcContents(original), key));
    const file = replaceFirstRecordContent(
      write('e.exe', signed),
      join(dir, 'empty-attrs.exe'),
      derEncode(root),
    );
    expect(() => parseSignedData(firstRecordContent(file))).toThrow(
      'SignerInfo signed attributes are an empty set',
    );
    // The Authenticode reader refuses the file's signature; the scan reports it as that file's error.
    await expect(scan(file)).rejects.toMatchObject({
      code: 'MALFORMED_CMS',
      message: 'certificate-table[0]: SignerInfo signed attributes are an empty set',
    });
    expect((await osslsigncode(file)).passed).toBe(true);
  });

  it('a messageDigest that is not an OCTET STRING (one tag byte): the attribute check runs before the signature', async () => {
    const original = firstRecordContent(write('as-signed.exe', signed));
    const md = derAll(derTree(original)).find((n) => n.id === 0x30 && n.children && isMessageDigest(n))!;
    const value = derEncode(md.children![1]!.children![0]!);
    expect(value[0]).toBe(0x04);
    // [0] IMPLICIT: the same 32 digest octets under a context tag; no length changes, nothing re-encoded.
    const retagged = replaceOnce(original, value, new Uint8Array([0x80, ...value.subarray(1)]));
    const file = replaceFirstRecordContent(write('d.exe', signed), join(dir, 'md-not-octets.exe'), retagged);
    // The signature over the changed attributes no longer verifies either (CMS_SIGNATURE_INVALID): the
    // exactly-one message shows the messageDigest rule decided, and that it ran first.
    expect(await scan(file)).toEqual({
      status: 'invalid',
      code: 'CMS_DIGEST_MISMATCH',
      message: WHAT + EXACTLY_ONE,
      matches: true,
    });
    expect((await osslsigncode(file)).passed).toBe(false);
  });
});
