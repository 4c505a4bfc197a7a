/**
 * The JAR family decision (src/trust/families/jar.ts) on signature blocks changed by byte surgery after
 * jarsigner signed: which SignerInfo is judged, an unknown digest algorithm, a block without SignerInfo,
 * and the list of entries no signer covers. keytool, jarsigner, openssl and jarsigner -verify -strict run
 * once per UTC day into the fixture cache (Stryker reruns this file's hook for every mutant it covers); the
 * reference tool's answer is stored beside the bytes.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { JarEvidenceMaterial } from '../../../src/detectors/jar.js';
import { toArrayBuffer } from '../../../src/formats/der.js';
import { jarVerifier } from '../../../src/trust/families/jar.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  caSignedGoodJar,
  jarsignerVerifyStrict,
  putEntries,
  type StrictVerifyResult,
} from '../../helpers/jar/index.js';
import { run } from '../../helpers/tools.js';
import { config, detectFile, evaluateFile, fileTarget } from '../helpers.js';

const BLOCK = 'META-INF/SIGNER.RSA';
const JARS = ['good', 'added6', 'two-signers', 'trusted-first', 'unknown-digest', 'no-signerinfo'] as const;
let dir: string;
let caPem: string;
let reference: Record<string, StrictVerifyResult>;
const jar = (name: (typeof JARS)[number]) => join(dir, `${name}.jar`);

function editBlock(from: Buffer, edit: (sd: pkijs.SignedData) => void): Buffer {
  const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(from));
  const sd = new pkijs.SignedData({ schema: ci.content });
  edit(sd);
  return Buffer.from(
    new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) }).toSchema().toBER(),
  );
}

async function withBlock(d: string, name: string, block: Buffer): Promise<void> {
  copyFileSync(join(d, 'good.jar'), join(d, name));
  const tree = join(d, `${name}-tree`);
  mkdirSync(join(tree, 'META-INF'), { recursive: true });
  writeFileSync(join(tree, BLOCK), block);
  await run('zip', ['-q', join(d, name), BLOCK], { cwd: tree });
}

beforeAll(async () => {
  dir = await cachedFixtureDir('jar-decision-v2', async (d) => {
    const { trust } = caSignedGoodJar(d, 'Jar Decision');
    copyFileSync(join(d, 'good.jar'), join(d, 'added6.jar'));
    putEntries(
      join(d, 'added6.jar'),
      Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => [`late/${n}.txt`, `${n}\n`])),
    );
    const good = Buffer.from(execFileSync('unzip', ['-p', join(d, 'good.jar'), BLOCK]));
    // A second, self-signed signer over the same .SF (openssl cms), its SignerInfo placed first.
    const sf = join(d, 'SIGNER.SF');
    writeFileSync(sf, execFileSync('unzip', ['-p', join(d, 'good.jar'), 'META-INF/SIGNER.SF']));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(d, 'other.key'),
      '-out',
      join(d, 'other.pem'),
      '-subj',
      '/O=Sigscan Tests/CN=Jar Decision Other',
      '-days',
      '3650',
    ]);
    await run('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-in',
      sf,
      '-signer',
      join(d, 'other.pem'),
      '-inkey',
      join(d, 'other.key'),
      '-md',
      'sha256',
      '-outform',
      'DER',
      '-out',
      join(d, 'other.der'),
    ]);
    const goodSd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(toArrayBuffer(good)).content });
    const blocks: Record<string, Buffer> = {
      'two-signers': editBlock(readFileSync(join(d, 'other.der')), (sd) => {
        sd.signerInfos.push(goodSd.signerInfos[0]!);
        sd.certificates = [...(sd.certificates ?? []), ...(goodSd.certificates ?? [])];
      }),
      // The same two signers the other way round: the trusted one first, as the detector reports it.
      'trusted-first': editBlock(good, (sd) => {
        const other = new pkijs.SignedData({
          schema: pkijs.ContentInfo.fromBER(toArrayBuffer(readFileSync(join(d, 'other.der')))).content,
        });
        sd.signerInfos.push(other.signerInfos[0]!);
        sd.certificates = [...(sd.certificates ?? []), ...(other.certificates ?? [])];
      }),
      'unknown-digest': editBlock(good, (sd) => {
        sd.signerInfos[0]!.digestAlgorithm = new pkijs.AlgorithmIdentifier({
          algorithmId: '1.3.6.1.4.1.55555.1.1',
        });
      }),
      'no-signerinfo': editBlock(good, (sd) => {
        sd.signerInfos = [];
      }),
    };
    for (const [name, block] of Object.entries(blocks)) await withBlock(d, `${name}.jar`, block);
    const answers = Object.fromEntries(
      JARS.map((n) => [n, jarsignerVerifyStrict(join(d, `${n}.jar`), trust)]),
    );
    writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(answers));
  });
  caPem = join(dir, 'ca.pem');
  reference = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as typeof reference;
}, 300_000);

/** The family verifier on the detector's evidence (the evaluator would stop at the detector's findings). */
async function family(path: string, roots: string[] = [caPem], edit = (m: JarEvidenceMaterial) => m) {
  const [e] = await detectFile(path, 'jar');
  const cfg = await config({ roots });
  return jarVerifier(
    { ...e!, material: edit(e!.material as JarEvidenceMaterial) },
    fileTarget(path, new Uint8Array(readFileSync(path)), 'jar'),
    { config: cfg, now: new Date() },
  );
}

