import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { runFsScan } from '../../src/scan/run.js';
import { loadTrustConfig } from '../../src/trust/config.js';
import { silentLogger } from '../../src/util/logger.js';
import { cosign, type CosignKeypair } from '../helpers/cosign.js';
import { makeCodeSigningCertForKey, makeEcCa } from '../helpers/cosign-pki.js';
import { caseList, type AdversarialCase, type FamilyCorpus, type Outcome } from './corpus.js';
import { scanOutcome } from './scan-outcome.js';

/**
 * Detached blob signatures: `cosign sign-blob --key` (base64 `.sig`, or cosign's `--bundle` JSON named
 * `<file>.sigstore.json`), then the file, the signature or the trust input attacked. One `sigscan fs`
 * scan (runFsScan, in process) per trust profile reads every case as sidecars beside its file.
 */

interface BlobCase {
  id: string;
  attack: string;
  status: AdversarialCase['status'];
  code: string | readonly string[];
  control?: boolean;
  oracle?: boolean;
  /**
   * Trust profile: the signing key (default), another key, or only a CA via --trust-root. These sign
   * with --tlog-upload=false, so they scan with --insecure-ignore-tlog; the `-strict` profiles scan
   * without it, as cosign verify-blob runs by default.
   */
  trust?: 'key' | 'other-key' | 'ca' | 'key-strict' | 'ca-strict';
  /** Writes the case's files into `dir` as `<id>.txt` plus sidecars. */
  make: (file: string) => void;
}

const CONTENT = 'release-manifest: app 1.4.2\nsha256: 9f2c...\n';

