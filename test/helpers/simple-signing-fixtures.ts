/**
 * Simple-signing inputs made by the real tools, cached per day (cachedFixtureDir): a throw-away GnuPG
 * home with an RSA and an Ed25519 signing key, a signature by `skopeo standalone-sign`, claims and
 * OpenPGP message shapes made by `gpg --sign` / `--detach-sign` / `--symmetric`, and the verdicts of
 * the reference tools on each (`gpg --verify`, and `skopeo standalone-verify`, which runs
 * containers/image's own claim parser), so tests can put them beside sigscan's.
 */
import { createHash } from 'node:crypto';
import { cpSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { breathe, cachedFixtureDir, workingCopy } from './fixture-cache.js';
import { run } from './tools.js';

/** The docker reference every fixture claim names. */
export const SSF_REFERENCE = 'example.com/ssf/app:v1';
export const SSF_MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}\n';
export const SSF_DIGEST = `sha256:${createHash('sha256').update(SSF_MANIFEST).digest('hex')}`;

/** A claim in containers/image's shape, with `optional` (and the digest) written as raw JSON text. */
export function claimText(
  optional = '{"creator":"ssf","timestamp":1700000000}',
  digest = SSF_DIGEST,
  reference = SSF_REFERENCE,
): string {
  return (
    `{"critical":{"identity":{"docker-reference":"${reference}"},` +
    `"image":{"docker-manifest-digest":"${digest}"},"type":"atomic container signature"},` +
    `"optional":${optional}}`
  );
}

/** Claims signed with `gpg --sign`, judged by `skopeo standalone-verify`. */
export const SIGNED_CLAIMS: Record<string, string> = {
  'claim-good': claimText(),
  // Go decodes the timestamp as a float64 and only checks it has no fractional part.
  'claim-ts-1.0': claimText('{"timestamp":1.0}'),
  'claim-ts-1e3': claimText('{"timestamp":1e3}'),
  'claim-ts-1.5': claimText('{"timestamp":1.5}'),
  'claim-ts-null': claimText('{"timestamp":null}'),
  'claim-digest-upper': claimText('{}', `sha256:${SSF_DIGEST.slice(7).toUpperCase()}`),
  'claim-optional-array': claimText('[]'),
  // A reference whose digest go-digest refuses: ParseNormalizedNamed fails on it.
  'claim-ref-bad-digest': claimText('{}', SSF_DIGEST, 'example.com/ssf/app@foo:bar'),
};

export interface Verdict {
  /** Exit status of the tool. */
  code: number;
  /** Its last line of output (stderr, else stdout). */
  said: string;
}

export interface SimpleSigningFixtures {
  dir: string;
  /** RSA key: fingerprint and 16-hex key id, upper case. */
  rsaFingerprint: string;
  rsaKeyId: string;
  ed25519Fingerprint: string;
  ed25519KeyId: string;
  file(name: string): Promise<Uint8Array>;
  skopeo: Record<string, Verdict>;
  gpg: Record<string, Verdict>;
}

interface Meta {
  rsaFingerprint: string;
  ed25519Fingerprint: string;
  skopeo: Record<string, Verdict>;
  gpg: Record<string, Verdict>;
}

function lastLine(r: { stdout: string; stderr: string }): string {
  const lines = (r.stderr.trim() || r.stdout.trim()).split('\n');
  return lines[lines.length - 1] ?? '';
}