describe('which SignerInfo of the block is judged', () => {
  // jarsigner -strict validates the chain of every signer a block's SignerInfos yield (each SignerInfo that
  // verifies becomes a CodeSigner of every entry), so in neither order does the trusted signer vouch for the other.
  const otherUntrusted =
    'signature valid but signer CN=Jar Decision Other,O=Sigscan Tests does not chain to a supplied trust root';
  it.each([
    { name: 'two-signers', order: 'an untrusted one first', at: 1, reported: /Jar Decision Other/ },
    { name: 'trusted-first', order: 'the trusted one first', at: 2, reported: /Jar Decision Signer/ },
  ] as const)(
    'two SignerInfos, $order: untrusted, naming SignerInfo $at of 2 (jarsigner -strict fails too)',
    async ({ name, at, reported }) => {
      const tool = reference[name]!;
      expect(tool.passed).toBe(false);
      expect(tool.output).toContain('This jar contains entries whose certificate chain is invalid.');
      const [o] = await evaluateFile(jar(name), 'jar', await config({ roots: [caPem] }));
      expect(o!.evidence.signer.subject).toMatch(reported);
      const want = {
        status: 'untrusted',
        code: 'CHAIN_UNTRUSTED',
        message: `SignerInfo ${at} of 2: ${otherUntrusted}`,
      };
      expect(o!.verdict).toEqual(want);
      expect(await family(jar(name))).toEqual(want);
    },
  );

  it('two SignerInfos, both trusted: verified, naming the first signer and saying both were checked', async () => {
    const roots = [caPem, join(dir, 'other.pem')];
    const [o] = await evaluateFile(jar('trusted-first'), 'jar', await config({ roots }));
    expect(o!.verdict.status).toBe('verified');
    expect(o!.verdict.code).toBe('CHAIN_VALID');
    expect(o!.verdict.message).toMatch(
      /^JAR signature META-INF\/SIGNER\.RSA by CN=Jar Decision Signer,O=Sigscan Tests is valid and chains to trusted CN=Jar Decision CA,O=Sigscan Tests .*; all 2 SignerInfos verified$/,
    );
    // In the other order the first signer is the self-signed one, and it is the one named.
    expect((await family(jar('two-signers'), roots)).message).toMatch(
      /^JAR signature META-INF\/SIGNER\.RSA by CN=Jar Decision Other,O=Sigscan Tests is valid and chains to trusted CN=Jar Decision Other,O=Sigscan Tests .*; all 2 SignerInfos verified$/,
    );
  });

  it('the trusted signer alone verifies, naming signer and anchor', async () => {
    const tool = reference['good']!;
    expect(tool.passed, tool.output).toBe(true);
    const v = await family(jar('good'));
    expect(v.status).toBe('verified');
    expect(v.code).toBe('CHAIN_VALID');
    expect(v.message).toMatch(
      /^JAR signature META-INF\/SIGNER\.RSA by CN=Jar Decision Signer,O=Sigscan Tests is valid and chains to trusted CN=Jar Decision CA,O=Sigscan Tests \(checked at \S+\); the revocation status of CN=Jar Decision Signer,O=Sigscan Tests is unknown \(offline: only --crl files are read\)$/,
    );
  });
});

describe('blocks the family verifier cannot judge', () => {
  it('no block bytes from the detector: error/INTERNAL', async () => {
    expect(await family(jar('good'), [caPem], (m) => ({ ...m, blockDer: undefined as never }))).toEqual({
      status: 'error',
      code: 'INTERNAL',
      message: 'the JAR detector supplied no signature block bytes',
    });
  });

  it('a block without SignerInfo: invalid (the detector: SIGNATURE_BLOCK_MALFORMED; jarsigner: cannot verify)', async () => {
    const tool = reference['no-signerinfo']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('cannot verify signature block file META-INF/SIGNER');
    const [o] = await evaluateFile(jar('no-signerinfo'), 'jar', await config({ roots: [caPem] }));
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'SIGNATURE_BLOCK_MALFORMED' });
    expect(await family(jar('no-signerinfo'))).toEqual({
      status: 'invalid',
      code: 'SIGNER_CERTIFICATE_MISSING',
      message: 'META-INF/SIGNER.RSA holds no SignerInfo',
    });
  });

  it('an unknown SignerInfo digest algorithm: error/UNSUPPORTED_ALGORITHM, not invalid (jarsigner: treated as unsigned)', async () => {
    const tool = reference['unknown-digest']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('the jar will be treated as unsigned');
    const want = {
      status: 'error',
      code: 'UNSUPPORTED_ALGORITHM',
      message:
        'the JAR signature META-INF/SIGNER.RSA could not be checked: digest algorithm 1.3.6.1.4.1.55555.1.1 is not supported',
    };
    const [o] = await evaluateFile(jar('unknown-digest'), 'jar', await config({ roots: [caPem] }));
    expect(o!.verdict).toEqual(want);
    expect(await family(jar('unknown-digest'), [])).toEqual(want);
  });
});

describe('entries no signer covers', () => {
  it('six entries added after signing: invalid/UNSIGNED_ENTRIES naming the first five, as jarsigner -strict fails it', async () => {
    const tool = reference['added6']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain(
      'This jar contains unsigned entries which have not been integrity-checked.',
    );
    expect(await family(jar('added6'))).toEqual({
      status: 'invalid',
      code: 'UNSIGNED_ENTRIES',
      message:
        '6 entries are not covered by META-INF/SIGNER.RSA (late/a.txt, late/b.txt, late/c.txt, late/d.txt, late/e.txt, ...); ' +
        'jarsigner -strict rejects partially signed jars',
    });
  });
});
