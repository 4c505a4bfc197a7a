import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { checkFileInfo, parseRfc3339, parseTufMetadata } from '../../../src/formats/tuf/index.js';
import {
  NOTARY03,
  PYTHON_TUF,
  encodeDoc,
  tufBytes,
  tufDoc,
  withDoc,
  withSigned,
} from '../../helpers/tuf-metadata.js';

const SHA256_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const RELEASES_KEY = '68243a1f948be7841403f65fc8f24d5eda9050c337e727e2eacc3d3cb5227d73';

function parseError(bytes: Uint8Array): SigscanError {
  try {
    parseTufMetadata(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return err as SigscanError;
  }
  throw new Error('parsed');
}

function message(bytes: Uint8Array): string {
  const err = parseError(bytes);
  expect(err.code).toBe('MALFORMED_ENVELOPE');
  return err.message;
}

describe('parseTufMetadata on the tools’ own files', () => {
  it('reads the notary 0.3 targets: base64 hashes as hex, delegation role, custom absent', () => {
    const md = parseTufMetadata(tufBytes(`${NOTARY03}/targets.json`));
    expect(md.flavour).toBe('notary');
    expect(md.type).toBe('targets');
    expect(md.version).toBe(5);
    expect(md.expiresText).toBe('2116-07-03T18:08:08.41836542-05:00');
    expect(md.expires.toISOString()).toBe('2116-07-03T23:08:08.418Z');
    expect([...md.targets!.targets.keys()]).toEqual(['LICENSE', 'change']);
    expect(md.targets!.targets.get('change')).toEqual({
      hashes: {
        sha256: SHA256_EMPTY,
        sha512:
          'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
      },
      length: 0,
      custom: undefined,
    });
    expect(md.targets!.delegations).toEqual([
      {
        name: 'targets/releases',
        keyids: [RELEASES_KEY],
        threshold: 1,
        paths: [''],
        pathHashPrefixes: undefined,
        terminating: false,
      },
    ]);
    expect([...md.targets!.delegationKeys.keys()]).toEqual([RELEASES_KEY]);
    expect(md.signatures.map((s) => [s.keyid.slice(0, 8), s.method, s.sig.length])).toEqual([
      ['041b64da', 'ecdsa', 64],
    ]);
  });

  it('reads python-tuf targets: hex hashes, the custom field, a TUF 1.0 delegation', () => {
    const md = parseTufMetadata(tufBytes(`${PYTHON_TUF}/targets.json`));
    expect(md.flavour).toBe('tuf');
    expect(md.targets!.targets.get('file1.txt')!.custom).toEqual({ file_permissions: '0644' });
    expect(md.targets!.delegations).toEqual([
      {
        name: 'role1',
        keyids: ['c8022fa1e9b9cb239a6b362bbdffa9649e61ad2cb699d2e4bc4fdf7930a0e64a'],
        threshold: 1,
        paths: ['file3.txt'],
        pathHashPrefixes: undefined,
        terminating: false,
      },
    ]);
    // TUF 1.0 signatures are hex and carry no method.
    expect(md.signatures[0]!.method).toBeUndefined();
    expect(md.signatures[0]!.sig.length).toBe(64);
  });

  it('reads snapshot and timestamp meta of both flavours', () => {
    const snap = parseTufMetadata(tufBytes(`${NOTARY03}/snapshot.json`));
    expect(snap.type).toBe('snapshot');
    expect([...snap.meta!.keys()]).toEqual(['root', 'targets', 'targets/releases']);
    expect(snap.meta!.get('targets/releases')).toEqual({
      hashes: {
        sha256: '856c6a87c6d20206a51fe7acffb9c528597285f6e4960c48d20b3b4f0c38a7c0',
        sha512:
          'dead42d9903c6a9c9a88782a00a75da9ffff6b1a05d85044c799ca4c509cb23e79e50b3c3793abae44f246728f986805904afa5aeba9c96fb0982e2f61b0b4de',
      },
      length: 790,
      version: undefined,
    });
    const pySnap = parseTufMetadata(tufBytes(`${PYTHON_TUF}/snapshot.json`));
    expect(pySnap.meta!.get('role1.json')).toEqual({ hashes: {}, length: undefined, version: 1 });
    const pyTs = parseTufMetadata(tufBytes(`${PYTHON_TUF}/timestamp.json`));
    expect(pyTs.type).toBe('timestamp');
    expect(pyTs.meta!.get('snapshot.json')).toEqual({
      hashes: { sha256: '8f88e2ba48b412c3843e9bb26e1b6f8fc9e98aceb0fbaa97ba37b4c98717d7ab' },
      length: 515,
      version: 1,
    });
  });

  it('consistent_snapshot: true only for the literal true', () => {
    expect(parseTufMetadata(tufBytes(`${PYTHON_TUF}/root.json`)).root!.consistentSnapshot).toBe(false);
    const sigstore = parseTufMetadata(tufBytes('sigstore-tuf-root/production.root.json'));
    expect(sigstore.root!.consistentSnapshot).toBe(true);
    const text = withSigned(`${PYTHON_TUF}/root.json`, (s) => {
      s['consistent_snapshot'] = 'true';
    });
    expect(parseTufMetadata(text).root!.consistentSnapshot).toBe(false);
  });

  it('the signed bytes are the canonical form of `signed`, not the bytes received', () => {
    const indented = new Uint8Array(
      Buffer.from(JSON.stringify(tufDoc(`${NOTARY03}/timestamp.json`), null, 2)),
    );
    const a = parseTufMetadata(indented);
    const b = parseTufMetadata(tufBytes(`${NOTARY03}/timestamp.json`));
    expect(Buffer.from(a.signedBytes).equals(Buffer.from(b.signedBytes))).toBe(true);
    expect(a.raw).toBe(indented);
  });
});

describe('parseTufMetadata rejects what is not role metadata', () => {
  it('not JSON', () => {
    expect(message(new Uint8Array(Buffer.from('{"signed":')))).toMatch(/^TUF metadata: not JSON \(/);
  });

  it('an envelope without an object `signed` or a list `signatures`', () => {
    const want = 'TUF metadata: expected {"signed":{…},"signatures":[…]}';
    expect(message(encodeDoc([]))).toBe(want);
    expect(message(withDoc(`${NOTARY03}/timestamp.json`, (d) => ({ ...d, signed: [] })))).toBe(want);
    expect(message(withDoc(`${NOTARY03}/timestamp.json`, (d) => ({ ...d, signed: null })))).toBe(want);
    expect(message(withDoc(`${NOTARY03}/timestamp.json`, (d) => ({ ...d, signatures: {} })))).toBe(want);
  });

  it('_type missing or unknown', () => {
    expect(message(withSigned(`${NOTARY03}/timestamp.json`, (s) => delete s['_type']))).toBe(
      'TUF metadata: signed._type is missing',
    );
    expect(message(withSigned(`${NOTARY03}/timestamp.json`, (s) => (s['_type'] = 'Mirror')))).toBe(
      'TUF metadata: unknown _type "Mirror"',
    );
  });

  it('version: a non-negative safe integer (0 allowed)', () => {
    const bad = 'TUF metadata: signed.version must be a non-negative integer';
    for (const v of [-1, '4', 1.5, 2 ** 53]) {
      expect(message(withSigned(`${NOTARY03}/timestamp.json`, (s) => (s['version'] = v)))).toBe(bad);
    }
    expect(
      parseTufMetadata(withSigned(`${NOTARY03}/timestamp.json`, (s) => (s['version'] = 0))).version,
    ).toBe(0);
  });

  it('expires missing or not RFC 3339', () => {
    expect(message(withSigned(`${NOTARY03}/timestamp.json`, (s) => delete s['expires']))).toBe(
      'TUF metadata: signed.expires is missing',
    );
    expect(message(withSigned(`${NOTARY03}/timestamp.json`, (s) => (s['expires'] = '2116-07-03')))).toBe(
      'TUF metadata: expires "2116-07-03" is not RFC 3339',
    );
  });

  it('a signature entry without keyid or sig, or not an object', () => {
    const sig = tufDoc(`${NOTARY03}/timestamp.json`).signatures[0]!;
    const cases: unknown[] = [null, 'x', { sig: sig['sig'] }, { keyid: sig['keyid'] }, { ...sig, sig: 7 }];
    for (const bad of cases) {
      const bytes = withDoc(`${NOTARY03}/timestamp.json`, (d) => {
        d.signatures = [sig, bad as Record<string, unknown>];
      });
      expect(message(bytes)).toBe('TUF metadata: signature 1 has no keyid or sig');
    }
  });

  it('notary signatures are base64: whitespace is skipped as Go’s decoder skips newlines; other bytes fail', () => {
    const sig = tufDoc(`${NOTARY03}/timestamp.json`).signatures[0]!;
    const text = sig['sig'] as string;
    const wrapped = withDoc(`${NOTARY03}/timestamp.json`, (d) => {
      d.signatures = [{ ...sig, sig: `${text.slice(0, 40)}\n${text.slice(40)}` }];
    });
    expect(Buffer.from(parseTufMetadata(wrapped).signatures[0]!.sig)).toEqual(Buffer.from(text, 'base64'));
    for (const bad of [`!${text}`, `${text}!`, `${text.slice(0, 10)}*${text.slice(10)}`]) {
      const bytes = withDoc(`${NOTARY03}/timestamp.json`, (d) => {
        d.signatures = [{ ...sig, sig: bad }];
      });
      expect(message(bytes)).toBe('TUF metadata: invalid base64');
    }
  });

  it('TUF 1.0 signatures are hex: an odd length or a non-hex digit fails', () => {
    const sig = tufDoc(`${PYTHON_TUF}/timestamp.json`).signatures[0]!;
    const text = sig['sig'] as string;
    for (const bad of [text.slice(1), `${text}0`, `zz${text}`, `${text}zz`]) {
      const bytes = withDoc(`${PYTHON_TUF}/timestamp.json`, (d) => {
        d.signatures = [{ ...sig, sig: bad }];
      });
      expect(message(bytes)).toBe('TUF metadata: invalid hex signature');
    }
  });
});

describe('parseTufMetadata: role bodies', () => {
  it('root: roles must be an object of {keyids, threshold}; non-string key ids are dropped', () => {
    expect(message(withSigned(`${NOTARY03}/root.json`, (s) => (s['roles'] = [])))).toBe(
      'TUF metadata: root has no roles',
    );
    expect(
      message(
        withSigned(`${NOTARY03}/root.json`, (s) => {
          (s['roles'] as Record<string, unknown>)['snapshot'] = { keyids: [] };
        }),
      ),
    ).toBe('TUF metadata: root role snapshot needs keyids and threshold');
    expect(
      message(
        withSigned(`${NOTARY03}/root.json`, (s) => {
          (s['roles'] as Record<string, unknown>)['snapshot'] = { keyids: 'abc', threshold: 1 };
        }),
      ),
    ).toBe('TUF metadata: root role snapshot needs keyids and threshold');
    const md = parseTufMetadata(
      withSigned(`${NOTARY03}/root.json`, (s) => {
        (s['roles'] as Record<string, unknown>)['snapshot'] = { keyids: [1, 'abc', null], threshold: 2 };
      }),
    );
    expect(md.root!.roles['snapshot']).toEqual({ keyids: ['abc'], threshold: 2 });
    expect(md.root!.keys.size).toBe(4);
  });

  it('keys: an object of at most 1024 entries', () => {
    expect(message(withSigned(`${NOTARY03}/root.json`, (s) => (s['keys'] = [])))).toBe(
      'TUF metadata: root keys is not an object',
    );
    const many = (n: number): Uint8Array =>
      withSigned(`${NOTARY03}/root.json`, (s) => {
        const one = Object.values(s['keys'] as Record<string, unknown>)[0];
        s['keys'] = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, one]));
      });
    expect(parseTufMetadata(many(1024)).root!.keys.size).toBe(1024);
    expect(message(many(1025))).toBe('TUF metadata: more than 1024 root keys');
  });

  it('targets: an object of {length, hashes} entries', () => {
    const t = (v: unknown): Uint8Array =>
      withSigned(`${NOTARY03}/targets.json`, (s) => {
        s['targets'] = v;
      });
    expect(message(t([]))).toBe('TUF metadata: targets.targets is not an object');
    expect(message(t({ a: { hashes: {} } }))).toBe('TUF metadata: target "a" has no length');
    expect(message(t({ a: 5 }))).toBe('TUF metadata: target "a" has no length');
    expect(message(t({ a: { length: 1 } }))).toBe('TUF metadata: target "a" has no hashes');
    expect(message(t({ a: { length: 1, hashes: { sha256: 5 } } }))).toBe(
      'TUF metadata: target "a": hash sha256 is not a string',
    );
    expect(message(t({ a: { length: 1, hashes: { sha256: 'a!b' } } }))).toBe('TUF metadata: invalid base64');
    // A targets file without `targets` lists nothing.
    const none = parseTufMetadata(withSigned(`${NOTARY03}/targets.json`, (s) => delete s['targets']));
    expect(none.targets!.targets.size).toBe(0);
  });

  it('TUF 1.0 hex hashes are lower-cased', () => {
    const md = parseTufMetadata(
      withSigned(`${PYTHON_TUF}/targets.json`, (s) => {
        s['targets'] = { a: { length: 0, hashes: { sha256: SHA256_EMPTY.toUpperCase() } } };
      }),
    );
    expect(md.targets!.targets.get('a')!.hashes).toEqual({ sha256: SHA256_EMPTY });
  });

  it('delegations: keys and roles default to empty; roles must be a named list', () => {
    const d = (v: unknown): Uint8Array =>
      withSigned(`${NOTARY03}/targets.json`, (s) => {
        s['delegations'] = v;
      });
    const empty = parseTufMetadata(d({}));
    expect(empty.targets!.delegations).toEqual([]);
    expect(empty.targets!.delegationKeys.size).toBe(0);
    // No `delegations` object at all (or not an object): nothing delegated.
    expect(parseTufMetadata(d('x')).targets!.delegations).toEqual([]);
    expect(message(d({ keys: [] }))).toBe('TUF metadata: delegation keys is not an object');
    expect(message(d({ roles: {} }))).toBe('TUF metadata: delegations.roles is not a list');
    expect(message(d({ roles: [{ keyids: [], threshold: 1 }] }))).toBe(
      'TUF metadata: a delegation has no name',
    );
    expect(message(d({ roles: ['targets/x'] }))).toBe('TUF metadata: a delegation has no name');
    expect(message(d({ roles: [{ name: 'targets/x', threshold: 1 }] }))).toBe(
      'TUF metadata: delegation targets/x needs keyids and threshold',
    );
    const roles = Array.from({ length: 1025 }, (_, i) => ({ name: `r${i}`, keyids: [], threshold: 1 }));
    expect(message(d({ roles }))).toBe('TUF metadata: more than 1024 delegations');
    expect(parseTufMetadata(d({ roles: roles.slice(0, 1024) })).targets!.delegations).toHaveLength(1024);
  });

  it('delegation paths, path_hash_prefixes and terminating as written; non-strings dropped', () => {
    const md = parseTufMetadata(
      withSigned(`${PYTHON_TUF}/targets.json`, (s) => {
        const del = s['delegations'] as { roles: Array<Record<string, unknown>> };
        del.roles.push(
          {
            name: 'hashed',
            keyids: [],
            threshold: 1,
            path_hash_prefixes: ['8f', 3, 'A0'],
            terminating: true,
          },
          {
            name: 'odd',
            keyids: [],
            threshold: 1,
            paths: ['a/', 2, null],
            path_hash_prefixes: 'ab',
            terminating: 1,
          },
          { name: 'bare', keyids: [], threshold: 1, paths: 'file3.txt' },
        );
      }),
    );
    expect(md.targets!.delegations.slice(1)).toEqual([
      {
        name: 'hashed',
        keyids: [],
        threshold: 1,
        paths: undefined,
        pathHashPrefixes: ['8f', 'A0'],
        terminating: true,
      },
      {
        name: 'odd',
        keyids: [],
        threshold: 1,
        paths: ['a/'],
        pathHashPrefixes: undefined,
        terminating: false,
      },
      {
        name: 'bare',
        keyids: [],
        threshold: 1,
        paths: undefined,
        pathHashPrefixes: undefined,
        terminating: false,
      },
    ]);
  });

  it('snapshot/timestamp meta: an object of objects; hashes optional, length and version numbers only', () => {
    const m = (v: unknown): Uint8Array =>
      withSigned(`${NOTARY03}/timestamp.json`, (s) => {
        s['meta'] = v;
      });
    expect(message(m(undefined))).toBe('TUF metadata: meta is missing');
    expect(message(m([]))).toBe('TUF metadata: meta is missing');
    expect(message(m({ snapshot: 'x' }))).toBe('TUF metadata: meta "snapshot" is not an object');
    expect(message(m({ snapshot: { hashes: 'x' } }))).toBe('TUF metadata: meta "snapshot" has no hashes');
    expect(parseTufMetadata(m({ snapshot: { length: '890', version: '4' } })).meta!.get('snapshot')).toEqual({
      hashes: {},
      length: undefined,
      version: undefined,
    });
  });
});

