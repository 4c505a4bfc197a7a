/**
 * containers/image simple signing: signature blobs (sniffing, OpenPGP message parsing), the signed
 * claim, keyrings, the registry extension API answer, docker references, policy.json and registries.d
 * YAML. Seeds: the containers/image corpus.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  parseClaim,
  parseDockerReference,
  parseExtensionSignatures,
  parseKeyring,
  parseSimpleSigningMessage,
  simpleSigningMessage,
  sniffSignatureBlob,
} from '../../src/formats/simple-signing/index.js';
import { mergeRegistriesFile, type RegistriesDConfig } from '../../src/oci/registries-d.js';
import { parsePolicy } from '../../src/trust/policy/parse.js';
import {
  corpus,
  describeMutated,
  ext,
  fuzz,
  fuzzBytes,
  fuzzJson,
  PROPERTY_TIMEOUT_MS,
  reportStats,
  textSeed,
  type MutatedInput,
  type Seed,
} from './harness.js';

reportStats('simple-signing');

const dec = new TextDecoder();
const blobs = corpus('simple-signing', ext('.signature'));
const keyrings = corpus('simple-signing', ext('.gpg'));
const policySeeds = corpus('simple-signing', ext('policy.json'));

const claimSeeds: Seed[] = [];
for (const b of blobs) {
  try {
    const m = await parseSimpleSigningMessage(simpleSigningMessage(b.bytes));
    claimSeeds.push({ name: `${b.name}#literal`, bytes: m.literal });
  } catch {
    // encrypted / corrupt seeds have no literal
  }
}

const extensionSeed = textSeed(
  'extension-answer',
  JSON.stringify({
    signatures: blobs.slice(0, 3).map((b, i) => ({
      schemaVersion: 2,
      type: 'atomic',
      name: `sha256:${'a'.repeat(64)}@sig${i}`,
      content: Buffer.from(b.bytes).toString('base64'),
    })),
  }),
);

const yamlSeeds = [
  textSeed('default', 'default-docker:\n  lookaside: https://sigs.example.com\n'),
  textSeed(
    'docker',
    [
      'docker:',
      '  registry.example.com:',
      '    lookaside: https://registry-lookaside.example.com',
      '    lookaside-staging: file:///var/lib/sigs',
      '  registry.example.com/ns/app:',
      '    sigstore: https://old-name.example.com',
      '    use-sigstore-attachments: true',
      '  "*.example.org":',
      '    use-sigstore-attachments: false',
      '',
    ].join('\n'),
  ),
  textSeed('anchors', 'a: &x {lookaside: "https://x"}\ndocker:\n  r.io: *x\n  s.io: *x\n'),
];

/** YAML-specific damage on top of byte mutations: alias bombs, tags, odd scalars, indentation. */
const yamlArb = fc.oneof(
  { arbitrary: fuzzBytes(yamlSeeds), weight: 6 },
  {
    arbitrary: fc
      .constantFrom(
        'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\ndocker: *g\n',
        'docker: !!binary aGVsbG8=\n',
        'default-docker: !!set {a, b}\n',
        'docker:\n  ? [a, b]\n  : {lookaside: x}\n',
        'docker: {r.io: {lookaside: 12}}\n',
        'default-docker:\n  lookaside: https://a\ndefault-docker:\n  lookaside: https://b\n',
        '%YAML 1.1\n---\ndocker: {r.io: {use-sigstore-attachments: yes}}\n',
        '- 1\n- 2\n',
        '"\\uD800"',
        '['.repeat(5000),
        'docker:\n  __proto__: {lookaside: https://x}\n  constructor: {lookaside: https://y}\n',
      )
      .map((t): MutatedInput => ({ seed: 'yaml', bytes: textSeed('yaml', t).bytes })),
    weight: 2,
  },
);

describe('fuzz: simple signing / policy.json / registries.d', () => {
  it('has seeds', () => {
    expect(blobs.length).toBeGreaterThan(8);
    expect(keyrings.length).toBeGreaterThan(3);
    expect(claimSeeds.length).toBeGreaterThan(3);
    expect(policySeeds.length).toBe(1);
  });

  it('sniffSignatureBlob + parseSimpleSigningMessage', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'simple-signing.message',
      fuzzBytes(blobs),
      async ({ bytes }) => {
        sniffSignatureBlob(bytes);
        return parseSimpleSigningMessage(simpleSigningMessage(bytes));
      },
      { describe: describeMutated },
    );
  });

  it('parseClaim', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('simple-signing.claim', fuzzJson(claimSeeds), ({ bytes }) => parseClaim(bytes), {
      describe: describeMutated,
    });
  });

  it('parseKeyring', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('simple-signing.keyring', fuzzBytes(keyrings), ({ bytes }) => parseKeyring(bytes, 'fuzz'), {
      describe: describeMutated,
    });
  });

  it('parseExtensionSignatures', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'simple-signing.extension',
      fuzzJson([extensionSeed]),
      ({ bytes }) => parseExtensionSignatures(bytes),
      {
        describe: describeMutated,
      },
    );
  });

  it('parseDockerReference', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    const parts = [
      'docker.io',
      'library',
      'busybox',
      ':',
      '@',
      'sha256:',
      'a'.repeat(64),
      '/',
      'localhost:5000',
      '.',
      '-',
      '_',
      'UPPER',
      '[::1]',
      '..',
      '',
    ];
    await fuzz(
      'simple-signing.reference',
      fc.oneof(
        fc.array(fc.constantFrom(...parts), { maxLength: 10 }).map((a) => a.join('')),
        fc.string({ maxLength: 300 }),
        fc.constant('a/'.repeat(50_000)),
      ),
      (ref) => parseDockerReference(ref),
    );
  });

  it('parsePolicy (policy.json)', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('policy.json', fuzzJson(policySeeds), ({ bytes }) => parsePolicy(dec.decode(bytes)), {
      describe: describeMutated,
    });
  });

  it('mergeRegistriesFile (registries.d YAML)', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'registries.d',
      yamlArb,
      ({ bytes }) => {
        const config: RegistriesDConfig = { docker: new Map(), files: [] };
        mergeRegistriesFile(config, dec.decode(bytes), 'fuzz.yaml');
      },
      { describe: (i) => `${i.seed}: ${JSON.stringify(dec.decode(i.bytes).slice(0, 400))}` },
    );
  });
});
