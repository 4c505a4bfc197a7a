/**
 * Signature and threshold checks (src/trust/tuf/signatures.ts). Real signatures where a tool writes the
 * scheme: notary's `ecdsa` (raw r||s) and `eddsa` (test/helpers/tuf-repo-cache.ts), notary 0.3's `rsapss`
 * and python-tuf's `ed25519` / `rsassa-pss-sha256` (corpus). Schemes no tool here writes (nistp384,
 * PKCS#1 v1.5, the pycrypto alias, P-384/P-521 raw ECDSA) are signed with node:crypto, which is the
 * OpenSSL the verifiers use.
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { resolveKey, type TufKey } from '../../../src/formats/tuf/keys.js';
import { parseTufMetadata, type TufMetadata, type TufSignature } from '../../../src/formats/tuf/metadata.js';
import { checkThreshold, verifySignature } from '../../../src/trust/tuf/signatures.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { tufRepoFixture } from '../../helpers/tuf-repo-cache.js';

const MSG = new Uint8Array(Buffer.from('{"signed":"bytes"}'));
const keys = {
  p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  p521: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ed: generateKeyPairSync('ed25519'),
};
const tufKey = (scheme: string | undefined, flavour: 'tuf' | 'notary' = 'tuf'): TufKey => ({
  declaredId: 'k',
  computedId: 'k',
  keytype: 'x',
  scheme,
  public: '',
  flavour,
});
const sig = (bytes: Buffer, method?: string): TufSignature => ({
  keyid: 'k',
  method,
  sig: new Uint8Array(bytes),
});
/** verifySignature for a TUF 1.0 key of `scheme`. */
const tuf = (scheme: string | undefined, s: Buffer, pub: KeyObject) =>
  verifySignature(MSG, sig(s), tufKey(scheme), pub);
/** verifySignature for a notary signature of `method`. */
const notary = (method: string, s: Buffer, pub: KeyObject) =>
  verifySignature(MSG, sig(s, method), tufKey(undefined, 'notary'), pub);

const read = (p: string): TufMetadata => parseTufMetadata(new Uint8Array(readFileSync(join(CORPUS_DIR, p))));
let ts: TufMetadata;
let snapshot: TufMetadata;
let root: TufMetadata;

beforeAll(async () => {
  const f = await tufRepoFixture();
  root = parseTufMetadata(f.after.root);
  ts = parseTufMetadata(f.after.timestamp!);
  snapshot = parseTufMetadata(f.after.snapshot!);
});

describe('verifySignature: real signatures', () => {
  it("notary's eddsa (timestamp) and ecdsa raw r||s (snapshot) verify; a flipped bit does not", () => {
    for (const md of [ts, snapshot]) {
      const s = md.signatures[0]!;
      const key = root.root!.keys.get(s.keyid)!;
      expect(verifySignature(md.signedBytes, s, key, resolveKey(key).key)).toBe(true);
      const bad = new Uint8Array(s.sig);
      bad[3] = bad[3]! ^ 1;
      expect(verifySignature(md.signedBytes, { ...s, sig: bad }, key, resolveKey(key).key)).toBe(
        'signature does not verify',
      );
    }
    expect(ts.signatures[0]!.method).toBe('eddsa');
    expect(snapshot.signatures[0]!.method).toBe('ecdsa');
  });

  it("notary 0.3's rsapss delegation signature verifies", () => {
    const md = read('notary-v1-tuf/notary/notary0.3/targets/releases.json');
    const targets = read('notary-v1-tuf/notary/notary0.3/targets.json');
    const s = md.signatures[0]!;
    const key = targets.targets!.delegationKeys.get(s.keyid)!;
    expect(s.method).toBe('rsapss');
    expect(verifySignature(md.signedBytes, s, key, resolveKey(key).key)).toBe(true);
    // The same signature under the key scheme name the method implies elsewhere: not ecdsa.
    expect(verifySignature(md.signedBytes, { ...s, method: 'ecdsa' }, key, resolveKey(key).key)).toBe(
      'method ecdsa with a rsa key',
    );
  });

  it("python-tuf's ed25519 and rsassa-pss-sha256 signatures verify (the key's scheme decides)", () => {
    const r = read('notary-v1-tuf/python-tuf/metadata/root.json');
    const schemes = new Set<string>();
    for (const s of r.signatures) {
      const key = r.root!.keys.get(s.keyid)!;
      schemes.add(key.scheme!);
      expect(verifySignature(r.signedBytes, s, key, resolveKey(key).key)).toBe(true);
    }
    const t = read('notary-v1-tuf/python-tuf/metadata/timestamp.json');
    const tk = r.root!.keys.get(t.signatures[0]!.keyid)!;
    schemes.add(tk.scheme!);
    expect(verifySignature(t.signedBytes, t.signatures[0]!, tk, resolveKey(tk).key)).toBe(true);
    expect(schemes).toContain('ed25519');
  });
});

