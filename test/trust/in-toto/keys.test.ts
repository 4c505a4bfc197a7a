/**
 * src/trust/in-toto/keys.ts against securesystemslib (in-toto's key library): keys of every type and
 * scheme in-toto signs with (RSA under RSASSA-PSS and PKCS#1 v1.5 with SHA-224/256/384/512, ECDSA P-256
 * and P-384, Ed25519), a signature by each over one message, and securesystemslib's verify_signature
 * answer for every key against every signature (test/trust/in-toto/reference.py, cached per day).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';

import { canonicalJson, type InTotoKey } from '../../../src/formats/in-toto/index.js';
import {
  checkSignatures,
  layoutKeyObject,
  layoutKeyVerifier,
  trustedKeyVerifiers,
  verifyScheme,
} from '../../../src/trust/in-toto/keys.js';
import { MESSAGE, reference, referenceTools, type KeyFile, type Reference } from './reference.js';

const tools = await referenceTools();
const message = new TextEncoder().encode(MESSAGE);
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** The layout-key form sigscan parses from a layout's `keys`. */
const asLayoutKey = (k: KeyFile['key']): InTotoKey => {
  const raw: Record<string, unknown> = { ...k };
  delete raw['keyid'];
  return { keyid: k.keyid, keytype: k.keytype, scheme: k.scheme, publicKey: k.keyval.public, raw };
};

/** securesystemslib's key id of a public key object: SHA-256 of its canonical JSON. */
const keyId = (o: Record<string, unknown>): string =>
  createHash('sha256').update(canonicalJson(o)).digest('hex');

