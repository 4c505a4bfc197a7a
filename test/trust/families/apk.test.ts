import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { apkDetector, type ApkEvidenceMaterial } from '../../../src/detectors/apk.js';
import { jarDetector } from '../../../src/detectors/jar.js';
import type { Evidence, FileTarget, Verdict } from '../../../src/model/index.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { apkVerifier } from '../../../src/trust/families/apk.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { silentLogger } from '../../../src/util/logger.js';
import {
  apkFixtures,
  apkKey,
  apkLayout,
  apksignerVerify,
  exportCertPem,
  makeUnsignedApk,
  readBytes,
  removeDir,
  signApk,
  tempDir,
  type ApkFixtures,
} from '../../helpers/apk/index.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { config } from '../helpers.js';

interface Outcome {
  evidence: Evidence;
  verdict: Verdict;
}

function target(path: string, bytes: Uint8Array): FileTarget {
  return { kind: 'file', path, size: bytes.length, digest: 'sha256:x', format: 'apk' };
}

/** Both detectors an APK meets (v1 through jar, v2/v3 through apk), then the evaluator, as a scan does. */
async function scan(path: string, roots: string[] = [], bytes = readBytes(path)): Promise<Outcome[]> {
  const evaluator = new TrustEvaluator(await config({ roots }));
  const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
  const out: Outcome[] = [];
  for (const detector of [jarDetector, apkDetector]) {
    for await (const evidence of detector.detect(target(path, bytes), ctx)) {
      out.push({ evidence, verdict: await evaluator.evaluate(evidence, target(path, bytes)) });
    }
  }
  return out;
}

const summary = (o: Outcome[]) =>
  o.map((x) => `${x.evidence.family} ${x.evidence.location}: ${x.verdict.status} ${x.verdict.code}`);