describe('checkFileInfo', () => {
  const snapshot = parseTufMetadata(tufBytes(`${NOTARY03}/snapshot.json`));
  const releases = tufBytes(`${NOTARY03}/targets/releases.json`);
  const info = snapshot.meta!.get('targets/releases')!;

  it('the notary 0.3 snapshot describes its delegation file: both hashes checked', () => {
    expect(checkFileInfo(releases, info)).toEqual({ ok: true, checked: ['sha256', 'sha512'] });
  });

  it('a length mismatch fails before any hash', () => {
    const longer = new Uint8Array([...releases, 0x0a]);
    expect(checkFileInfo(longer, info)).toEqual({
      ok: false,
      reason: 'length 791, expected 790',
      checked: [],
    });
  });

  it('a hash mismatch names the algorithm and both digests, with the hashes checked before it', () => {
    const flipped = new Uint8Array(releases);
    flipped[100] = releases[100]! ^ 1;
    const got = createHash('sha256').update(flipped).digest('hex');
    expect(checkFileInfo(flipped, info)).toEqual({
      ok: false,
      reason: `sha256 ${got} ≠ ${info.hashes['sha256']}`,
      checked: [],
    });
    const sha512Only = { hashes: { sha256: info.hashes['sha256']!, sha512: '00' }, length: 790 };
    const got512 = createHash('sha512').update(releases).digest('hex');
    expect(checkFileInfo(releases, sha512Only)).toEqual({
      ok: false,
      reason: `sha512 ${got512} ≠ 00`,
      checked: ['sha256'],
    });
  });

  it('unknown hash names are skipped; no length means no length check', () => {
    expect(checkFileInfo(releases, { hashes: { md5: 'x', sha256: info.hashes['sha256']! } })).toEqual({
      ok: true,
      checked: ['sha256'],
    });
    expect(checkFileInfo(releases, { hashes: {}, version: 1 })).toEqual({ ok: true, checked: [] });
  });
});