async function build(dir: string): Promise<void> {
  // A short home outside the cache: gpg-agent's socket path must fit in 108 bytes.
  const home = await mkdtemp(join(tmpdir(), 'sigscan-ssf-gpg-'));
  const gpg = (args: string[], check = true) =>
    run('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
      timeoutMs: 120_000,
      check,
    });
  const fingerprintOf = async (uid: string): Promise<string> =>
    /^fpr:+([0-9A-F]{40}):/m.exec((await gpg(['--with-colons', '--list-keys', uid])).stdout)![1]!;
  await gpg(['--quick-gen-key', 'ssf rsa <rsa@ssf.test>', 'rsa2048', 'sign', 'never']);
  await breathe();
  await gpg(['--quick-gen-key', 'ssf ed25519 <ed@ssf.test>', 'ed25519', 'sign', 'never']);
  await breathe();
  const rsa = await fingerprintOf('rsa@ssf.test');
  const ed = await fingerprintOf('ed@ssf.test');
  await gpg(['--output', join(dir, 'rsa.gpg'), '--export', rsa]);
  await gpg(['--armor', '--output', join(dir, 'rsa.asc'), '--export', rsa]);
  await gpg(['--output', join(dir, 'rsa-secret.gpg'), '--export-secret-keys', rsa]);
  await gpg(['--output', join(dir, 'both.gpg'), '--export', rsa, ed]);
  await writeFile(join(dir, 'manifest.json'), SSF_MANIFEST);
  const env = { GNUPGHOME: home };
  await run(
    'skopeo',
    ['standalone-sign', join(dir, 'manifest.json'), SSF_REFERENCE, rsa, '-o', join(dir, 'standalone.sig')],
    { env, timeoutMs: 120_000 },
  );
  await breathe();

  const claim = join(dir, 'claim.json');
  await writeFile(claim, SIGNED_CLAIMS['claim-good']!);
  const sign = async (out: string, args: string[], input = claim): Promise<void> => {
    await gpg(['--local-user', rsa, ...args, '--output', join(dir, out), input]);
    await breathe();
  };
  for (const [name, text] of Object.entries(SIGNED_CLAIMS)) {
    await writeFile(join(dir, `${name}.json`), text);
    await sign(`${name}.sig`, ['--sign'], join(dir, `${name}.json`));
  }
  // Message shapes: uncompressed (4,11,2), detached (2 only), two signers, RIPEMD-160, expiring.
  await sign('plain.sig', ['--sign', '--compress-algo', 'none']);
  await sign('detached.sig', ['--detach-sign']);
  await gpg([
    '--local-user',
    rsa,
    '--local-user',
    ed,
    '--sign',
    '--compress-algo',
    'none',
    '--output',
    join(dir, 'two-signers.sig'),
    claim,
  ]);
  await sign('ripemd.sig', ['--sign', '--compress-algo', 'none', '--digest-algo', 'RIPEMD160']);
  await sign('expiring.sig', ['--sign', '--compress-algo', 'none', '--default-sig-expire', '2d']);
  await gpg([
    '--local-user',
    ed,
    '--sign',
    '--compress-algo',
    'none',
    '--output',
    join(dir, 'ed25519.sig'),
    claim,
  ]);
  await gpg(['--passphrase', 'x', '--symmetric', '--output', join(dir, 'symmetric.gpg'), claim]);
  await breathe();

  const skopeo: Record<string, Verdict> = {};
  const gpgVerdicts: Record<string, Verdict> = {};
  const judged = [
    'standalone.sig',
    ...Object.keys(SIGNED_CLAIMS).map((n) => `${n}.sig`),
    'plain.sig',
    'two-signers.sig',
    'ripemd.sig',
    'ed25519.sig',
  ];
  for (const name of judged) {
    const r = await run(
      'skopeo',
      ['standalone-verify', join(dir, 'manifest.json'), SSF_REFERENCE, rsa, join(dir, name)],
      { env, check: false, timeoutMs: 120_000 },
    );
    skopeo[name] = { code: r.code, said: lastLine(r) };
    const g = await gpg(['--verify', join(dir, name)], false);
    gpgVerdicts[name] = { code: g.code, said: lastLine(g) };
    await breathe();
  }
  const meta: Meta = { rsaFingerprint: rsa, ed25519Fingerprint: ed, skopeo, gpg: gpgVerdicts };
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
  await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { check: false });
  // Kept for skopeoReferenceVerdicts (which works on a copy); agent sockets are not files to keep.
  cpSync(home, join(dir, 'gnupg'), { recursive: true, filter: (p) => !basename(p).startsWith('S.') });
  await rm(home, { recursive: true, force: true });
}

let fixtures: Promise<SimpleSigningFixtures> | undefined;

/** The fixtures, built once per day; one build per test process however many tests ask at once. */
export function simpleSigningFixtures(): Promise<SimpleSigningFixtures> {
  fixtures ??= loadFixtures();
  return fixtures;
}