describe('APK v2/v3 verdicts, with apksigner as the oracle', () => {
  let fx: ApkFixtures;
  let dir: string;

  beforeAll(() => {
    fx = apkFixtures();
    dir = tempDir('sigscan-apk-trust-');
  }, 180_000);

  afterAll(() => removeDir(dir));

  it('v2 only: valid, unverified without roots; verified with the signer certificate as root', async () => {
    const unanchored = await scan(fx.apk['v2']!);
    expect(summary(unanchored)).toEqual(['apk APK Signature Scheme v2 signer #1: unverified NO_TRUST_ROOT']);
    // Without a root the verdict still names whose valid signature it is.
    expect(unanchored[0]!.verdict.message).toContain('CN=APK RSA Signer,O=Sigscan Tests');
    const [o] = await scan(fx.apk['v2']!, [fx.pem['rsa']!]);
    expect(o!.verdict.status).toBe('verified');
    expect(o!.verdict.code).toBe('CHAIN_VALID');
    expect(o!.evidence.signer.subject).toBe('CN=APK RSA Signer,O=Sigscan Tests');
    expect(o!.evidence.algorithm).toBe('RSA_PKCS1_V1_5_WITH_SHA256');
    expect(o!.evidence.details).toMatchObject({
      scheme: 'v2',
      schemesPresent: ['v2'],
      contentDigestsChecked: ['CHUNKED_SHA256'],
    });
    const oracle = apksignerVerify(fx.apk['v2']!);
    expect(oracle.verifies).toBe(true);
    expect(oracle.schemes).toMatchObject({ v1: false, v2: true, v3: false });
    expect(oracle.signerDns).toEqual(['CN=APK RSA Signer, O=Sigscan Tests']);
  });

  it('a wrong root leaves the valid signature untrusted', async () => {
    expect(summary(await scan(fx.apk['v2']!, [fx.pem['other']!]))).toEqual([
      'apk APK Signature Scheme v2 signer #1: untrusted CHAIN_UNTRUSTED',
    ]);
  });

  it('a CA-issued signer is verified with the CA as root (v2 and v3 both)', async () => {
    expect(summary(await scan(fx.apk['issued']!, [fx.pem['ca']!]))).toEqual([
      'apk APK Signature Scheme v2 signer #1: verified CHAIN_VALID',
      'apk APK Signature Scheme v3 signer #1: verified CHAIN_VALID',
    ]);
  });

  it('v3 only (EC) and the SHA-512 and DSA algorithms verify', async () => {
    expect(summary(await scan(fx.apk['v3']!, [fx.pem['ec']!]))).toEqual([
      'apk APK Signature Scheme v3 signer #1: verified CHAIN_VALID',
    ]);
    const [v3] = await scan(fx.apk['v3']!);
    expect(v3!.evidence.details).toMatchObject({ minSdk: 24, maxSdk: 2147483647 });
    for (const name of ['rsa4096', 'ec384']) {
      expect((await scan(fx.apk[name]!)).map((o) => o.verdict.code)).toEqual(['NO_TRUST_ROOT']);
    }
    expect(summary(await scan(fx.apk['dsa']!, [fx.pem['dsa']!]))).toEqual([
      'apk APK Signature Scheme v2 signer #1: verified CHAIN_VALID',
    ]);
  });

  it('v1+v2: both families are reported, each verified', async () => {
    expect(summary(await scan(fx.apk['v1v2']!, [fx.pem['rsa']!]))).toEqual([
      'jar META-INF/RSA.RSA: verified CHAIN_VALID',
      'apk APK Signature Scheme v2 signer #1: verified CHAIN_VALID',
    ]);
    // apksigner skips v1 when v2 covers the minimum SDK (24): only its v2 answer is comparable.
    expect(apksignerVerify(fx.apk['v1v2']!)).toMatchObject({ verifies: true, schemes: { v2: true } });
  });

  it('rotation: the v3 signer carries its lineage; the old key as root verifies it through the lineage', async () => {
    const out = await scan(fx.apk['rotated']!, [fx.pem['rsa']!]);
    expect(summary(out)).toEqual([
      'apk APK Signature Scheme v2 signer #1: verified CHAIN_VALID',
      'apk APK Signature Scheme v3 signer #1: verified CHAIN_VALID',
    ]);
    const v3 = out[1]!;
    expect(v3.evidence.signer.subject).toBe('CN=APK EC Signer,O=Sigscan Tests');
    expect(v3.verdict.message).toMatch(/through its proof-of-rotation lineage from CN=APK RSA Signer/);
    expect((v3.evidence.details!['lineage'] as Array<{ subject: string }>).map((n) => n.subject)).toEqual([
      'CN=APK RSA Signer,O=Sigscan Tests',
      'CN=APK EC Signer,O=Sigscan Tests',
    ]);
    // The new key alone anchors the v3 signer directly, but not the v2 one (signed by the old key).
    const direct = await scan(fx.apk['rotated']!, [fx.pem['ec']!]);
    expect(summary(direct)).toEqual([
      'apk APK Signature Scheme v2 signer #1: untrusted CHAIN_UNTRUSTED',
      'apk APK Signature Scheme v3 signer #1: verified CHAIN_VALID',
    ]);
    // Anchored directly: the verdict names the signer, and claims no lineage path it did not take.
    expect(direct[1]!.verdict.message).toContain('CN=APK EC Signer,O=Sigscan Tests');
    expect(direct[1]!.verdict.message).not.toMatch(/lineage/);
  });

  it('a tampered entry is invalid (APK_DIGEST_MISMATCH) for us and for apksigner', async () => {
    const bytes = readBytes(fx.apk['v2']!).slice();
    const b = Buffer.from(bytes);
    bytes[30 + b.readUInt16LE(26) + b.readUInt16LE(28)]! ^= 1;
    const path = join(dir, 'entry.apk');
    writeFileSync(path, bytes);
    expect(summary(await scan(path, [fx.pem['rsa']!]))).toEqual([
      'apk APK Signature Scheme v2 signer #1: invalid APK_DIGEST_MISMATCH',
    ]);
    expect(apksignerVerify(path).verifies).toBe(false);
  });

  it('a tampered signing block (a byte of the signature) is APK_SIGNATURE_INVALID for us, fails apksigner', async () => {
    const bytes = readBytes(fx.apk['v2']!).slice();
    const { pairs } = apkLayout(bytes);
    const v2 = pairs.find((p) => p.id === 0x7109871a)!;
    // The v2 value ends with: signatures (… signature bytes), public key. Flip a byte of the signature,
    // which sits right before the u32 public key length and the key.
    const b = Buffer.from(bytes);
    const keyLength = findKeyLength(b, v2.end);
    bytes[v2.end - keyLength - 4 - 10]! ^= 1;
    const path = join(dir, 'block.apk');
    writeFileSync(path, bytes);
    expect(summary(await scan(path, [fx.pem['rsa']!]))).toEqual([
      'apk APK Signature Scheme v2 signer #1: invalid APK_SIGNATURE_INVALID',
    ]);
    expect(apksignerVerify(path).verifies).toBe(false);
  });

  it('a tampered central directory is invalid for us and for apksigner', async () => {
    const bytes = readBytes(fx.apk['v1v2']!).slice();
    const { cdOffset } = apkLayout(bytes);
    // The first central header's last-modified time: no reader refuses it, the digest notices.
    bytes[cdOffset + 12]! ^= 1;
    const path = join(dir, 'cd.apk');
    writeFileSync(path, bytes);
    const out = await scan(path, [fx.pem['rsa']!]);
    expect(summary(out)).toEqual([
      'jar META-INF/RSA.RSA: verified CHAIN_VALID',
      'apk APK Signature Scheme v2 signer #1: invalid APK_DIGEST_MISMATCH',
    ]);
    expect(apksignerVerify(path).verifies).toBe(false);
  });

  it('v1 naming v2 in X-Android-APK-Signed, with the v2 block stripped: the v1 signature is invalid', async () => {
    const bytes = readBytes(fx.apk['v1v2']!);
    const { blockOffset, cdOffset, eocd } = apkLayout(bytes);
    // Remove the block (and apksigner's padding before it) and point the end record at the directory.
    const entriesEnd = lastEntryEnd(bytes, blockOffset);
    const out = Buffer.concat([
      Buffer.from(bytes.subarray(0, entriesEnd)),
      Buffer.from(bytes.subarray(cdOffset)),
    ]);
    out.writeUInt32LE(entriesEnd, entriesEnd + (eocd - cdOffset) + 16);
    const path = join(dir, 'stripped-v1.apk');
    writeFileSync(path, out);
    expect(summary(await scan(path, [fx.pem['rsa']!]))).toEqual([
      'jar META-INF/RSA.RSA: invalid APK_SCHEME_STRIPPED',
    ]);
    expect(apksignerVerify(path).verifies).toBe(false);
    // The same jar as a plain .jar: X-Android-APK-Signed means nothing there.
    const evaluator = new TrustEvaluator(await config({ roots: [fx.pem['rsa']!] }));
    const jarTarget: FileTarget = { kind: 'file', path, size: out.length, digest: 'sha256:x', format: 'jar' };
    const ctx = {
      file: { absolutePath: path, bytes: new Uint8Array(out) },
      limits: DEFAULT_LIMITS,
      log: silentLogger,
    };
    for await (const ev of jarDetector.detect(jarTarget, ctx)) {
      expect((await evaluator.evaluate(ev, jarTarget)).code).toBe('CHAIN_VALID');
    }
  });

  it('extra bytes before the signing block are ZIP_AMBIGUOUS', async () => {
    const bytes = readBytes(fx.apk['v2']!).slice();
    bytes[apkLayout(bytes).blockOffset - 2] = 0x41;
    const path = join(dir, 'gap.apk');
    writeFileSync(path, bytes);
    expect(summary(await scan(path, [fx.pem['rsa']!]))).toEqual([
      'apk APK Signature Scheme v2 signer #1: invalid ZIP_AMBIGUOUS',
    ]);
  });
});