describe.skipIf(!tools)('in-toto keys and signature schemes (oracle: securesystemslib)', () => {
  let ref: Reference;
  beforeAll(async () => {
    ref = await reference();
  }, 300_000);

  it('every key against every signature: sigscan decides as securesystemslib verify_signature', () => {
    const seen: string[] = [];
    for (const [kname, k] of Object.entries(ref.keys)) {
      const key = layoutKeyObject(asLayoutKey(k.key));
      for (const [sname, sig] of Object.entries(ref.sigs)) {
        const ours = verifyScheme(k.key.scheme, key, message, hex(sig));
        const theirs = ref.answers.verify[`${kname}|${sname}`];
        expect(ours, `${kname} (${k.key.scheme}) with the signature by ${sname}`).toBe(theirs);
        if (ours) seen.push(kname);
      }
    }
    // Each key verifies its own signature and nothing else.
    expect(seen.sort()).toEqual(Object.keys(ref.keys).sort());
    expect(seen).toHaveLength(11);
  });

  it('a signature over other bytes does not verify under any scheme', () => {
    const other = new TextEncoder().encode(`${MESSAGE}!`);
    for (const k of Object.values(ref.keys)) {
      expect(verifyScheme(k.key.scheme, layoutKeyObject(asLayoutKey(k.key)), other, hex(k.sig))).toBe(false);
    }
  });

  it('an ECDSA key claiming an RSA or Ed25519 scheme verifies nothing (securesystemslib agrees)', () => {
    const p256 = ref.keys['p256']!;
    const key = layoutKeyObject(asLayoutKey(p256.key));
    // The P-256 key's own SHA-256 ECDSA signature: Node would accept it for an EC key if the RSA padding
    // options or the "null" Ed25519 digest were passed through unchecked.
    for (const scheme of ['rsa-pkcs1v15-sha256', 'rsassa-pss-sha256', 'ed25519']) {
      expect(ref.answers.ecdsaKeyClaimingScheme[scheme], scheme).toBe(false);
      expect(verifyScheme(scheme, key, message, hex(p256.sig)), scheme).toBe(false);
    }
    expect(verifyScheme('ecdsa-sha2-nistp256', key, message, hex(p256.sig))).toBe(true);
  });

  it("ECDSA: the curve must be the scheme's (sigscan stricter than securesystemslib, which never checks it)", () => {
    const p384 = layoutKeyObject(asLayoutKey(ref.keys['p384']!.key));
    const p256 = layoutKeyObject(asLayoutKey(ref.keys['p256']!.key));
    // securesystemslib accepts a P-384 key listed as nistp256 with a SHA-256 signature; sigscan does not.
    expect(ref.answers.p384KeyAsNistp256).toBe(true);
    expect(verifyScheme('ecdsa-sha2-nistp256', p384, message, hex(ref.sigs['p384-over-sha256']!))).toBe(
      false,
    );
    expect(verifyScheme('ecdsa-sha2-nistp384', p256, message, hex(ref.sigs['p256-over-sha384']!))).toBe(
      false,
    );
  });

  it('schemes in-toto does not define (or sigscan refuses: md5, sha1) verify nothing', () => {
    const rsa = layoutKeyObject(asLayoutKey(ref.keys['rsa-pss-sha256']!.key));
    for (const scheme of ['rsassa-pss-sha1', 'rsa-pkcs1v15-sha1', 'rsassa-pss-md5', 'rsa', 'sha256', '']) {
      expect(verifyScheme(scheme, rsa, message, hex(ref.sigs['rsa-pss-sha256']!)), scheme).toBe(false);
    }
  });

  describe('layoutKeyObject / layoutKeyVerifier', () => {
    it('builds the key of every type as it is written in a layout', () => {
      for (const [name, k] of Object.entries(ref.keys)) {
        const key = layoutKeyObject(asLayoutKey(k.key));
        expect(key.export({ type: 'spki', format: 'pem' }), name).toBe(
          createPublicKey(k.pem).export({ type: 'spki', format: 'pem' }),
        );
      }
    });

    it('names the key by its id and first 8 hex digits', () => {
      const k = ref.keys['ed25519']!.key;
      const v = layoutKeyVerifier(asLayoutKey(k));
      expect({ scheme: v.scheme, keyids: v.keyids, label: v.label }).toEqual({
        scheme: 'ed25519',
        keyids: [k.keyid],
        label: `layout key ${k.keyid.slice(0, 8)}`,
      });
    });

    it('an ed25519 key must be exactly 32 bytes of hex', () => {
      const good = ref.keys['ed25519']!.key;
      const bad =
        (publicKey: string): (() => unknown) =>
        () =>
          layoutKeyObject({ ...asLayoutKey(good), publicKey });
      const message = `ed25519 key ${good.keyid.slice(0, 8)} is not 32 hex bytes`;
      const pub = good.keyval.public;
      expect(layoutKeyObject({ ...asLayoutKey(good), publicKey: pub.toUpperCase() }).asymmetricKeyType).toBe(
        'ed25519',
      );
      for (const p of [
        pub.slice(2),
        `${pub}00`,
        `zz${pub}`,
        `${pub.slice(0, 62)}zz`,
        `${pub.slice(0, 63)}`,
        '',
      ])
        expect(bad(p), p).toThrow(message);
    });

    it('ecdsa keys under "ecdsa" or the old "ecdsa-sha2-nistpNNN" key types; other key types are refused', () => {
      const p256 = asLayoutKey(ref.keys['p256']!.key);
      expect(layoutKeyObject({ ...p256, keytype: 'ecdsa-sha2-nistp256' }).asymmetricKeyType).toBe('ec');
      expect(layoutKeyObject({ ...p256, keytype: 'ecdsa' }).asymmetricKeyType).toBe('ec');
      for (const keytype of ['dsa', 'sphincs', 'sha2-nistp256', 'nistp256-ecdsa']) {
        expect(() => layoutKeyObject({ ...p256, keytype }), keytype).toThrow(
          `key type "${keytype}" is not supported`,
        );
      }
    });
  });

  describe('trustedKeyVerifiers: a PEM key (--in-toto-layout-key) as in-toto tools would describe it', () => {
    const ids = (k: KeyFile['key']): string[] => {
      const o = { keytype: k.keytype, keyval: { public: k.keyval.public }, scheme: k.scheme };
      return [keyId({ ...o, keyid_hash_algorithms: ['sha256', 'sha512'] }), keyId(o)];
    };

    it('RSA: RSASSA-PSS-SHA256 first, then PKCS#1 v1.5 SHA-256, each with the key ids securesystemslib gives it', () => {
      const pss = ref.keys['rsa-pss-sha256']!;
      const pkcs = ref.keys['rsa-pkcs1-sha256']!;
      const vs = trustedKeyVerifiers(createPublicKey(pss.pem), 'rsa.pub');
      expect(vs.map((v) => [v.scheme, v.keyids, v.label])).toEqual([
        ['rsassa-pss-sha256', ids(pss.key), 'rsa.pub'],
        ['rsa-pkcs1v15-sha256', ids(pkcs.key), 'rsa.pub'],
      ]);
      expect(vs[0]!.keyids[0]).toBe(pss.key.keyid);
      expect(vs[1]!.keyids[0]).toBe(pkcs.key.keyid);
    });

    it('Ed25519: the raw key in hex, as securesystemslib ids it', () => {
      const ed = ref.keys['ed25519']!;
      const vs = trustedKeyVerifiers(createPublicKey(ed.pem), 'ed.pub');
      expect(vs.map((v) => [v.scheme, v.keyids, v.label])).toEqual([['ed25519', ids(ed.key), 'ed.pub']]);
      expect(vs[0]!.keyids[0]).toBe(ed.key.keyid);
    });

    it('ECDSA: the scheme follows the curve; ids under keytype "ecdsa" and the old keytype', () => {
      for (const [name, scheme] of [
        ['p256', 'ecdsa-sha2-nistp256'],
        ['p384', 'ecdsa-sha2-nistp384'],
      ] as const) {
        const k = ref.keys[name]!;
        const vs = trustedKeyVerifiers(createPublicKey(k.pem), `${name}.pub`);
        expect(
          vs.map((v) => [v.scheme, v.label]),
          name,
        ).toEqual([[scheme, `${name}.pub`]]);
        // securesystemslib keeps the PEM's final newline in ECDSA keys (and ids them with it); sigscan
        // ids the PEM without it, as for RSA. The ids are hints only (every key is tried), so this
        // changes which message a bad signature gets, never a decision (reported in reports/mutation.md).
        const trimmed = { ...k.key, keyval: { public: k.key.keyval.public.trim() } };
        expect(vs[0]!.keyids, name).toEqual([...ids(trimmed), ...ids({ ...trimmed, keytype: scheme })]);
        expect(verifyScheme(vs[0]!.scheme, vs[0]!.key, message, hex(k.sig))).toBe(true);
      }
    });

    it('a key type in-toto has no scheme for (X25519): no verifiers', () => {
      const x = createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), Buffer.alloc(32, 9)]),
        format: 'der',
        type: 'spki',
      });
      expect(trustedKeyVerifiers(x, 'x.pub')).toEqual([]);
    });
  });

  describe('checkSignatures', () => {
    it('a signature naming the key verifies with it and reports the named id', () => {
      const ed = ref.keys['ed25519']!;
      const [v] = trustedKeyVerifiers(createPublicKey(ed.pem), 'ed.pub');
      const named = v!.keyids[1]!;
      const r = checkSignatures([{ keyid: named, sig: hex(ed.sig) }], message, [v!]);
      expect(r).toMatchObject({ ok: true, keyid: named });
      // Without a key id (DSSE), the key is tried anyway and reported by its first id.
      expect(checkSignatures([{ sig: hex(ed.sig) }], message, [v!])).toMatchObject({
        ok: true,
        keyid: v!.keyids[0],
      });
    });

    it('a signature naming the key that does not verify is "known"; one naming another key is not', () => {
      const ed = ref.keys['ed25519']!;
      const [v] = trustedKeyVerifiers(createPublicKey(ed.pem), 'ed.pub');
      const wrong = hex(ref.sigs['p256']!);
      expect(checkSignatures([{ keyid: v!.keyids[0]!, sig: wrong }], message, [v!])).toEqual({
        ok: false,
        known: true,
      });
      expect(checkSignatures([{ keyid: '00'.repeat(32), sig: wrong }], message, [v!])).toEqual({
        ok: false,
        known: false,
      });
    });
  });
});
