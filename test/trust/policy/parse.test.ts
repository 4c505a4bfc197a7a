/**
 * parsePolicy / readPolicyFile (src/trust/policy/parse.ts): which files load, beside whether skopeo
 * loads them (skopeo-judge.ts judgeParse; skopeo 1.9.3 here), with sigscan's exact USAGE message. sigscan
 * may be stricter than containers/image (a refused file stops the scan, it never widens trust), never
 * looser: where skopeo refuses a file, sigscan must refuse it too.
 */
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { parsePolicy, readPolicyFile } from '../../../src/trust/policy/index.js';
import { judgeParse } from './skopeo-judge.js';

const ACCEPT = { type: 'insecureAcceptAnything' };
const SCOPE = 'example.com/x';
/** A requirement in a docker scope the judged oci: image does not use. */
const inScope = (req: unknown) =>
  JSON.stringify({ default: [ACCEPT], transports: { docker: { [SCOPE]: [req] } } });
const scopes = (transports: unknown) => JSON.stringify({ default: [ACCEPT], transports });
const signedBy = (extra: object) => ({ type: 'signedBy', keyType: 'GPGKeys', ...extra });
const W = 'containers policy policy.json';
const R = `${W} transports.docker["${SCOPE}"][0]`;

/** name → [policy text, skopeo loads it, sigscan: true (loads) or its exact message]. */
const CASES: Record<string, [string, boolean, true | string]> = {
  minimal: [JSON.stringify({ default: [ACCEPT] }), true, true],
  // skopeo: "JSON object expected, got <nil>".
  'transports-null': [
    JSON.stringify({ default: [ACCEPT], transports: null }),
    false,
    `${W}: "transports" is not an object`,
  ],
  'transports-array': [scopes([]), false, `${W}: "transports" is not an object`],
  'transports-number': [scopes(5), false, `${W}: "transports" is not an object`],
  'transport-array': [scopes({ docker: [] }), false, `${W}: transports.docker is not an object`],
  'top-array': ['[]', false, `${W}: not a JSON object`],
  'top-null': ['null', false, `${W}: not a JSON object`],
  'default-empty': [JSON.stringify({ default: [] }), false, `${W} default: requirements must not be empty`],
  'requirement-array': [JSON.stringify({ default: [[]] }), false, `${W} default[0]: not an object`],
  'requirement-null': [JSON.stringify({ default: [null] }), false, `${W} default[0]: not an object`],
  'requirement-unknown': [inScope({ type: 'bogus' }), false, `${R}: unknown requirement type "bogus"`],
  'keyType-number': [
    inScope(signedBy({ keyType: 5, keyPath: '/k' })),
    false,
    `${R}: "keyType" must be a non-empty string`,
  ],
  'keyType-unknown': [
    inScope(signedBy({ keyType: 'bogus', keyPath: '/k' })),
    false,
    `${R}: unknown keyType "bogus"`,
  ],
  'keyType-x509': [inScope(signedBy({ keyType: 'X509Certificates', keyPath: '/k' })), true, true],
  'keyPath-empty': [inScope(signedBy({ keyPath: '' })), false, `${R}: "keyPath" must be a non-empty string`],
  'keyPaths-string': [
    inScope(signedBy({ keyPaths: '/k' })),
    false,
    `${R}: "keyPaths" must be a non-empty array of strings`,
  ],
  'keyPaths-number': [
    inScope(signedBy({ keyPaths: [1] })),
    false,
    `${R}: "keyPaths" must be a non-empty array of strings`,
  ],
  'keyData-not-base64': [
    inScope(signedBy({ keyData: 'not base64!' })),
    false,
    `${R}: "keyData" is not base64`,
  ],
  // Whole 4-character groups: refused for the characters, not the length.
  'keyData-junk-before': [inScope(signedBy({ keyData: '!!!!QUJD' })), false, `${R}: "keyData" is not base64`],
  'keyData-junk-after': [inScope(signedBy({ keyData: 'QUJD!!!!' })), false, `${R}: "keyData" is not base64`],
  // Go decodes keyData with base64.StdEncoding: whole 4-character groups only.
  'keyData-stray-padding': [inScope(signedBy({ keyData: 'QUJD=' })), false, `${R}: "keyData" is not base64`],
  'keyData-short': [inScope(signedBy({ keyData: 'QUJ' })), false, `${R}: "keyData" is not base64`],
  'keyData-unpadded': [inScope(signedBy({ keyData: 'QUJD' })), true, true],
  'keyData-padded': [inScope(signedBy({ keyData: 'QUI=' })), true, true],
  'signedIdentity-array': [
    inScope(signedBy({ keyPath: '/k', signedIdentity: [] })),
    false,
    `${R}: signedIdentity is not an object`,
  ],
  'signedIdentity-unknown': [
    inScope(signedBy({ keyPath: '/k', signedIdentity: { type: 'bogus' } })),
    false,
    `${R} signedIdentity: unknown type "bogus"`,
  ],
  'signedIdentity-exactReference-empty': [
    inScope(signedBy({ keyPath: '/k', signedIdentity: { type: 'exactReference', dockerReference: '' } })),
    false,
    `${R} signedIdentity: "dockerReference" must be a non-empty string`,
  ],
  'sigstore-keyPath': [inScope({ type: 'sigstoreSigned', keyPath: '/k.pub' }), true, true],
  'sigstore-two-sources': [
    inScope({ type: 'sigstoreSigned', keyPath: '/k.pub', keyData: 'QUJD' }),
    false,
    `${R}: exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki is required`,
  ],
  'scope-wildcard': [scopes({ docker: { '*.example.com': [ACCEPT] } }), true, true],
  'scope-host-uppercase': [scopes({ docker: { 'EXAMPLE.com/ns': [ACCEPT] } }), true, true],
  'scope-dir-uppercase': [scopes({ dir: { '/Some/Path': [ACCEPT] } }), true, true],
  'scope-transport-default': [scopes({ docker: { '': [ACCEPT] } }), true, true],
};