describe('apkVerifier on altered signer records (faults apksigner cannot write)', () => {
  let fx: ApkFixtures;

  beforeAll(() => {
    fx = apkFixtures();
  }, 180_000);

  async function evidenceOf(name: string): Promise<Evidence[]> {
    const path = fx.apk[name]!;
    const bytes = readBytes(path);
    const out: Evidence[] = [];
    const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
    for await (const e of apkDetector.detect(target(path, bytes), ctx)) out.push(e);
    return out;
  }

  async function verdict(e: Evidence, roots: string[] = []): Promise<Verdict> {
    return apkVerifier(e, target('x.apk', new Uint8Array()), {
      config: await config({ roots }),
      now: new Date(),
    });
  }

  it('a certificate for another key than the signing one is APK_PUBLIC_KEY_MISMATCH', async () => {
    // An attacker signs with their own key and lists the victim's certificate.
    const [e] = await evidenceOf('v2');
    const m = e!.material as ApkEvidenceMaterial;
    const other = pemDer(fx.pem['other']!);
    m.record.certificates = [other];
    const v = await verdict(e!, [fx.pem['other']!]);
    expect(v.status).toBe('invalid');
    expect(v.code).toBe('APK_PUBLIC_KEY_MISMATCH');
  });

  it('no certificate is SIGNER_CERTIFICATE_MISSING; an unparsable one too', async () => {
    const [e] = await evidenceOf('v2');
    const m = e!.material as ApkEvidenceMaterial;
    m.record.certificates = [];
    expect((await verdict(e!)).code).toBe('SIGNER_CERTIFICATE_MISSING');
    m.record.certificates = [new Uint8Array([0x30, 0x03, 1, 2, 3])];
    expect((await verdict(e!)).code).toBe('SIGNER_CERTIFICATE_MISSING');
  });

  it('only verity or unknown algorithms is an error (UNSUPPORTED_ALGORITHM), never verified', async () => {
    const [e] = await evidenceOf('v2');
    const m = e!.material as ApkEvidenceMaterial;
    m.record.signatures = m.record.signatures.map((s) => ({ ...s, algorithmId: 0x0421 }));
    expect(await verdict(e!)).toMatchObject({ status: 'error', code: 'UNSUPPORTED_ALGORITHM' });
    m.record.signatures = m.record.signatures.map((s) => ({ ...s, algorithmId: 0x9999 }));
    expect((await verdict(e!)).code).toBe('UNSUPPORTED_ALGORITHM');
  });

  it('a signature checked with the wrong key type or a PSS reading fails; an unparsable key is invalid', async () => {
    const [e] = await evidenceOf('v2');
    const m = e!.material as ApkEvidenceMaterial;
    const signatures = m.record.signatures;
    m.record.signatures = signatures.map((s) => ({ ...s, algorithmId: 0x0101 }));
    expect((await verdict(e!)).code).toBe('APK_SIGNATURE_INVALID');
    m.record.signatures = signatures.map((s) => ({ ...s, algorithmId: 0x0201 }));
    expect((await verdict(e!)).code).toBe('APK_SIGNATURE_INVALID');
    m.record.signatures = signatures;
    expect((await verdict(e!)).code).toBe('NO_TRUST_ROOT');
    m.record.publicKey = new Uint8Array([1, 2, 3]);
    expect((await verdict(e!)).code).toBe('APK_SIGNATURE_INVALID');
  });

  it('lineage: a broken node signature, a wrong parent algorithm, a duplicate, or another newest cert is APK_LINEAGE_INVALID', async () => {
    const evidence = await evidenceOf('rotated');
    const v3 = evidence.find((e) => e.details!['scheme'] === 'v3')!;
    const m = v3.material as ApkEvidenceMaterial;
    const nodes = m.lineage!;
    expect(nodes).toHaveLength(2);
    expect((await verdict(v3)).code).toBe('NO_TRUST_ROOT');

    const sig = nodes[1]!.signature.slice();
    sig[10]! ^= 1;
    m.lineage = [nodes[0]!, { ...nodes[1]!, signature: sig }];
    expect(await verdict(v3)).toMatchObject({ status: 'invalid', code: 'APK_LINEAGE_INVALID' });
    expect((await verdict(v3)).message).toMatch(/certificate #2 is not signed by certificate #1/);

    m.lineage = [nodes[0]!, { ...nodes[1]!, parentAlgorithmId: 0x0104 }];
    expect((await verdict(v3)).message).toMatch(/names another algorithm/);

    m.lineage = [nodes[0]!, nodes[0]!];
    expect((await verdict(v3)).message).toMatch(/occurs twice/);

    m.lineage = [nodes[0]!];
    expect((await verdict(v3)).message).toMatch(/newest certificate is not the signer/);

    m.lineage = [{ ...nodes[0]!, certificate: new Uint8Array([1]) }, nodes[1]!];
    expect((await verdict(v3)).message).toMatch(/certificate #1 does not parse/);
  });

  it('no material is an INTERNAL error', async () => {
    const [e] = await evidenceOf('v2');
    expect((await verdict({ ...e!, material: undefined })).code).toBe('INTERNAL');
  });
});

/**
 * A root, an intermediate CA and two signers made by keytool, APKs signed by apksigner: one by a signer
 * the intermediate issued (the APK carries leaf and intermediate; only the root is a trust root), one by a
 * root-issued signer whose certificate expired years ago. apksigner's verdict on each is kept beside them.
 */
async function buildChains(dir: string): Promise<void> {
  const keystore = join(dir, 'chain.p12');
  const dn = (cn: string) => `CN=${cn}, O=Sigscan Tests`;
  apkKey(dir, { alias: 'root', keyalg: 'RSA', dname: dn('APK Chain Root'), keystore });
  await breathe();
  apkKey(dir, {
    alias: 'inter',
    keyalg: 'RSA',
    dname: dn('APK Chain Intermediate'),
    keystore,
    issuerAlias: 'root',
    ca: true,
  });
  await breathe();
  const leaf = apkKey(dir, {
    alias: 'leaf',
    keyalg: 'RSA',
    dname: dn('APK Chain Leaf'),
    keystore,
    issuerAlias: 'inter',
  });
  await breathe();
  const expired = apkKey(dir, {
    alias: 'expired',
    keyalg: 'RSA',
    dname: dn('APK Expired Signer'),
    keystore,
    issuerAlias: 'root',
    startdate: '-3y',
    validity: 30,
  });
  await breathe();
  const unsigned = makeUnsignedApk(join(dir, 'unsigned.apk'));
  const oracle: Record<string, boolean> = {};
  for (const [name, key] of [
    ['intermediate', leaf],
    ['expired', expired],
  ] as const) {
    signApk(unsigned, join(dir, `${name}.apk`), key, { v2: true });
    await breathe();
    oracle[name] = apksignerVerify(join(dir, `${name}.apk`)).verifies;
  }
  exportCertPem(keystore, 'root', join(dir, 'root.pem'));
  writeFileSync(join(dir, 'apksigner.json'), JSON.stringify(oracle));
}

describe('APK signer chains: an intermediate the APK carries, an expired signer', () => {
  let dir: string;
  let apksignerSays: Record<string, boolean>;

  beforeAll(async () => {
    dir = await cachedFixtureDir('apk-chains-v1', buildChains);
    apksignerSays = JSON.parse(readFileSync(join(dir, 'apksigner.json'), 'utf8')) as Record<string, boolean>;
  }, 240_000);

  it('a signer issued by an intermediate the APK carries is anchored at the root through it', async () => {
    expect(apksignerSays['intermediate']).toBe(true);
    const out = await scan(join(dir, 'intermediate.apk'), [join(dir, 'root.pem')]);
    expect(summary(out)).toEqual(['apk APK Signature Scheme v2 signer #1: verified CHAIN_VALID']);
    expect((out[0]!.evidence.material as ApkEvidenceMaterial).record.certificates.length).toBeGreaterThan(1);
  });

  it('an expired signer certificate still verifies, as apksigner says (Android ignores validity)', async () => {
    expect(apksignerSays['expired']).toBe(true);
    expect(summary(await scan(join(dir, 'expired.apk'), [join(dir, 'root.pem')]))).toEqual([
      'apk APK Signature Scheme v2 signer #1: verified CHAIN_VALID',
    ]);
  });
});

function pemDer(path: string): Uint8Array {
  const b64 = readFileSync(path, 'utf8')
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Length of the public key that ends the v2 signer (the last length-prefixed field of the pair). */
function findKeyLength(b: Buffer, end: number): number {
  // An RSA-2048 SubjectPublicKeyInfo is 294 bytes; check the prefix rather than assume it.
  for (let len = 60; len < 1000; len++)
    if (b.readUInt32LE(end - len - 4) === len && b[end - len] === 0x30) return len;
  throw new Error('public key not found');
}

/** End of the last entry's data: the central directory's entries sorted by offset. */
function lastEntryEnd(bytes: Uint8Array, blockOffset: number): number {
  const b = Buffer.from(bytes);
  let end = blockOffset;
  while (end > 0 && b[end - 1] === 0) end--;
  return end;
}