describe('verifySignature: each scheme with its key type, and with a wrong one', () => {
  const der = (k: { privateKey: KeyObject }, hash: string) =>
    sign(hash, MSG, { key: k.privateKey, dsaEncoding: 'der' });
  const raw = (k: { privateKey: KeyObject }) =>
    sign('sha256', MSG, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  const pss = (saltLength: number) =>
    sign('sha256', MSG, { key: keys.rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  const pkcs1 = () => sign('sha256', MSG, { key: keys.rsa.privateKey, padding: constants.RSA_PKCS1_PADDING });
  const ed = () => sign(null, MSG, keys.ed.privateKey);

  it('ecdsa-sha2-nistp256 / nistp384: DER, SHA-256 / SHA-384', () => {
    expect(tuf('ecdsa-sha2-nistp256', der(keys.p256, 'sha256'), keys.p256.publicKey)).toBe(true);
    expect(tuf('ecdsa-sha2-nistp384', der(keys.p384, 'sha384'), keys.p384.publicKey)).toBe(true);
    expect(tuf('ECDSA-SHA2-NISTP384', der(keys.p384, 'sha384'), keys.p384.publicKey)).toBe(true);
    expect(tuf('ecdsa-sha2-nistp384', der(keys.p384, 'sha256'), keys.p384.publicKey)).toBe(
      'signature does not verify',
    );
    expect(tuf('ecdsa-sha2-nistp384', pkcs1(), keys.rsa.publicKey)).toBe(
      'ecdsa-sha2-nistp384 with a rsa key',
    );
  });

  it('notary ecdsa: raw r||s sized by the curve (64, 96, 132 bytes); anything else is refused', () => {
    expect(notary('ecdsa', raw(keys.p256), keys.p256.publicKey)).toBe(true);
    expect(notary('ecdsa', raw(keys.p384), keys.p384.publicKey)).toBe(true);
    expect(notary('ecdsa', raw(keys.p521), keys.p521.publicKey)).toBe(true);
    expect(notary('ecdsa', raw(keys.p256), keys.p384.publicKey)).toBe(
      'ecdsa signature is 64 bytes, expected raw r||s of 96',
    );
    expect(notary('ecdsa', ed(), keys.ed.publicKey)).toBe('method ecdsa with a ed25519 key');
  });

  it('notary rsapss (salt 32) and TUF rsassa-pss-sha256 / the pycrypto alias (any salt)', () => {
    expect(notary('rsapss', pss(32), keys.rsa.publicKey)).toBe(true);
    expect(notary('rsapss', pss(20), keys.rsa.publicKey)).toBe('signature does not verify');
    expect(notary('rsapss', raw(keys.p256), keys.p256.publicKey)).toBe('method rsapss with a ec key');
    expect(tuf('rsassa-pss-sha256', pss(20), keys.rsa.publicKey)).toBe(true);
    expect(tuf('pycrypto-pkcs#1 pss', pss(32), keys.rsa.publicKey)).toBe(true);
    expect(tuf('rsassa-pss-sha256', raw(keys.p256), keys.p256.publicKey)).toBe(
      'rsassa-pss-sha256 with a ec key',
    );
  });

  it('PKCS#1 v1.5 under both names', () => {
    expect(notary('rsapkcs1v15', pkcs1(), keys.rsa.publicKey)).toBe(true);
    expect(tuf('rsa-pkcs1v15-sha256', pkcs1(), keys.rsa.publicKey)).toBe(true);
    expect(tuf('rsa-pkcs1v15-sha256', pss(32), keys.rsa.publicKey)).toBe('signature does not verify');
    expect(tuf('rsa-pkcs1v15-sha256', ed(), keys.ed.publicKey)).toBe(
      'rsa-pkcs1v15-sha256 with a ed25519 key',
    );
    expect(notary('rsapkcs1v15', ed(), keys.ed.publicKey)).toBe('rsapkcs1v15 with a ed25519 key');
  });

  it('ed25519 / eddsa', () => {
    expect(tuf('ed25519', ed(), keys.ed.publicKey)).toBe(true);
    expect(notary('eddsa', ed(), keys.ed.publicKey)).toBe(true);
    expect(tuf('ed25519', raw(keys.p256), keys.p256.publicKey)).toBe('ed25519 with a ec key');
  });

  it('a scheme sigscan does not know, or none at all', () => {
    expect(tuf('hmac-sha256', ed(), keys.ed.publicKey)).toBe('unsupported signature method "hmac-sha256"');
    expect(tuf(undefined, ed(), keys.ed.publicKey)).toBe('unsupported signature method "(none)"');
  });
});

describe('checkThreshold on notary-made metadata', () => {
  /** A copy of `md` with other signatures (the signed bytes are untouched). */
  const withSigs = (md: TufMetadata, sigs: TufSignature[]): TufMetadata => ({ ...md, signatures: sigs });

  it('the timestamp key signs: valid, threshold met, the signer resolved', () => {
    const grant = root.root!.roles['timestamp']!;
    const r = checkThreshold(ts, root.root!.keys, grant);
    expect(r).toMatchObject({ validKeyIds: grant.keyids, threshold: 1, met: true });
    expect(r.checks).toEqual([{ keyid: grant.keyids[0], method: 'eddsa', status: 'valid' }]);
    expect(r.signers.map((s) => s.key.keytype)).toEqual(['ed25519']);
  });

  it('a threshold of 0 is never met, even with a valid signature; 2 is not met by one key signing twice', () => {
    const grant = root.root!.roles['timestamp']!;
    expect(checkThreshold(ts, root.root!.keys, { ...grant, threshold: 0 })).toMatchObject({
      met: false,
      validKeyIds: grant.keyids,
    });
    const twice = withSigs(ts, [ts.signatures[0]!, ts.signatures[0]!]);
    const r = checkThreshold(twice, root.root!.keys, { ...grant, threshold: 2 });
    expect(r.met).toBe(false);
    expect(r.checks.map((c) => c.status)).toEqual(['valid', 'duplicate']);
  });

  it("another role's key (snapshot's) on the timestamp: not-in-role; an unknown key id: unknown-key; an empty signature: empty", () => {
    const snapSig = snapshot.signatures[0]!;
    const md = withSigs(ts, [
      snapSig,
      { ...ts.signatures[0]!, keyid: 'f'.repeat(64) },
      { ...ts.signatures[0]!, sig: new Uint8Array() },
    ]);
    const r = checkThreshold(md, root.root!.keys, root.root!.roles['timestamp']!);
    expect(r.checks.map((c) => [c.keyid, c.status])).toEqual([
      [snapSig.keyid, 'not-in-role'],
      ['f'.repeat(64), 'unknown-key'],
      [ts.signatures[0]!.keyid, 'empty'],
    ]);
    expect(r.met).toBe(false);
  });

  it('a notary key filed under an id that is not the hash of its content: keyid-mismatch, naming the real id', () => {
    const id = ts.signatures[0]!.keyid;
    const key = root.root!.keys.get(id)!;
    const forged = 'a'.repeat(64);
    const r = checkThreshold(
      withSigs(ts, [{ ...ts.signatures[0]!, keyid: forged }]),
      new Map([[forged, { ...key, declaredId: forged }]]),
      { keyids: [forged], threshold: 1 },
    );
    expect(r.checks).toEqual([
      { keyid: forged, method: 'eddsa', status: 'keyid-mismatch', detail: `key content hashes to ${id}` },
    ]);
  });

  it('a TUF 1.0 key id is an opaque label: the same key under another id still counts', () => {
    const t = read('notary-v1-tuf/python-tuf/metadata/timestamp.json');
    const r0 = read('notary-v1-tuf/python-tuf/metadata/root.json');
    const key = r0.root!.keys.get(t.signatures[0]!.keyid)!;
    const r = checkThreshold(
      withSigs(t, [{ ...t.signatures[0]!, keyid: 'timestamp-key' }]),
      new Map([['timestamp-key', { ...key, declaredId: 'timestamp-key' }]]),
      { keyids: ['timestamp-key'], threshold: 1 },
    );
    expect(r).toMatchObject({ met: true, validKeyIds: ['timestamp-key'] });
  });

  it('a key that does not decode: bad-key with the reason', () => {
    const id = ts.signatures[0]!.keyid;
    const key = { ...root.root!.keys.get(id)!, public: Buffer.alloc(31).toString('base64') };
    const r = checkThreshold(ts, new Map([[id, key]]), { keyids: [id], threshold: 1 });
    expect(r.checks[0]).toMatchObject({ status: 'bad-key' });
    expect(r.checks[0]!.detail).toMatch(/ed25519 public key is 31 bytes, not 32/);
  });
});