async function loadFixtures(): Promise<SimpleSigningFixtures> {
  const dir = await cachedFixtureDir('simple-signing-ssf-v2', build);
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Meta;
  return {
    dir,
    rsaFingerprint: meta.rsaFingerprint,
    rsaKeyId: meta.rsaFingerprint.slice(-16),
    ed25519Fingerprint: meta.ed25519Fingerprint,
    ed25519KeyId: meta.ed25519Fingerprint.slice(-16),
    file: async (name) => new Uint8Array(await readFile(join(dir, name))),
    skopeo: meta.skopeo,
    gpg: meta.gpg,
  };
}

/** One OpenPGP packet as it sits in a message: header and body bytes. */
export interface RawPacket {
  tag: number;
  bytes: Uint8Array;
}

/** Splits a binary OpenPGP message into its top-level packets (no partial body lengths; gpg writes none here). */
export function splitPackets(msg: Uint8Array): RawPacket[] {
  const out: RawPacket[] = [];
  let i = 0;
  while (i < msg.length) {
    const start = i;
    const h = msg[i++]!;
    let tag: number;
    let len: number;
    if (h & 0x40) {
      tag = h & 0x3f;
      const o = msg[i++]!;
      if (o < 192) len = o;
      else if (o < 224) len = ((o - 192) << 8) + msg[i++]! + 192;
      else if (o === 255) {
        len = Buffer.from(msg.subarray(i, i + 4)).readUInt32BE(0);
        i += 4;
      } else throw new Error('partial body lengths are not handled');
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      if (lt === 3) {
        // Indeterminate: to the end of the message (gpg writes its compressed packet so).
        len = msg.length - i;
      } else {
        const n = [1, 2, 4][lt]!;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + msg[i++]!;
      }
    }
    i += len;
    out.push({ tag, bytes: msg.subarray(start, i) });
  }
  return out;
}

/** A new-format packet with this tag around `body`. */
export function packet(tag: number, body: Uint8Array): Uint8Array {
  const len = body.length;
  let header: number[];
  if (len < 192) header = [len];
  else if (len < 8384) header = [((len - 192) >> 8) + 192, (len - 192) & 0xff];
  else header = [255, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff];
  return new Uint8Array([0xc0 | tag, ...header, ...body]);
}

/** An uncompressed (algorithm 0) compressed-data packet holding these packets. */
export function storedCompressed(...inner: Uint8Array[]): Uint8Array {
  return packet(8, concat(new Uint8Array([0]), ...inner));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * skopeo's judgement of each docker reference: `standalone-verify` parses the expected reference with
 * containers/image `reference.ParseNormalizedNamed` before anything else, so a refused reference fails
 * there, and an accepted one fails later only because the signature names another reference. Cached per
 * day and per list.
 */
export async function skopeoReferenceVerdicts(
  refs: readonly string[],
): Promise<Record<string, 'valid' | string>> {
  const f = await simpleSigningFixtures();
  const key = createHash('sha256').update(refs.join('\n')).digest('hex').slice(0, 12);
  const dir = await cachedFixtureDir(`simple-signing-ssf-refs-${key}`, async (out) => {
    const verdicts: Record<string, string> = {};
    // A private GnuPG home: gpg writes to its home, and the cached one is shared and never changed.
    const home = workingCopy(join(f.dir, 'gnupg'), 'sigscan-ssf-gnupg-');
    for (const ref of refs) {
      const r = await run(
        'skopeo',
        [
          'standalone-verify',
          join(f.dir, 'manifest.json'),
          ref,
          f.rsaFingerprint,
          join(f.dir, 'standalone.sig'),
        ],
        { env: { GNUPGHOME: home }, check: false, timeoutMs: 120_000 },
      );
      const said = lastLine(r);
      const valid = r.code === 0 || said.includes(`does not match ${ref}`);
      verdicts[ref] = valid ? 'valid' : (/msg="Error verifying signature: (.*)"$/.exec(said)?.[1] ?? said);
      await breathe();
    }
    await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { check: false });
    await rm(home, { recursive: true, force: true });
    await writeFile(join(out, 'verdicts.json'), JSON.stringify(verdicts, null, 2));
  });
  return JSON.parse(await readFile(join(dir, 'verdicts.json'), 'utf8')) as Record<string, string>;
}
