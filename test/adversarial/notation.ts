import { encode, decode, Tagged } from 'cborg';

import type { Verdict } from '../../src/model/index.js';
import { describeError } from '../../src/errors.js';
import { testLeafWithSubject, testPki } from '../helpers/notation/pki.js';
import { signNotation, type SignNotationOptions } from '../helpers/notation/sign.js';
import {
  config,
  evaluate,
  evidenceFor,
  extraPki,
  notationDir,
  policy,
  REGISTRY,
  REPOSITORY,
  sampleImage,
  signJws,
  statement,
} from '../trust/notation/support.js';
import { caseList, outcomeOf, type AdversarialCase, type FamilyCorpus, type Outcome } from './corpus.js';

/**
 * Notation cases: envelopes (JWS and COSE) made by the test signer (test/helpers/notation/sign.ts,
 * written from the Notary Project specification, with openssl-made certificates), then edited as bytes
 * or judged under a trust policy that must refuse them. Verdicts come from the detector's evidence
 * builder and the trust evaluator, as a registry scan runs them.
 */

const SCOPE = `${REGISTRY}/${REPOSITORY}`;
const HOUR = 3_600_000;
const IDENTITY = 'x509.subject: C=US, ST=WA, O=sigscan test';

interface NotationCase {
  id: string;
  attack: string;
  status: AdversarialCase['status'];
  code: string | readonly string[];
  control?: boolean;
  /** The envelope bytes and media type, for the target image of `seed`. */
  make: () => { bytes: Uint8Array; mediaType: string; seed?: string };
  /** The trust policy statement's overrides, or another trust store. */
  policy?: Record<string, unknown>;
  store?: 'other';
}

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
const fromB64url = (s: string) => Buffer.from(s, 'base64url');

/** A JWS envelope whose JSON fields `edit` changes after signing. */
function editJws(options: SignNotationOptions, editFn: (env: Record<string, unknown>) => void, seed = 'app') {
  const { descriptor } = sampleImage(seed);
  const sig = signNotation(descriptor, options);
  const env = JSON.parse(Buffer.from(sig.envelopeBytes).toString('utf8')) as Record<string, unknown>;
  editFn(env);
  return { bytes: new TextEncoder().encode(JSON.stringify(env)), mediaType: sig.envelopeMediaType, seed };
}

/** A COSE_Sign1 envelope whose array items `edit` changes after signing. */
function editCose(editFn: (items: unknown[]) => void, seed = 'app') {
  const { descriptor } = sampleImage(seed);
  const sig = signNotation(descriptor, { envelope: 'cose', key: 'p256' });
  const tags: Array<(decodeContent: () => unknown) => unknown> = [];
  tags[18] = (decodeContent) => new Tagged(18, decodeContent());
  const tagged = decode(sig.envelopeBytes, { tags: tags as never, useMaps: true }) as Tagged;
  const items = tagged.value as unknown[];
  editFn(items);
  return { bytes: encode(new Tagged(18, items)), mediaType: sig.envelopeMediaType, seed };
}

function signed(options: SignNotationOptions = {}, seed = 'app') {
  const { descriptor } = sampleImage(seed);
  const sig = signNotation(descriptor, options);
  return { bytes: sig.envelopeBytes, mediaType: sig.envelopeMediaType, seed };
}