/**
 * Scopes sigscan refuses and containers/image loads (its docker ValidatePolicyConfigurationScope accepts
 * any string): such a scope can never match an image, so sigscan stops on the typo instead of silently
 * applying a wider scope.
 */
const STRICTER: Record<string, [string, boolean, string]> = {
  'wildcard-bad-character': [
    scopes({ docker: { '*.exa_mple.com': [ACCEPT] } }),
    true,
    `${W} transports.docker: invalid wildcard scope "*.exa_mple.com"`,
  ],
  'wildcard-two-stars': [
    scopes({ docker: { '*.*.example.com': [ACCEPT] } }),
    true,
    `${W} transports.docker: invalid wildcard scope "*.*.example.com"`,
  ],
  'wildcard-with-path': [
    scopes({ docker: { '*.example.com/ns': [ACCEPT] } }),
    true,
    `${W} transports.docker: invalid wildcard scope "*.example.com/ns"`,
  ],
  'scope-path-uppercase': [
    scopes({ docker: { 'example.com/Ns/app': [ACCEPT] } }),
    true,
    `${W} transports.docker: scope "example.com/Ns/app" is not lowercase`,
  ],
  // containers/image keeps an empty keyPaths list or an empty path and finds no key at evaluation.
  'keyPaths-empty': [
    inScope(signedBy({ keyPaths: [] })),
    true,
    `${R}: "keyPaths" must be a non-empty array of strings`,
  ],
  'keyPaths-empty-path': [
    inScope(signedBy({ keyPaths: ['/k', ''] })),
    true,
    `${R}: "keyPaths" must be a non-empty array of strings`,
  ],
};

let skopeo: Record<string, { loads: boolean; why: string }>;
beforeAll(async () => {
  skopeo = await judgeParse(
    'policy-skopeo-parse-v2',
    Object.fromEntries(Object.entries({ ...CASES, ...STRICTER }).map(([n, [text]]) => [n, text])),
  );
}, 300_000);

const sigscan = (text: string): true | string => {
  try {
    parsePolicy(text);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('USAGE');
    return (err as Error).message;
  }
};

describe('parsePolicy beside skopeo', () => {
  for (const [name, [text, loads, expected]] of Object.entries(CASES)) {
    it(`${name}: ${loads ? 'loads' : 'refused'}`, () => {
      expect(skopeo[name]!.loads, skopeo[name]!.why).toBe(loads);
      expect(sigscan(text)).toBe(expected);
    });
  }
  for (const [name, [text, loads, expected]] of Object.entries(STRICTER)) {
    it(`${name}: skopeo loads it, sigscan refuses it`, () => {
      expect(skopeo[name]!.loads, skopeo[name]!.why).toBe(loads);
      expect(sigscan(text)).toBe(expected);
    });
  }
});

describe('parsePolicy: what a loaded policy holds', () => {
  it('each key source and signedIdentity as written', () => {
    const p = parsePolicy(
      JSON.stringify({
        default: [ACCEPT],
        transports: {
          docker: {
            'a.example/x': [signedBy({ keyPaths: ['/a', '/b'] })],
            'b.example/x': [signedBy({ keyData: 'QUJD', signedIdentity: { type: 'matchExact' } })],
            'c.example/x': [
              signedBy({
                keyPath: '/c',
                signedIdentity: { type: 'remapIdentity', prefix: 'm.example', signedPrefix: 'v.example' },
              }),
            ],
          },
        },
      }),
    );
    expect(p.transports['docker']).toEqual({
      'a.example/x': [{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: ['/a', '/b'] }],
      'b.example/x': [
        { type: 'signedBy', keyType: 'GPGKeys', keyData: 'QUJD', signedIdentity: { type: 'matchExact' } },
      ],
      'c.example/x': [
        {
          type: 'signedBy',
          keyType: 'GPGKeys',
          keyPath: '/c',
          signedIdentity: { type: 'remapIdentity', prefix: 'm.example', signedPrefix: 'v.example' },
        },
      ],
    });
  });

  it('sigstoreSigned takes exactly one of its six key sources, each alone', () => {
    for (const source of ['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki']) {
      const p = parsePolicy(JSON.stringify({ default: [{ type: 'sigstoreSigned', [source]: 'x' }] }));
      expect(p.default[0], source).toMatchObject({ type: 'sigstoreSigned' });
    }
    expect(() => parsePolicy(JSON.stringify({ default: [{ type: 'sigstoreSigned' }] }))).toThrow(
      `${W} default[0]: exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki is required`,
    );
  });

  it('names the file it read in its messages', async () => {
    expect(() => parsePolicy('{"default":[]}', '/etc/p.json')).toThrow(
      'containers policy /etc/p.json default: requirements must not be empty',
    );
    expect(() => parsePolicy('{')).toThrow(/^containers policy policy\.json: not JSON \(/);
    const missing = join('/nonexistent', 'policy.json');
    const err = await readPolicyFile(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).message).toMatch(/^--policy \/nonexistent\/policy\.json: ENOENT/);
    expect((err as SigscanError).cause).toMatchObject({ code: 'ENOENT' });
  });
});
