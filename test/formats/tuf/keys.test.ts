import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { parseTufKey, resolveKey, spkiSha256, type TufKey } from '../../../src/formats/tuf/index.js';
import { NOTARY03, PYTHON_TUF, tufDoc } from '../../helpers/tuf-metadata.js';

interface RawKey {
  keytype: string;
  scheme?: string;
  keyval: { private?: null; public: string };
}

const ROOT_X509 = '354e203ba09dbe17807b6a9d191bff887167c06d121e738d849446a9c76c2866';
const RELEASES_KEY = '68243a1f948be7841403f65fc8f24d5eda9050c337e727e2eacc3d3cb5227d73';
const PY_ED25519 = 'c8022fa1e9b9cb239a6b362bbdffa9649e61ad2cb699d2e4bc4fdf7930a0e64a';

const notaryRootKeys = tufDoc(`${NOTARY03}/root.json`).signed['keys'] as Record<string, RawKey>;
const notaryDelegationKeys = (
  tufDoc(`${NOTARY03}/targets.json`).signed['delegations'] as { keys: Record<string, RawKey> }
).keys;
const pyDelegationKeys = (
  tufDoc(`${PYTHON_TUF}/targets.json`).signed['delegations'] as { keys: Record<string, RawKey> }
).keys;

/** The PEM certificate a notary `*-x509` key carries (base64 of the PEM text). */
function x509Pem(id: string, keys: Record<string, RawKey>): string {
  return Buffer.from(keys[id]!.keyval.public, 'base64').toString('latin1');
}

function resolveError(key: TufKey): SigscanError {
  try {
    resolveKey(key);
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return err as SigscanError;
  }
  throw new Error('resolved');
}

describe('parseTufKey', () => {
  it('reads a notary key: declared and recomputed ids, no scheme', () => {
    const k = parseTufKey(ROOT_X509, notaryRootKeys[ROOT_X509], 'notary');
    expect(k).toEqual({
      declaredId: ROOT_X509,
      computedId: ROOT_X509,
      keytype: 'ecdsa-x509',
      scheme: undefined,
      public: notaryRootKeys[ROOT_X509]!.keyval.public,
      flavour: 'notary',
    });
  });

  it('reads a TUF 1.0 key with its scheme', () => {
    const k = parseTufKey(PY_ED25519, pyDelegationKeys[PY_ED25519], 'tuf');
    expect(k.scheme).toBe('ed25519');
    expect(k.computedId).toBe(PY_ED25519);
  });

  it('refuses entries that are not keys, with the id in the message', () => {
    const key = notaryRootKeys[ROOT_X509]!;
    const bad: unknown[] = [
      null,
      'ecdsa',
      { keyval: key.keyval },
      { keytype: 7, keyval: key.keyval },
      { keytype: 'ecdsa' },
      { keytype: 'ecdsa', keyval: null },
      { keytype: 'ecdsa', keyval: { public: 5 } },
    ];
    for (const raw of bad) {
      expect(() => parseTufKey('abc', raw, 'notary')).toThrow(
        new SigscanError('MALFORMED_ENVELOPE', 'TUF key abc has no keytype or keyval.public'),
      );
    }
  });
});

