import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { debsigDetector } from '../../../src/detectors/debsig.js';
import { readAr } from '../../../src/formats/deb/index.js';
import type { Evidence, FileTarget, Verdict } from '../../../src/model/index.js';
import { loadTrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { debsigVerifier } from '../../../src/trust/families/debsig.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { silentLogger } from '../../../src/util/logger.js';
import { debFixtures, gpgvCheck, type DebFixtures } from '../../helpers/deb/index.js';
import { readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';

const target = (path: string, bytes: Uint8Array): FileTarget => ({
  kind: 'file',
  path,
  size: bytes.length,
  digest: 'sha256:x',
  format: 'deb',
});

async function scan(path: string, keyrings: string[], allowWeak = false, bytes = readBytes(path)) {
  const evaluator = new TrustEvaluator(
    await loadTrustConfig({ gpgKeyring: keyrings, allowWeakAlgorithms: allowWeak }),
  );
  const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
  const out: Array<{ evidence: Evidence; verdict: Verdict }> = [];
  for await (const evidence of debsigDetector.detect(target(path, bytes), ctx)) {
    out.push({ evidence, verdict: await evaluator.evaluate(evidence, target(path, bytes)) });
  }
  return out;
}

const summary = (o: Awaited<ReturnType<typeof scan>>) =>
  o.map((x) => `${x.evidence.location}: ${x.verdict.status} ${x.verdict.code}`);

describe('debsigs verdicts, with gpgv over the signed members as the oracle', () => {
  let fx: DebFixtures;
  let dir: string;

  beforeAll(() => {
    fx = debFixtures();
    dir = tempDir('sigscan-deb-');
  }, 180_000);

  afterAll(() => removeDir(dir));

  it('valid SHA-256 origin signature: verified with the signer key (gpgv: good)', async () => {
    const out = await scan(fx.deb['sha256']!, [fx.keyring['signer']!]);
    expect(summary(out)).toEqual(['_gpgorigin: verified SIGNATURE_VERIFIED']);
    expect(out[0]!.evidence.algorithm).toBe('RSA/SHA256');
    expect(out[0]!.evidence.signer.keyId).toBe(fx.fingerprint.slice(-16));
    expect(out[0]!.evidence.details).toMatchObject({ role: 'origin', signatures: 1 });
    expect(gpgvCheck(fx.deb['sha256']!, fx.keyring['gpgv']!).ok).toBe(true);
  });

  it("debsigs' default SHA-1 signature: valid but WEAK_ALGORITHM unless --allow-weak-algorithms (gpgv accepts it)", async () => {
    expect(summary(await scan(fx.deb['sha1']!, [fx.keyring['signer']!]))).toEqual([
      '_gpgorigin: untrusted WEAK_ALGORITHM',
    ]);
    const allowed = await scan(fx.deb['sha1']!, [fx.keyring['signer']!], true);
    expect(summary(allowed)).toEqual(['_gpgorigin: verified SIGNATURE_VERIFIED']);
    expect(allowed[0]!.verdict.message).toMatch(/SHA-1 accepted because of --allow-weak-algorithms/);
    expect(gpgvCheck(fx.deb['sha1']!, fx.keyring['gpgv']!).ok).toBe(true);
  });

  it('wrong key: UNKNOWN_SIGNER; no keyring: NO_TRUST_ROOT; unsigned: nothing', async () => {
    expect(summary(await scan(fx.deb['sha256']!, [fx.keyring['other']!]))).toEqual([
      '_gpgorigin: untrusted UNKNOWN_SIGNER',
    ]);
    expect(summary(await scan(fx.deb['sha256']!, []))).toEqual(['_gpgorigin: unverified NO_TRUST_ROOT']);
    expect(await scan(fx.deb['unsigned']!, [fx.keyring['signer']!])).toEqual([]);
  });

  it('a tampered data.tar is BAD_SIGNATURE for us and bad for gpgv', async () => {
    const bytes = readBytes(fx.deb['sha256']!).slice();
    const data = readAr(bytes).find((m) => m.name.startsWith('data.tar'))!;
    bytes[data.offset + data.size - 30]! ^= 1;
    const path = join(dir, 'data.deb');
    writeFileSync(path, bytes);
    expect(summary(await scan(path, [fx.keyring['signer']!]))).toEqual(['_gpgorigin: invalid BAD_SIGNATURE']);
    expect(gpgvCheck(path, fx.keyring['gpgv']!).ok).toBe(false);
  });

  it('two origin signatures: both DEB_AMBIGUOUS', async () => {
    expect(summary(await scan(fx.deb['twice']!, [fx.keyring['signer']!]))).toEqual([
      '_gpgorigin: invalid DEB_AMBIGUOUS',
      '_gpgorigin: invalid DEB_AMBIGUOUS',
    ]);
  });

  it('no material is INTERNAL', async () => {
    const [e] = (await scan(fx.deb['sha256']!, [])).map((o) => o.evidence);
    const config = await loadTrustConfig({});
    expect(
      (
        await debsigVerifier({ ...e!, material: undefined }, target('x', new Uint8Array()), {
          config,
          now: new Date(),
        })
      ).code,
    ).toBe('INTERNAL');
  });
});