describe('parseRfc3339', () => {
  it('any number of fractional digits and any offset, as notary writes them', () => {
    expect(parseRfc3339('2116-07-03T17:56:36.027379879-05:00').toISOString()).toBe(
      '2116-07-03T22:56:36.027Z',
    );
    expect(parseRfc3339('2030-01-01T00:00:00Z').toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(parseRfc3339('2030-01-01T00:00:00.5+01:30').toISOString()).toBe('2029-12-31T22:30:00.500Z');
    expect(parseRfc3339('2030-01-01t00:00:00z').toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('anchored at both ends', () => {
    for (const text of [
      'x2030-01-01T00:00:00Z',
      '2030-01-01T00:00:00Zx',
      '2030-01-01T00:00:00',
      ' 2030-01-01T00:00:00Z',
    ]) {
      expect(() => parseRfc3339(text)).toThrow(`TUF metadata: expires "${text}" is not RFC 3339`);
    }
  });

  it('a day or hour past its range is refused, not rolled over as Date would (Go and python-tuf refuse it)', () => {
    for (const text of ['2030-02-29T00:00:00Z', '2030-04-31T12:00:00-05:00', '2030-01-01T24:00:00Z']) {
      expect(() => parseRfc3339(text)).toThrow(`TUF metadata: expires "${text}" is not a valid time`);
    }
    expect(parseRfc3339('2032-02-29T23:59:59.999999999Z').toISOString()).toBe('2032-02-29T23:59:59.999Z');
    expect(parseRfc3339('2030-04-30T23:00:00-05:00').toISOString()).toBe('2030-05-01T04:00:00.000Z');
  });

  it('a well-formed but impossible time is refused', () => {
    expect(() => parseRfc3339('2030-13-01T00:00:00Z')).toThrow(
      'TUF metadata: expires "2030-13-01T00:00:00Z" is not a valid time',
    );
  });
});