describe('resolveKey: notary key types', () => {
  it('ecdsa: DER SubjectPublicKeyInfo in base64', () => {
    const id = '041b64dab281324ef2b62fd2d04f4758269e120ff063b7bc78709272821a0a02';
    const r = resolveKey(parseTufKey(id, notaryRootKeys[id], 'notary'));
    expect(r.key.asymmetricKeyType).toBe('ec');
    expect(r.certificate).toBeUndefined();
    expect(r.key.export({ type: 'spki', format: 'der' }).toString('base64')).toBe(
      notaryRootKeys[id]!.keyval.public,
    );
  });

  it('ecdsa-x509 and rsa-x509: the certificate and its key', () => {
    const root = resolveKey(parseTufKey(ROOT_X509, notaryRootKeys[ROOT_X509], 'notary'));
    expect(root.certificate!.summary.subject).toBe('CN=docker.com/notary0.3/tst');
    expect(root.key.asymmetricKeyType).toBe('ec');
    const releases = resolveKey(parseTufKey(RELEASES_KEY, notaryDelegationKeys[RELEASES_KEY], 'notary'));
    expect(releases.certificate!.summary.subject).toBe('CN=avaid96,OU=Sec,O=Docker,L=SF,ST=CA,C=US');
    expect(releases.key.asymmetricKeyType).toBe('rsa');
    expect(spkiSha256(releases.key)).toBe(releases.certificate!.summary.spkiSha256);
  });

  it('rsa: the delegation certificate’s key written as a bare notary rsa key', () => {
    const cert = createPublicKey(x509Pem(RELEASES_KEY, notaryDelegationKeys));
    const bare = cert.export({ type: 'spki', format: 'der' }).toString('base64');
    const r = resolveKey(parseTufKey('rsa-bare', { keytype: 'rsa', keyval: { public: bare } }, 'notary'));
    expect(r.certificate).toBeUndefined();
    expect(r.key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(spkiSha256(r.key)).toBe(spkiSha256(cert));
  });

  it('ed25519: 32 raw bytes in base64 (python-tuf’s delegation key re-encoded), nothing else', () => {
    const raw = Buffer.from(pyDelegationKeys[PY_ED25519]!.keyval.public, 'hex');
    const notary = resolveKey(
      parseTufKey('ed', { keytype: 'ed25519', keyval: { public: raw.toString('base64') } }, 'notary'),
    );
    const tuf = resolveKey(parseTufKey(PY_ED25519, pyDelegationKeys[PY_ED25519], 'tuf'));
    expect(notary.key.asymmetricKeyType).toBe('ed25519');
    expect(spkiSha256(notary.key)).toBe(spkiSha256(tuf.key));
    const short = parseTufKey(
      'ed25519-short-key',
      { keytype: 'ed25519', keyval: { public: raw.subarray(1).toString('base64') } },
      'notary',
    );
    const err = resolveError(short);
    expect(err.code).toBe('MALFORMED_SIGNATURE');
    expect(err.message).toBe('TUF key ed25519-shor (ed25519): ed25519 public key is 31 bytes, not 32');
  });

  it('an unknown key type is a MALFORMED_SIGNATURE that keeps the cause', () => {
    const key = parseTufKey('dsa-key-000000000', { keytype: 'DSA', keyval: { public: 'AAAA' } }, 'notary');
    const err = resolveError(key);
    expect(err.code).toBe('MALFORMED_SIGNATURE');
    expect(err.message).toBe('TUF key dsa-key-0000 (DSA): unsupported notary key type DSA');
    expect((err.cause as Error).message).toBe('unsupported notary key type DSA');
  });

  it('an x509 key without a PEM certificate', () => {
    const spki =
      notaryRootKeys['041b64dab281324ef2b62fd2d04f4758269e120ff063b7bc78709272821a0a02']!.keyval.public;
    const err = resolveError(
      parseTufKey(ROOT_X509, { keytype: 'ecdsa-x509', keyval: { public: spki } }, 'notary'),
    );
    expect(err.code).toBe('MALFORMED_SIGNATURE');
    expect(err.message).toBe('TUF key 354e203ba09d (ecdsa-x509): no PEM certificate in keyval.public');
  });

  it('a certificate the X.509 reader refuses keeps the reader’s own error code', () => {
    const pem = x509Pem(ROOT_X509, notaryRootKeys);
    const lines = pem.trimEnd().split('\n');
    // Drop the last base64 line of the body: the DER is cut short.
    const cut = [...lines.slice(0, -2), lines.at(-1)!].join('\n');
    const key = parseTufKey(
      ROOT_X509,
      { keytype: 'ecdsa-x509', keyval: { public: Buffer.from(cut).toString('base64') } },
      'notary',
    );
    expect(resolveError(key).code).toBe('MALFORMED_CERTIFICATE');
  });
});

describe('resolveKey: TUF 1.0 encodings', () => {
  it('PEM public keys (Sigstore’s root)', () => {
    const keys = tufDoc('sigstore-tuf-root/production.root.json').signed['keys'] as Record<string, RawKey>;
    const [id, raw] = Object.entries(keys)[0]!;
    const r = resolveKey(parseTufKey(id, raw, 'tuf'));
    expect(r.certificate).toBeUndefined();
    expect(r.key.asymmetricKeyType).toBe('ec');
    expect(spkiSha256(r.key)).toBe(spkiSha256(createPublicKey(raw.keyval.public)));
  });

  it('a PEM certificate is read as a certificate', () => {
    const pem = x509Pem(ROOT_X509, notaryRootKeys);
    const r = resolveKey(
      parseTufKey(
        'cert',
        { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pem } },
        'tuf',
      ),
    );
    expect(r.certificate!.summary.subject).toBe('CN=docker.com/notary0.3/tst');
    expect(spkiSha256(r.key)).toBe(r.certificate!.summary.spkiSha256);
  });

  it('anything else is refused before Node sees it', () => {
    const err = resolveError(parseTufKey('rsa-hex', { keytype: 'rsa', keyval: { public: 'abcdef' } }, 'tuf'));
    expect(err.message).toBe('TUF key rsa-hex (rsa): unsupported TUF key encoding for rsa');
  });
});
