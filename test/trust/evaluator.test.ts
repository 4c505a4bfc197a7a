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
import { unverified } from '../../src/trust/verdicts.js';
import type { TrustContext } from '../../src/trust/verifier.js';
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

describe('findings a verifier adds while it decides', () => {
  const crlStale = {
    code: 'CRL_STALE',
    severity: 'warning',
    message: 'the CRL of CA 1 is past its nextUpdate',
  } as const;
  const crlStale2 = { ...crlStale, message: 'the CRL of CA 2 is past its nextUpdate' };
  const sourceDown = {
    code: 'REVOCATION_SOURCE_DOWN',
    severity: 'warning',
    message: crlStale.message,
  } as const;

  it('are appended to the evidence once each (same code and message), in order, after its own', async () => {
    const evaluator = new TrustEvaluator(await config({}), {
      jar: async (_e, _t, ctx) => {
        // One CRL problem met once per certificate it could cover: three times for a chain of three.
        ctx.findings!.push(crlStale, crlStale2, { ...crlStale }, sourceDown, { ...crlStale2 });
        return unverified('NO_TRUST_ROOT', 'no roots');
      },
    });
    const own = { code: 'W', severity: 'warning', message: 'w' } as const;
    const e: Evidence = { ...evidence, findings: [own] };
    expect(await evaluator.evaluate(e, target)).toMatchObject({
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
    });
    expect(e.findings).toEqual([own, crlStale, crlStale2, sourceDown]);
  });

  it('are kept when the verifier then throws', async () => {
    const evaluator = new TrustEvaluator(await config({}), {
      jar: async (_e, _t, ctx) => {
        ctx.findings!.push(crlStale, crlStale);
        throw new SigscanError('MALFORMED_CMS', 'truncated');
      },
    });
    const e: Evidence = { ...evidence, findings: undefined };
    expect(await evaluator.evaluate(e, target)).toMatchObject({ status: 'error', code: 'MALFORMED_CMS' });
    expect(e.findings).toEqual([crlStale]);
  });

  it('none added: the evidence is left as it was', async () => {
    const e: Evidence = { ...evidence, findings: undefined };
    const before = structuredClone(e);
    await new TrustEvaluator(await config({ roots: [ROOT] })).evaluate(e, target);
    expect(e).toStrictEqual(before);
  });

  it('the verifier sees the configuration, its --at time and the online revocation source', async () => {
    const trust = await config({ at: '2026-01-01T00:00:00Z' });
    const online = { check: async () => [] };
    let seen: TrustContext | undefined;
    const evaluator = new TrustEvaluator(
      trust,
      {
        jar: async (_e, _t, ctx) => {
          seen = ctx;
          return unverified('NO_TRUST_ROOT', 'no roots');
        },
      },
      online,
    );
    await evaluator.evaluate({ ...evidence }, target);
    expect(seen).toMatchObject({
      config: trust,
      now: new Date('2026-01-01T00:00:00Z'),
      onlineRevocation: online,
    });
  });
});
