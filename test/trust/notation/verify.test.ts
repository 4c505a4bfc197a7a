/**
 * Notation verification codes the family tests do not reach (issue #18): a leaf key type notation never
 * signs with, an envelope that needs a verification plugin, and a real TSA token (notation-go's
 * jwsWithTimestamp.sig, Globalsign TSA) altered by one byte.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { NotationMaterial } from '../../../src/detectors/notation.js';
import type { Evidence, ImageTarget } from '../../../src/model/index.js';
import { notationVerifier } from '../../../src/trust/families/notation.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { testPki } from '../../helpers/notation/pki.js';
import { signNotation } from '../../helpers/notation/sign.js';
import {
  config,
  evaluate,
  evidenceFor,
  extraPki,
  imageTarget,
  notationDir,
  policy,
  REGISTRY,
  REPOSITORY,
  sampleImage,
  signJws,
  statement,
  tempDir,
} from './support.js';

const SCOPE = `${REGISTRY}/${REPOSITORY}`;
const withMaterial = (evidence: Evidence, patch: Partial<NotationMaterial>): Evidence => ({
  ...evidence,
  material: { ...(evidence.material as NotationMaterial), ...patch },
});
const direct = (evidence: Evidence, target: ImageTarget, cfg = config()) =>
  notationVerifier({ ...evidence, findings: [] }, target, { config: cfg, now: cfg.at ?? new Date() });

describe('notation: the leaf key type', () => {
  it('an Ed25519 leaf (openssl), which notation never signs with: invalid KEY_UNSUPPORTED', async () => {
    const dir = tempDir('sigscan-notation-ed25519-');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ED25519', '-out', 'ed.key'], { cwd: dir });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ed.key',
        '-subj',
        '/C=US/O=sigscan test/CN=ed25519 leaf',
        '-days',
        '30',
        '-outform',
        'DER',
        '-out',
        'ed.der',
      ],
      { cwd: dir },
    );
    const { descriptor, target } = sampleImage();
    const sig = signNotation(descriptor);
    const evidence = withMaterial(evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target), {
      certificatesDer: [new Uint8Array(readFileSync(join(dir, 'ed.der'))), testPki().root.der],
    });
    const dirWith = notationDir({
      stores: { 'ca/test': { 'root.pem': testPki().root.pem } },
      policy: policy(statement({ registryScopes: [SCOPE] })),
    });
    const v = await direct(evidence, target, config({ notationDir: dirWith }));
    expect([v.status, v.code]).toEqual(['invalid', 'KEY_UNSUPPORTED']);
    expect(v.message).toMatch(
      /^the signing key of CN=ed25519 leaf,O=sigscan test,C=US \(.*\) is not one notation signs with/,
    );
  });
});

describe('notation: verification plugins', () => {
  it('an intact envelope whose crit names io.cncf.notary.verificationPlugin: unverified VERIFICATION_PLUGIN_REQUIRED', async () => {
    const pki = extraPki();
    const { descriptor, target } = sampleImage('plugin');
    const bytes = signJws({
      target: descriptor,
      key: pki.leaf.key,
      chain: [pki.leaf.der, pki.root.der],
      extraCrit: { 'io.cncf.notary.verificationPlugin': 'com.example.plugin' },
    });
    const evidence = evidenceFor(bytes, 'application/jose+json', target);
    expect(
      evidence.findings!.filter((f) => f.code === 'VERIFICATION_PLUGIN_REQUIRED').map((f) => f.severity),
    ).toEqual(['warning']);
    const dir = notationDir({
      stores: { 'ca/test': { 'root.pem': pki.root.pem } },
      policy: policy(statement({ registryScopes: [SCOPE] })),
    });
    const v = await evaluate(evidence, target, config({ notationDir: dir }));
    expect([v.status, v.code]).toEqual(['unverified', 'VERIFICATION_PLUGIN_REQUIRED']);
    expect(v.message).toContain('io.cncf.notary.verificationPlugin');
  });
});

describe('notation: the RFC 3161 timestamp (notation-go corpus signature)', () => {
  const AT = new Date('2026-11-21T00:00:00Z');
  const target = imageTarget({
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
    size: 528,
  });
  const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, 'notation/notation-go/jwsWithTimestamp.sig')));
  const store = join(CORPUS_DIR, 'notation/notation-go/truststore');
  const dir = () =>
    notationDir({
      stores: {
        'ca/valid': {
          'TestTimestamp.crt': readFileSync(join(store, 'ca-valid-trust-store/TestTimestamp.crt')),
        },
        'tsa/stamps': {
          'globalsignRoot.cer': readFileSync(join(store, 'tsa-test-timestamp/globalsignRoot.cer')),
        },
      },
      policy: policy(statement({ trustStores: ['ca:valid', 'tsa:stamps'] })),
    });

  it('as made: verified (the control)', async () => {
    const v = await evaluate(
      evidenceFor(bytes, 'application/jose+json', target),
      target,
      config({ notationDir: dir(), at: AT }),
    );
    expect([v.status, v.code]).toEqual(['verified', 'VERIFIED']);
  });

  it('the TSA signature value altered by one byte: untrusted TIMESTAMP_INVALID', async () => {
    const evidence = evidenceFor(bytes, 'application/jose+json', target);
    const token = Buffer.from((evidence.material as NotationMaterial).timestampTokenDer!);
    token[token.length - 1] = token[token.length - 1]! ^ 0x01;
    const v = await direct(
      withMaterial(evidence, { timestampTokenDer: new Uint8Array(token) }),
      target,
      config({ notationDir: dir(), at: AT }),
    );
    expect([v.status, v.code]).toEqual(['untrusted', 'TIMESTAMP_INVALID']);
    expect(v.message).toMatch(/^the timestamp countersignature is invalid: /);
  });
});
