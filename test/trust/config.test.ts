import { createHash, createSecretKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { trustInput } from '../../src/commands/flag-values.js';
import {
  emptyTrustConfig,
  keyAlgorithm,
  loadTrustConfig,
  readCertificates,
  readPublicKey,
} from '../../src/trust/config.js';
import { defaultTufCacheDir } from '../../src/trust/tuf/state.js';
import { PROJECT_ROOT } from '../helpers/tools.js';
import { ROOT_FILES, rootName, trustInputFixtures } from '../helpers/trust-inputs.js';

describe('trust inputs from --config and flags', () => {
  let dir: string;
  const root = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-config-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads the documented YAML under a trust: key, and lets flags add to lists and override values', async () => {
    const file = join(dir, 'sigscan.yaml');
    await writeFile(
      file,
      [
        'trust:',
        `  trust-root: [${root}]`,
        '  certificate-identity-regexp: "https://github.com/acme/.+"',
        '  certificate-oidc-issuer: https://token.actions.githubusercontent.com',
        '  at: 2026-01-01T00:00:00Z',
      ].join('\n'),
    );
    const config = await loadTrustConfig({ config: file, trustRoot: [root], at: '2026-06-01T00:00:00Z' });
    expect(config.roots.map((c) => c.summary.subject)).toEqual([
      'CN=Sigscan Fixture Root CA,O=Sigscan Fixtures,C=US',
      'CN=Sigscan Fixture Root CA,O=Sigscan Fixtures,C=US',
    ]);
    expect(config.certificateOidcIssuer).toBe('https://token.actions.githubusercontent.com');
    // Anchored: a regexp that matches only part of an identity does not pass.
    expect(
      config.certificateIdentityRegexp!.test(
        'https://github.com/acme/app/.github/workflows/r.yml@refs/tags/v1',
      ),
    ).toBe(true);
    expect(config.certificateIdentityRegexp!.test('https://evil.example/?https://github.com/acme/x')).toBe(
      false,
    );
    expect(config.at!.toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });

  it('rejects unknown settings and bad values with usage errors', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'trust-rot: [x]\n');
    await expect(loadTrustConfig({ config: file })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(loadTrustConfig({ at: 'yesterday' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(loadTrustConfig({ key: [join(dir, 'missing.pub')] })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});

describe('loadTrustConfig: what is set when nothing is given', () => {
  it('emptyTrustConfig allows no weak algorithm and holds no trust input (the evaluator default)', () => {
    expect(emptyTrustConfig()).toEqual({
      roots: [],
      tsaRoots: [],
      keys: [],
      trustedRoots: [],
      gpgKeyrings: [],
      tufRoots: [],
      registriesDirs: [],
      allowWeakAlgorithms: false,
      inTotoLayoutKeys: [],
      crls: [],
      revocation: 'offline',
    });
  });

  it('no flags: empty lists, tlog required, the default TUF cache, no trust input recorded', async () => {
    const config = await loadTrustConfig({});
    expect(config).toMatchObject({
      trustedRoots: [],
      gpgKeyrings: [],
      tufRoots: [],
      registriesDirs: [],
      allowWeakAlgorithms: false,
      tufCache: defaultTufCacheDir(),
      sources: [],
    });
    expect(config.insecureIgnoreTlog).toBeUndefined();
    // No keyless identity policy either (one that matched only "undefined" would refuse every identity).
    expect([config.certificateIdentityRegexp, config.certificateOidcIssuerRegexp]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('--tuf-cache none means no cache; a directory is used as given', async () => {
    expect((await loadTrustConfig({ tufCache: 'none' })).tufCache).toBeUndefined();
    expect((await loadTrustConfig({ tufCache: '/var/cache/x' })).tufCache).toBe('/var/cache/x');
  });

  it('the two switches are on only when set: true from a flag, true or "true" from YAML', async () => {
    const on = await loadTrustConfig({ allowWeakAlgorithms: true, insecureIgnoreTlog: true });
    expect([on.allowWeakAlgorithms, on.insecureIgnoreTlog]).toEqual([true, true]);
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-config-'));
    try {
      const yes = join(dir, 'yes.yaml');
      await writeFile(yes, 'allow-weak-algorithms: true\ninsecureIgnoreTlog: "true"\n');
      const fromFile = await loadTrustConfig({ config: yes });
      expect([fromFile.allowWeakAlgorithms, fromFile.insecureIgnoreTlog]).toEqual([true, true]);
      const no = join(dir, 'no.yaml');
      await writeFile(no, 'allow-weak-algorithms: false\ninsecure-ignore-tlog: "yes"\n');
      const off = await loadTrustConfig({ config: no });
      expect([off.allowWeakAlgorithms, off.insecureIgnoreTlog]).toEqual([false, undefined]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('--config files', () => {
  let dir: string;
  let fixtures: string;
  const root = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');
  const write = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-config-'));
    fixtures = await trustInputFixtures();
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('flags a caller leaves unset (undefined, as trustInput gives them) keep the file values', async () => {
    const file = await write(
      'identity.yaml',
      [
        `trust-root: [${root}]`,
        'certificate-identity: release@acme.example',
        'certificate-oidc-issuer: https://accounts.acme.example',
        'at: 2026-01-01T00:00:00Z',
      ].join('\n'),
    );
    const config = await loadTrustConfig(trustInput({ config: file }));
    expect(config.roots).toHaveLength(1);
    expect([config.certificateIdentity, config.certificateOidcIssuer]).toEqual([
      'release@acme.example',
      'https://accounts.acme.example',
    ]);
    expect(config.at?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('a single value where a list is taken is a list of one', async () => {
    const file = await write(
      'scalars.yaml',
      `trust-root: ${root}\nkey: ${join(fixtures, 'keys', 'p256.pub')}\n`,
    );
    const config = await loadTrustConfig({ config: file });
    expect(config.roots.map((c) => c.summary.subject)).toEqual([
      'CN=Sigscan Fixture Root CA,O=Sigscan Fixtures,C=US',
    ]);
    expect(config.keys.map((k) => k.algorithm)).toEqual(['ECDSA-P-256']);
  });

  it('records the config file first among the trust inputs', async () => {
    const file = await write('sources.yaml', `tsa-root: [${root}]\n`);
    const config = await loadTrustConfig({ config: file, trustRoot: [root] });
    expect(config.sources).toEqual([
      { kind: 'config', path: file },
      { kind: 'trust-root', path: root },
      { kind: 'tsa-root', path: root },
    ]);
  });

  it('an empty file, or one of comments, sets nothing', async () => {
    for (const text of ['', '# no settings yet\n']) {
      const config = await loadTrustConfig({ config: await write('empty.yaml', text) });
      expect([config.roots, config.keys, config.certificateIdentity]).toEqual([[], [], undefined]);
    }
  });

  it('refuses a file that is not a mapping of settings (a lost colon makes a scalar)', async () => {
    for (const text of [
      'certificate-identity release@acme.example\n',
      '[]\n',
      '- trust-root: x\n',
      'trust: release@acme.example\n',
      '42\n',
    ]) {
      const file = await write('not-a-mapping.yaml', text);
      await expect(loadTrustConfig({ config: file }), text).rejects.toMatchObject({ code: 'USAGE' });
    }
  });

  it('a file it cannot read or parse is a usage error that keeps its cause', async () => {
    await expect(loadTrustConfig({ config: join(dir, 'missing.yaml') })).rejects.toMatchObject({
      code: 'USAGE',
      cause: { code: 'ENOENT' },
    });
    const bad = await write('bad-yaml.yaml', 'trust-root: [a\n');
    await expect(loadTrustConfig({ config: bad })).rejects.toMatchObject({
      code: 'USAGE',
      cause: { name: 'YAMLParseError' },
    });
  });

  it('YAML warnings (an unknown tag) are not written to stderr', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const file = await write('tagged.yaml', 'certificate-identity: !acme release@acme.example\n');
      expect((await loadTrustConfig({ config: file })).certificateIdentity).toBe('release@acme.example');
      expect(warn).toHaveBeenCalledTimes(0);
    } finally {
      warn.mockRestore();
    }
  });

  it('an identity or issuer regexp that does not compile is a usage error, never no policy', async () => {
    await expect(loadTrustConfig({ certificateIdentityRegexp: '(acme' })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(loadTrustConfig({ certificateOidcIssuerRegexp: 'https://[acme' })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});

describe('readCertificates', () => {
  let fixtures: string;
  beforeAll(async () => {
    fixtures = await trustInputFixtures();
  });

  it('a directory: its files (PEM or DER) in name order as JavaScript sorts names, whatever the listing order; subdirectories are not read', async () => {
    const certs = await readCertificates(join(fixtures, 'roots'), '--trust-root');
    expect(certs.map((c) => c.summary.subject)).toEqual(ROOT_FILES.map((name) => `CN=${rootName(name)}`));
  });

  it('a missing path or a file that is not a certificate: usage error with its cause', async () => {
    await expect(readCertificates(join(fixtures, 'missing.pem'), '--trust-root')).rejects.toMatchObject({
      code: 'USAGE',
      cause: { code: 'ENOENT' },
    });
    const err = await readCertificates(join(fixtures, 'not-a-cert.pem'), '--tsa-root').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'USAGE' });
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});

describe('readPublicKey', () => {
  let fixtures: string;
  beforeAll(async () => {
    fixtures = await trustInputFixtures();
  });

  it.each([
    ['p256.pub', 'ECDSA-P-256'],
    ['p384.pub', 'ECDSA-P-384'],
    ['p521.pub', 'ECDSA-P-521'],
    ['k256.pub', 'ECDSA-secp256k1'],
    ['rsa.pub', 'RSA-2048'],
    ['rsa-pss.pub', 'RSA-2048'],
    ['ed25519.pub', 'Ed25519'],
    ['ed448.pub', 'ed448'],
  ] as const)(
    '%s (PEM and DER SPKI): %s, identified by the SHA-256 of its DER SPKI',
    async (name, algorithm) => {
      const der = join(fixtures, 'keys', `${name}.der`);
      const digest = createHash('sha256').update(readFileSync(der)).digest('hex');
      for (const path of [join(fixtures, 'keys', name), der]) {
        expect(await readPublicKey(path)).toMatchObject({ path, algorithm, spkiSha256: digest });
      }
    },
  );

  it('a PEM certificate gives its key', async () => {
    const cert = new X509Certificate(readFileSync(join(fixtures, 'cert.pem')));
    const key = await readPublicKey(join(fixtures, 'cert.pem'));
    expect(key.algorithm).toBe('ECDSA-P-256');
    expect(key.key.equals(cert.publicKey)).toBe(true);
  });

  it('a file that is no key: usage error with its cause', async () => {
    const err = await readPublicKey(join(fixtures, 'not-a-cert.pem')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'USAGE' });
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('keyAlgorithm of a key that is not asymmetric: unknown', () => {
    expect(keyAlgorithm(createSecretKey(Buffer.alloc(32)))).toBe('unknown');
  });
});