export async function blobCorpus(
  work: string,
  keys: { main: CosignKeypair; other: CosignKeypair },
): Promise<FamilyCorpus> {
  const dir = join(work, 'blob');
  const src = join(work, 'blob-src');
  mkdirSync(src, { recursive: true });
  const original = join(src, 'release.txt');
  writeFileSync(original, CONTENT);
  const other = join(src, 'other.txt');
  writeFileSync(other, 'another release\n');
  const signBlob = async (file: string, key: string, extra: string[] = []) =>
    (await cosign(['sign-blob', `--key=${key}`, '--tlog-upload=false', '--yes', ...extra, file])).stdout
      .trim()
      .split('\n')
      .pop()!
      .trim();
  const sig = await signBlob(original, keys.main.key);
  const otherSig = await signBlob(other, keys.main.key);
  const wrongKeySig = await signBlob(original, keys.other.key);
  const bundlePath = join(src, 'release.sigstore.json');
  await signBlob(original, keys.main.key, [`--bundle=${bundlePath}`]);
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as Record<string, unknown>;
  // A certificate for the signing key from a CA we trust, and one for another key.
  const ca = await makeEcCa(src, 'blob-ca', '/CN=Adversarial Blob CA');
  const otherCa = await makeEcCa(src, 'blob-other-ca', '/CN=Adversarial Blob CA');
  const certFromOtherCa = await makeCodeSigningCertForKey(
    src,
    'leaf',
    '/CN=Blob Signer',
    keys.main.pub,
    otherCa,
  );
  const certFromCa = await makeCodeSigningCertForKey(src, 'leaf-good', '/CN=Blob Signer', keys.main.pub, ca);
  const certForOther = await makeCodeSigningCertForKey(
    src,
    'leaf-other',
    '/CN=Blob Signer',
    keys.other.pub,
    ca,
  );

  const flip = (b64: string, at: number) => {
    const raw = Buffer.from(b64, 'base64');
    raw[at]! ^= 0x01;
    return raw.toString('base64');
  };
  const put = (file: string, content: string | Buffer, sigText?: string) => {
    writeFileSync(file, content);
    if (sigText !== undefined) writeFileSync(`${file}.sig`, sigText);
  };
  const putBundle = (file: string, edit: (b: Record<string, unknown>) => void) => {
    writeFileSync(file, CONTENT);
    const b = structuredClone(bundle);
    edit(b);
    writeFileSync(`${file}.sigstore.json`, JSON.stringify(b));
  };

  const bc: BlobCase[] = [
    {
      id: 'blob-control',
      attack: 'untouched file and its cosign sign-blob signature',
      status: 'verified',
      code: 'KEY_VERIFIED',
      control: true,
      oracle: true,
      make: (f) => put(f, CONTENT, sig),
    },
    {
      id: 'blob-control-bundle',
      attack: "untouched file and cosign's --bundle JSON",
      status: 'verified',
      code: 'KEY_VERIFIED',
      control: true,
      make: (f) => putBundle(f, () => undefined),
    },
    {
      id: 'blob-modified',
      attack: 'one byte of the file changed',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      oracle: false,
      make: (f) => put(f, CONTENT.replace('1.4.2', '1.4.3'), sig),
    },
    {
      id: 'blob-appended',
      attack: 'a line appended to the file',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      make: (f) => put(f, `${CONTENT}evil: true\n`, sig),
    },
    {
      id: 'blob-truncated',
      attack: 'the file truncated',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      make: (f) => put(f, CONTENT.slice(0, 20), sig),
    },
    {
      id: 'blob-wrong-artifact',
      attack: "another file's valid signature",
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      oracle: false,
      make: (f) => put(f, CONTENT, otherSig),
    },
    {
      id: 'blob-sig-flipped',
      attack: 'one byte of the signature changed',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      make: (f) => put(f, CONTENT, flip(sig, 40)),
    },
    {
      id: 'blob-sig-truncated',
      attack: 'the base64 signature cut in half',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      oracle: false,
      make: (f) => put(f, CONTENT, sig.slice(0, sig.length >> 1)),
    },
    {
      id: 'blob-sig-empty',
      attack: 'an empty .sig beside the file (not a cosign signature: the file is no target)',
      status: 'unsigned',
      code: 'NOT_A_TARGET',
      make: (f) => put(f, CONTENT, ''),
    },
    {
      id: 'blob-sig-not-base64',
      attack: "a .sig that is not base64 (read as another tool's signature: the file is no target)",
      status: 'unsigned',
      code: 'NOT_A_TARGET',
      make: (f) => put(f, CONTENT, '!!! not a signature !!!'),
    },
    {
      id: 'blob-wrong-key',
      attack:
        'signed by a key other than the one trusted (a key signature cannot tell tampering from another key)',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      oracle: false,
      make: (f) => put(f, CONTENT, wrongKeySig),
    },
    {
      id: 'blob-other-key-trusted',
      attack: 'the right signature judged with another trusted key',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      trust: 'other-key',
      make: (f) => put(f, CONTENT, sig),
    },
    {
      id: 'blob-bundle-sig-swapped',
      attack: "bundle carrying another file's signature",
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      make: (f) =>
        putBundle(f, (b) => {
          b['base64Signature'] = otherSig;
        }),
    },
    {
      id: 'blob-bundle-sig-truncated',
      attack: 'bundle signature truncated',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      make: (f) =>
        putBundle(f, (b) => {
          b['base64Signature'] = sig.slice(0, 30);
        }),
    },
    {
      id: 'blob-cert-key-mismatch',
      attack: 'a trusted-CA certificate for another key beside the signature',
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
      trust: 'ca',
      make: (f) => {
        put(f, CONTENT, sig);
        copyFileSync(certForOther, `${f}.pem`);
      },
    },
    {
      id: 'blob-cert-other-ca',
      attack: 'a certificate for the signing key from another CA of the same name',
      status: 'invalid',
      code: 'CERT_BAD_SIGNATURE',
      trust: 'ca',
      make: (f) => {
        put(f, CONTENT, sig);
        copyFileSync(certFromOtherCa, `${f}.pem`);
      },
    },
    {
      id: 'blob-no-tlog-key',
      attack: 'a right key signature with no transparency-log entry, scanned without the waiver',
      status: 'untrusted',
      code: 'TLOG_MISSING',
      trust: 'key-strict',
      make: (f) => put(f, CONTENT, sig),
    },
    {
      id: 'blob-no-tlog-bundle',
      attack: "cosign's --bundle JSON with no Rekor entry, scanned without the waiver",
      status: 'untrusted',
      code: 'TLOG_MISSING',
      trust: 'key-strict',
      make: (f) => putBundle(f, () => undefined),
    },
    {
      id: 'blob-no-tlog-ca',
      attack: 'a trusted-CA certificate for the signing key, no transparency-log entry, no waiver',
      status: 'untrusted',
      code: 'TLOG_MISSING',
      trust: 'ca-strict',
      make: (f) => {
        put(f, CONTENT, sig);
        copyFileSync(certFromCa, `${f}.pem`);
      },
    },
  ];

  const { cases, add } = caseList('blob');
  const outcomes = new Map<string, Outcome>();
  const profiles = {
    key: [] as BlobCase[],
    'other-key': [] as BlobCase[],
    ca: [] as BlobCase[],
    'key-strict': [] as BlobCase[],
    'ca-strict': [] as BlobCase[],
  };
  for (const c of bc) profiles[c.trust ?? 'key'].push(c);
  for (const [profile, list] of Object.entries(profiles)) {
    if (list.length === 0) continue;
    const pdir = join(dir, profile);
    mkdirSync(pdir, { recursive: true });
    for (const c of list) c.make(join(pdir, `${c.id}.txt`));
    const waiver = profile.endsWith('-strict') ? {} : { insecureIgnoreTlog: true };
    const trust = await loadTrustConfig(
      profile.startsWith('ca')
        ? { trustRoot: [`${ca}.pem`], tufCache: 'none', ...waiver }
        : { key: [profile === 'other-key' ? keys.other.pub : keys.main.pub], tufCache: 'none', ...waiver },
    );
    const report = await runFsScan({ roots: [pdir], concurrency: 2, log: silentLogger, trust });
    for (const c of list) {
      const result = report.results.find(
        (r) => r.target.kind === 'file' && basename(r.target.path) === `${c.id}.txt`,
      );
      const outcome = scanOutcome(result);
      if (c.oracle !== undefined) {
        const file = join(pdir, `${c.id}.txt`);
        const res = await cosign(
          [
            'verify-blob',
            `--key=${keys.main.pub}`,
            `--signature=${file}.sig`,
            '--insecure-ignore-tlog=true',
            file,
          ],
          { check: false },
        );
        outcome.oracle = res.code === 0;
      }
      outcomes.set(c.id, outcome);
    }
  }
  for (const c of bc)
    add({ id: c.id, attack: c.attack, status: c.status, code: c.code, control: c.control, oracle: c.oracle });
  return { family: 'blob', cases, outcomes };
}