export async function notationCorpus(): Promise<FamilyCorpus> {
  const pki = testPki();
  const other = sampleImage('victim').descriptor;
  const nc: NotationCase[] = [
    {
      id: 'notation-control-jws',
      attack: 'untouched JWS envelope (RSA-3072)',
      status: 'verified',
      code: 'VERIFIED',
      control: true,
      make: () => signed(),
    },
    {
      id: 'notation-control-cose',
      attack: 'untouched COSE envelope (P-256)',
      status: 'verified',
      code: 'VERIFIED',
      control: true,
      make: () => signed({ envelope: 'cose', key: 'p256' }),
    },
    {
      id: 'notation-jws-protected-time',
      attack: 'JWS protected header: signingTime moved a day back',
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
      make: () =>
        editJws({}, (env) => {
          const h = JSON.parse(fromB64url(env['protected'] as string).toString()) as Record<string, string>;
          h['io.cncf.notary.signingTime'] = new Date(Date.now() - 24 * HOUR)
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z');
          env['protected'] = b64url(JSON.stringify(h));
        }),
    },
    {
      id: 'notation-jws-protected-expiry-dropped',
      attack: 'JWS protected header: expiry and its crit entry removed',
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
      make: () =>
        editJws({ expiry: new Date(Date.now() + HOUR) }, (env) => {
          const h = JSON.parse(fromB64url(env['protected'] as string).toString()) as Record<string, unknown>;
          delete h['io.cncf.notary.expiry'];
          h['crit'] = (h['crit'] as string[]).filter((c) => c !== 'io.cncf.notary.expiry');
          env['protected'] = b64url(JSON.stringify(h));
        }),
    },
    {
      id: 'notation-jws-payload-swapped',
      attack: 'JWS payload replaced by one naming this image from another signature',
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
      make: () => {
        const mine = JSON.parse(Buffer.from(signed().bytes).toString()) as Record<string, unknown>;
        const forOther = editJws(
          {},
          (env) => {
            env['payload'] = mine['payload'];
          },
          'other-seed',
        );
        return { ...forOther, seed: 'app' };
      },
    },
    {
      id: 'notation-jws-signature-flipped',
      attack: 'one byte of the JWS signature changed',
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
      make: () =>
        editJws({}, (env) => {
          const s = fromB64url(env['signature'] as string);
          s[7]! ^= 1;
          env['signature'] = b64url(s);
        }),
    },
    {
      id: 'notation-jws-x5c-swapped',
      attack: 'x5c leaf replaced by another key of the same type',
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
      make: () =>
        editJws({ key: 'rsa2048' }, (env) => {
          (env['header'] as Record<string, unknown>)['x5c'] = [extraPki().leaf.der, extraPki().root.der].map(
            (d) => Buffer.from(d).toString('base64'),
          );
        }),
    },
    {
      id: 'notation-jws-x5c-leaf-only',
      attack: 'x5c with the leaf only (root dropped)',
      status: 'invalid',
      code: 'CHAIN_INCOMPLETE',
      make: () =>
        editJws({}, (env) => {
          const h = env['header'] as Record<string, string[]>;
          h['x5c'] = h['x5c']!.slice(0, 1);
        }),
    },
    {
      id: 'notation-benign-unprotected-extra',
      attack:
        'benign: an unprotected signingScheme header (never read: notation-core-go decodes only x5c and signingAgent there)',
      status: 'verified',
      code: 'VERIFIED',
      control: true,
      make: () =>
        editJws({}, (env) => {
          (env['header'] as Record<string, unknown>)['io.cncf.notary.signingScheme'] =
            'notary.x509.signingAuthority';
        }),
    },
    {
      id: 'notation-cose-signature-flipped',
      attack: 'one byte of the COSE signature changed',
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
      make: () =>
        editCose((items) => {
          const s = Uint8Array.from(items[3] as Uint8Array);
          s[5]! ^= 0x80;
          items[3] = s;
        }),
    },
    {
      id: 'notation-cose-payload-swapped',
      attack: 'COSE payload replaced by one naming another image',
      status: 'invalid',
      code: ['SIGNATURE_INVALID', 'TARGET_DIGEST_MISMATCH'],
      make: () =>
        editCose((items) => {
          items[2] = new TextEncoder().encode(JSON.stringify({ targetArtifact: other }));
        }),
    },
    {
      id: 'notation-cose-protected-edited',
      attack: 'one byte of the COSE protected header changed',
      status: 'invalid',
      code: ['SIGNATURE_INVALID', 'UNKNOWN_SIGNING_SCHEME'],
      make: () =>
        editCose((items) => {
          const p = Uint8Array.from(items[0] as Uint8Array);
          p[p.length - 1]! ^= 0x01;
          items[0] = p;
        }),
    },
    {
      id: 'notation-replayed',
      attack: 'a valid signature of another image attached to this one',
      status: 'invalid',
      code: 'TARGET_DIGEST_MISMATCH',
      make: () => ({ ...signed({ payloadTarget: other }) }),
    },
    {
      id: 'notation-expired',
      attack: 'signature expired an hour ago',
      status: 'untrusted',
      code: ['SIGNATURE_EXPIRED', 'EXPIRED'],
      make: () =>
        signed({ signingTime: new Date(Date.now() - 3 * HOUR), expiry: new Date(Date.now() - HOUR) }),
    },
    {
      id: 'notation-signing-authority',
      attack: 'signingScheme notary.x509.signingAuthority under a ca trust store',
      status: 'untrusted',
      code: ['TRUST_STORE_TYPE_MISMATCH', 'CHAIN_UNTRUSTED', 'NO_TRUST_ROOT'],
      make: () => signed({ signingScheme: 'notary.x509.signingAuthority' }),
    },
    {
      id: 'notation-bogus-scheme',
      attack: 'an unknown signingScheme value',
      status: 'invalid',
      code: 'UNKNOWN_SIGNING_SCHEME',
      make: () => signed({ signingScheme: 'notary.x509.bogus' as 'notary.x509' }),
    },
    {
      id: 'notation-unknown-crit',
      attack: 'an unknown header marked critical',
      status: 'invalid',
      code: ['UNKNOWN_CRITICAL_HEADER', 'MALFORMED_ENVELOPE'],
      make: () => {
        const { descriptor } = sampleImage('app');
        const leaf = pki.leaves.rsa3072;
        return {
          bytes: signJws({
            target: descriptor,
            key: leaf.privateKey,
            chain: [leaf.der, pki.root.der],
            extraCrit: { 'io.example.mustUnderstand': true },
          }),
          mediaType: 'application/jose+json',
        };
      },
    },
    {
      id: 'notation-identity-other',
      attack: 'leaf subject not among the trusted identities',
      status: 'untrusted',
      code: 'IDENTITY_NOT_TRUSTED',
      policy: { trustedIdentities: ['x509.subject: C=US, ST=WA, O=someone else'] },
      make: () => signed(),
    },
    {
      id: 'notation-identity-extra-rdn',
      attack: 'trusted identity names a CN the leaf does not have',
      status: 'untrusted',
      code: 'IDENTITY_NOT_TRUSTED',
      policy: { trustedIdentities: [`${IDENTITY}, CN=release signer`] },
      make: () => signed(),
    },
    {
      id: 'notation-identity-two-o',
      attack: 'leaf with two O= attributes, one the trusted one',
      status: 'untrusted',
      code: 'IDENTITY_NOT_TRUSTED',
      policy: { trustedIdentities: [IDENTITY] },
      make: () => signed({ leaf: testLeafWithSubject('/C=US/ST=WA/O=sigscan test/O=other org/CN=two-o') }),
    },
    {
      id: 'notation-identity-multivalue',
      attack: 'leaf with a multi-valued RDN O+CN',
      status: 'untrusted',
      code: 'IDENTITY_NOT_TRUSTED',
      policy: { trustedIdentities: [IDENTITY] },
      make: () =>
        signed({ leaf: testLeafWithSubject('/C=US/ST=WA/O=sigscan test+CN=mv', { multivalue: true }) }),
    },
    {
      id: 'notation-identity-email',
      attack: 'leaf with an emailAddress attribute (Go writes =#hex)',
      status: 'untrusted',
      code: 'IDENTITY_NOT_TRUSTED',
      policy: { trustedIdentities: [IDENTITY] },
      make: () =>
        signed({ leaf: testLeafWithSubject('/C=US/ST=WA/O=sigscan test/CN=e/emailAddress=a@example.com') }),
    },
    {
      id: 'notation-identity-escape',
      attack: 'leaf whose value holds "=#"',
      status: 'untrusted',
      code: 'IDENTITY_NOT_TRUSTED',
      policy: { trustedIdentities: [IDENTITY] },
      make: () => signed({ leaf: testLeafWithSubject('/C=US/ST=WA/O=sigscan test/CN=a=#b') }),
    },
    {
      id: 'notation-other-store',
      attack: 'trust store holding another root',
      status: 'untrusted',
      code: ['CHAIN_UNTRUSTED', 'CERT_BAD_SIGNATURE'],
      store: 'other',
      make: () => signed(),
    },
    {
      id: 'notation-scope-other',
      attack: 'policy scoped to another repository only (no trust input applies)',
      status: 'unverified',
      code: 'NO_POLICY_FOR_SCOPE',
      policy: { registryScopes: [`${REGISTRY}/team/other`] },
      make: () => signed(),
    },
  ];

  const { cases, add } = caseList('notation');
  const outcomes = new Map<string, Outcome>();
  for (const c of nc) {
    add({ id: c.id, attack: c.attack, status: c.status, code: c.code, control: c.control });
    let outcome: Outcome;
    try {
      const env = c.make();
      const { target } = sampleImage(env.seed ?? 'app');
      const dir = notationDir({
        stores: { 'ca/test': { 'root.pem': c.store === 'other' ? extraPki().root.pem : pki.root.pem } },
        policy: policy(statement({ registryScopes: [SCOPE], ...c.policy })),
      });
      const evidence = evidenceFor(env.bytes, env.mediaType, target);
      const v: Verdict = await evaluate(evidence, target, config({ notationDir: dir }));
      outcome = outcomeOf([{ location: evidence.location, ...v }]);
    } catch (err) {
      const e = describeError(err);
      outcome = { status: 'error', code: e.code, message: e.message, all: [] };
    }
    outcomes.set(c.id, outcome);
  }
  return { family: 'notation', cases, outcomes };
}
