/**
 * Notary Project envelopes (JWS JSON and COSE_Sign1), their payload, the signature-manifest classifier
 * and the notation trust policy, over mutated notation-go fixtures. JWS headers and payloads are
 * mutated inside their base64url wrapping too, so the inner JSON parsers see structural damage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../src/errors.js';

import {
  COSE_MEDIA_TYPE,
  JWS_MEDIA_TYPE,
  parseCoseEnvelope,
  parseJwsEnvelope,
  parseNotationEnvelope,
  parseNotationPayload,
  signatureManifestKind,
} from '../../src/formats/notation/index.js';
import type { OciManifest } from '../../src/oci/types.js';
import { parseDistinguishedName, parseTrustPolicy } from '../../src/trust/notation/trustpolicy.js';
import {
  cborLengthTweak,
  corpus,
  describeMutated,
  ext,
  fuzz,
  fuzzBytes,
  fuzzJson,
  mutatedJsonText,
  PROPERTY_TIMEOUT_MS,
  reportStats,
  textSeed,
  type MutatedInput,
  type Seed,
} from './harness.js';

reportStats('notation');

const all = corpus('notation', ext('.sig', '_sig_env.json'));
const jws = all.filter((s) => s.bytes[0] === 0x7b);
const cose = all.filter((s) => s.bytes[0] !== 0x7b);

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const unb64u = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));

const envelopes = jws.map((s) => ({
  name: s.name,
  doc: JSON.parse(new TextDecoder().decode(s.bytes)) as Record<string, string>,
}));
const headerSeeds: Seed[] = envelopes.map((e) => ({
  name: `${e.name}#protected`,
  bytes: unb64u(e.doc['protected']!),
}));
const payloadSeeds: Seed[] = [
  ...envelopes.map((e) => ({ name: `${e.name}#payload`, bytes: unb64u(e.doc['payload']!) })),
];

/** A JWS seed whose protected header or payload went through the JSON mutator. */
const innerJws: fc.Arbitrary<MutatedInput> = fc
  .tuple(
    fc.nat(envelopes.length - 1),
    fc.boolean(),
    mutatedJsonText(headerSeeds),
    mutatedJsonText(payloadSeeds),
  )
  .map(([i, header, h, p]) => {
    const e = { ...envelopes[i]!.doc };
    if (header) e['protected'] = b64u(h.bytes);
    else e['payload'] = b64u(p.bytes);
    return {
      seed: `${envelopes[i]!.name} (${header ? h.seed : p.seed})`,
      bytes: new TextEncoder().encode(JSON.stringify(e)),
    };
  });

const jwsArb = fc.oneof(fuzzJson(jws), innerJws);
const coseArb = fuzzBytes(cose, [cborLengthTweak, cborLengthTweak, cborLengthTweak]);

const manifestSeeds = [
  ...corpus('notation', ext('target-manifest-sha256-19dbd2e4.json')),
  textSeed(
    'signature-manifest',
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cncf.notary.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:' + 'a'.repeat(64), size: 2 },
      layers: [{ mediaType: JWS_MEDIA_TYPE, digest: 'sha256:' + 'b'.repeat(64), size: 10 }],
      subject: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:' + 'c'.repeat(64),
        size: 1,
      },
    }),
  ),
];

const policySeeds = [
  textSeed(
    'trustpolicy',
    JSON.stringify({
      version: '1.0',
      trustPolicies: [
        {
          name: 'wabbit-networks-images',
          registryScopes: ['registry.acme-rockets.io/software/net-monitor'],
          signatureVerification: {
            level: 'strict',
            override: { expiry: 'log' },
            verifyTimestamp: 'afterCertExpiry',
          },
          trustStores: ['ca:wabbit-networks', 'tsa:publicly-trusted-tsa'],
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-networks.io, OU=Security Tools'],
        },
        {
          name: 'global',
          registryScopes: ['*'],
          signatureVerification: { level: 'skip' },
        },
      ],
    }),
  ),
];

describe('fuzz: notation', () => {
  it('has seeds', () => {
    expect(jws.length).toBeGreaterThan(3);
    expect(cose.length).toBeGreaterThan(2);
  });

  it('parseJwsEnvelope', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('notation.jws', jwsArb, ({ bytes }) => parseJwsEnvelope(bytes), { describe: describeMutated });
  });

  it('parseCoseEnvelope', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('notation.cose', coseArb, ({ bytes }) => parseCoseEnvelope(bytes), {
      describe: describeMutated,
    });
  });

  it(
    'parseNotationEnvelope (media type dispatch, crossed inputs)',
    { timeout: PROPERTY_TIMEOUT_MS },
    async () => {
      await fuzz(
        'notation.envelope',
        fc.tuple(fc.oneof(jwsArb, coseArb), fc.constantFrom(JWS_MEDIA_TYPE, COSE_MEDIA_TYPE, 'text/plain')),
        ([{ bytes }, mediaType]) => parseNotationEnvelope(bytes, mediaType, { maxCertificates: 4 }),
        { describe: ([i, m]) => `${m} ${describeMutated(i)}` },
      );
    },
  );

  it('parseNotationPayload', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('notation.payload', fuzzJson(payloadSeeds), ({ bytes }) => parseNotationPayload(bytes), {
      describe: describeMutated,
    });
  });

  it('signatureManifestKind', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'notation.manifestKind',
      fuzzJson(manifestSeeds),
      ({ bytes }) => {
        let doc: unknown;
        try {
          doc = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          return; // the registry client rejects non-JSON before classification
        }
        // Callers hand over any JSON object the registry returned as a manifest.
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return;
        signatureManifestKind(doc as OciManifest);
      },
      { describe: describeMutated },
    );
  });

  it('parseTrustPolicy (trustpolicy.oci.json)', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'notation.trustpolicy',
      fuzzJson(policySeeds),
      ({ bytes }) => {
        let doc: unknown;
        try {
          doc = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          return; // loadTrustPolicy turns a JSON syntax error into USAGE before this function
        }
        parseTrustPolicy(doc);
      },
      { describe: describeMutated },
    );
  });

  it('parseDistinguishedName', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'notation.dn',
      fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.constantFrom('C=US, ST=WA, O=wabbit-networks.io, OU=Security Tools', 'CN=a\\,b+O=c', 'CN="x\\"y"'),
        fc
          .array(fc.constantFrom('CN', '=', ',', '+', '\\', '"', ' ', 'a', '#', ';', '\\2C'), {
            maxLength: 30,
          })
          .map((a) => a.join('')),
      ),
      (text) => parseDistinguishedName(text),
      { allow: [plainDnError] },
    );
  });

  // Found by fuzzing: an override key naming an Object.prototype member ("__proto__") passed the
  // OVERRIDE_VALUES lookup and crashed; the policy parser now only accepts own keys.
  it('regression: override key "__proto__" is a typed USAGE error', () => {
    const doc = JSON.parse(
      '{"version":"1.0","trustPolicies":[{"name":"a","registryScopes":["*"],' +
        '"signatureVerification":{"level":"strict","override":{"__proto__":null}},' +
        '"trustStores":["ca:x"],"trustedIdentities":["*"]}]}',
    ) as unknown;
    expect(() => parseTrustPolicy(doc)).toThrow(SigscanError);
  });
});

/**
 * parseDistinguishedName is a helper of parseTrustPolicy, which wraps every error it throws into a
 * TrustPolicyError (USAGE); it throws a plain Error with the reason. TypeError/RangeError stay crashes.
 */
function plainDnError(err: unknown): boolean {
  return err instanceof Error && err.constructor === Error;
}
