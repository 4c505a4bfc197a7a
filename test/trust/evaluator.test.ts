/**
 * The evaluator's own decisions, on the JAR fixture signed by jarsigner (fixtures/README.md): integrity
 * findings win over any verifier, a family without a verifier is NOT_SUPPORTED, and a verifier that
 * throws is an error with the thrown code. Also the NO_MATERIAL answer of the verifiers that need
 * material from their detector, given evidence of another family's shape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../src/errors.js';
import type { Evidence, FileTarget } from '../../src/model/index.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { inTotoVerifier } from '../../src/trust/families/in-toto.js';
import { notationVerifier } from '../../src/trust/families/notation.js';
import { tufVerifier } from '../../src/trust/families/tuf.js';
import { PROJECT_ROOT } from '../helpers/tools.js';
import { config, detectFile, fileTarget } from './helpers.js';

const JAR = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
const ROOT = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');

let evidence: Evidence;
let target: FileTarget;

beforeAll(async () => {
  [evidence] = (await detectFile(JAR, 'jar')) as [Evidence];
  target = fileTarget(JAR, new Uint8Array(readFileSync(JAR)), 'jar');
});

describe('TrustEvaluator', () => {
  it('the fixture verifies with its root (the control)', async () => {
    const v = await new TrustEvaluator(await config({ roots: [ROOT] })).evaluate(evidence, target);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('an integrity finding makes the signature invalid with its code, whatever the roots say', async () => {
    const broken: Evidence = {
      ...evidence,
      findings: [
        { code: 'SOME_WARNING', severity: 'warning', message: 'not this one' },
        { code: 'ENTRY_DIGEST_MISMATCH', severity: 'integrity', message: 'hello/Hello.class was changed' },
      ],
    };
    const v = await new TrustEvaluator(await config({ roots: [ROOT] })).evaluate(broken, target);
    expect(v).toEqual({
      status: 'invalid',
      code: 'ENTRY_DIGEST_MISMATCH',
      message: 'hello/Hello.class was changed',
    });
  });

  it('warnings alone do not change the verdict', async () => {
    const warned: Evidence = { ...evidence, findings: [{ code: 'W', severity: 'warning', message: 'w' }] };
    const v = await new TrustEvaluator(await config({ roots: [ROOT] })).evaluate(warned, target);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('a family without a verifier: unverified/NOT_SUPPORTED', async () => {
    const v = await new TrustEvaluator(await config({ roots: [ROOT] }), {}).evaluate(evidence, target);
    expect(v).toEqual({
      status: 'unverified',
      code: 'NOT_SUPPORTED',
      message: 'verification of jar signatures is not supported yet',
    });
  });

  it('a verifier that throws: error with the thrown code', async () => {
    const throwing = new TrustEvaluator(await config({}), {
      jar: async () => {
        throw new SigscanError('MALFORMED_CMS', 'truncated');
      },
    });
    const v = await throwing.evaluate(evidence, target);
    expect(v).toMatchObject({ status: 'error', code: 'MALFORMED_CMS' });
    expect(v.message).toContain('could not verify the jar signature: truncated');
  });
});

describe('verifiers given no material of their kind: error/NO_MATERIAL', () => {
  it.each([
    ['in-toto', inTotoVerifier],
    ['notation', notationVerifier],
    ['tuf', tufVerifier],
  ] as const)('%s', async (_family, verifier) => {
    const ctx = { config: await config({ roots: [ROOT] }), now: new Date() };
    const v = await verifier({ ...evidence, material: undefined }, target, ctx);
    expect(v).toMatchObject({ status: 'error', code: 'NO_MATERIAL' });
  });
});
