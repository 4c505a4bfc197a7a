import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { LAYOUT_KEY_NOTE } from '../../../src/formats/tuf/custom.js';
import { canonicalJson, parseCustom, parseTufMetadata } from '../../../src/formats/tuf/index.js';
import {
  NOTARY03,
  PYTHON_TUF,
  notaryCustomRepository,
  signyInTotoFields,
  tufBytes,
  withSigned,
} from '../../helpers/tuf-metadata.js';

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64');

/** `openssl pkey -pubin -in alice.pub -outform DER | sha256sum` */
const ALICE_SPKI_SHA256 = '4dbaa0029b9e40603e53663fbfe4dfcfed90970ef2e7824c93098efe066e0221';
const ALICE = '70ca5750c2eda80b18f41f4ec5f92146789b5d68dd09577be422a0159bd13680';
const BOB = 'd3ffd1086938b3698618adf088bf14b13db4c8ae19e4e78d73da49ee88492710';
const CARL = 'b7d643dec0a051096ee5d87221b5d91a33daa658699d30903e1cefb90c418401';

/**
 * Signy's metadata as a `custom` value, carried through a notary-written targets.json (surgery) so the value
 * arrives as the parser hands it on.
 */
function signyCustom(fields: Record<string, unknown>): unknown {
  const custom = JSON.parse(Buffer.from(canonicalJson(fields)).toString('utf8')) as unknown;
  const bytes = withSigned(`${NOTARY03}/targets.json`, (s) => {
    const targets = s['targets'] as Record<string, Record<string, unknown>>;
    targets['change']!['custom'] = custom;
  });
  return parseTufMetadata(bytes).targets!.targets.get('change')!.custom;
}

const DEMO = signyInTotoFields();

const DEMO_SUMMARY = {
  kind: 'in-toto',
  note: LAYOUT_KEY_NOTE,
  layoutKeySpkiSha256: ALICE_SPKI_SHA256,
  layoutKeyAlgorithm: 'rsa',
  layoutType: 'layout',
  layoutExpires: '2030-11-18T16:06:36Z',
  layoutSteps: ['write-code', 'package'],
  layoutSignatureKeyIds: [ALICE],
  links: [
    { file: 'package.d3ffd108.link', step: 'package', keyIds: [BOB] },
    { file: 'write-code.b7d643de.link', step: 'write-code', keyIds: [CARL] },
  ],
};

describe('parseCustom on a custom field the notary client wrote', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await notaryCustomRepository();
  }, 180_000);

  it('notary add --custom with Signy’s metadata: kept as written, read as the in-toto demo chain', () => {
    const md = parseTufMetadata(new Uint8Array(readFileSync(join(dir, 'targets.json'))));
    const target = md.targets!.targets.get('0.1.1')!;
    expect(target.custom).toEqual(DEMO);
    expect(parseCustom(target.custom)).toEqual(DEMO_SUMMARY);
    // A target added without --custom carries none.
    const releases = parseTufMetadata(new Uint8Array(readFileSync(join(dir, 'targets', 'releases.json'))));
    expect(parseCustom(releases.targets!.targets.get('v1/app')!.custom)).toBeUndefined();
  });
});

describe('parseCustom: nothing, or not an object', () => {
  it('absent or null is nothing to show', () => {
    expect(parseCustom(undefined)).toBeUndefined();
    expect(parseCustom(null)).toBeUndefined();
  });

  it('a scalar or a list is "other" with no keys', () => {
    for (const v of ['x', 0, false, [], ['layout']]) expect(parseCustom(v)).toEqual({ kind: 'other' });
  });
});

describe('parseCustom: Signy in-toto metadata', () => {
  it('the demo layout, its key and two links', () => {
    expect(parseCustom(signyCustom(DEMO))).toEqual(DEMO_SUMMARY);
  });

  it('links alone (no layout, no key) are in-toto too, with no problem', () => {
    expect(parseCustom(signyCustom({ links: DEMO.links }))).toEqual({
      kind: 'in-toto',
      note: LAYOUT_KEY_NOTE,
      links: [
        { file: 'package.d3ffd108.link', step: 'package', keyIds: [BOB] },
        { file: 'write-code.b7d643de.link', step: 'write-code', keyIds: [CARL] },
      ],
    });
  });

  it('a layout alone is in-toto; a links value that is not a map is ignored', () => {
    const out = parseCustom(signyCustom({ layout: DEMO.layout }));
    expect(out).toMatchObject({ kind: 'in-toto', layoutType: 'layout', layoutSignatureKeyIds: [ALICE] });
    expect(out).not.toHaveProperty('links');
    expect(out).not.toHaveProperty('problems');
    expect(out).not.toHaveProperty('layoutKeySpkiSha256');
    expect(parseCustom(signyCustom({ layout: DEMO.layout, links: 'x' }))).not.toHaveProperty('links');
  });

  it('a key that is not a public key is a problem, the rest is still read', () => {
    const out = parseCustom(
      signyCustom({ ...DEMO, key: b64('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n') }),
    );
    expect(out!.layoutKeySpkiSha256).toBeUndefined();
    expect(out!.layoutKeyAlgorithm).toBeUndefined();
    expect(out!.problems).toHaveLength(1);
    expect(out!.problems![0]).toMatch(/^layout key: ./);
    expect(out!.layoutSteps).toEqual(['write-code', 'package']);
  });

  it('a layout that is not base64 in-toto JSON is a problem', () => {
    const want = ['layout is not base64 in-toto JSON'];
    // A link where the layout belongs: JSON but with no `signed` object.
    expect(parseCustom(signyCustom({ layout: b64('{"signatures":[]}') }))!.problems).toEqual(want);
    expect(parseCustom(signyCustom({ layout: b64('{"signed":"x"}') }))!.problems).toEqual(want);
    expect(parseCustom(signyCustom({ layout: b64('[1]') }))!.problems).toEqual(want);
    expect(parseCustom(signyCustom({ layout: b64('{not json') }))!.problems).toEqual(want);
    expect(parseCustom(signyCustom({ layout: 42 }))!.problems).toEqual(want);
    expect(parseCustom(signyCustom({ layout: null }))!.problems).toEqual(want);
  });

  it('steps, signatures and links of the wrong shape are skipped', () => {
    const layout = {
      signed: { _type: 7, steps: [{ name: 'build' }, 'x', { name: 3 }, null], expires: 0 },
      signatures: [{ keyid: 'aa' }, 'bb', { keyid: 1 }],
    };
    const out = parseCustom(
      signyCustom({
        layout: b64(JSON.stringify(layout)),
        links: {
          'b.link': b64('not json'),
          'a.link': 5,
          'c.link': b64(JSON.stringify({ signed: 1, signatures: 'x' })),
        },
      }),
    );
    expect(out).toEqual({
      kind: 'in-toto',
      note: LAYOUT_KEY_NOTE,
      layoutType: undefined,
      layoutExpires: undefined,
      layoutSteps: ['build'],
      layoutSignatureKeyIds: ['aa'],
      links: [
        { file: 'a.link', step: undefined, keyIds: undefined },
        { file: 'b.link', step: undefined, keyIds: undefined },
        { file: 'c.link', step: undefined, keyIds: undefined },
      ],
    });
    const noSteps = parseCustom(signyCustom({ layout: b64(JSON.stringify({ signed: { steps: {} } })) }));
    expect(noSteps!.layoutSteps).toBeUndefined();
    expect(noSteps!.layoutSignatureKeyIds).toBeUndefined();
  });

  it('at most 256 links, in name order', () => {
    const link = DEMO.links['package.d3ffd108.link'];
    const links = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [`s${String(299 - i).padStart(3, '0')}.link`, link]),
    );
    const out = parseCustom({ links })!;
    expect(out.links).toHaveLength(256);
    expect(out.links![0]).toEqual({ file: 's000.link', step: 'package', keyIds: [BOB] });
    expect(out.links![255]!.file).toBe('s255.link');
  });
});

describe('parseCustom: CNAB bundles and anything else', () => {
  // The fields a CNAB bundle.json carries (CNAB Core 1.0: schemaVersion, name, version, invocationImages).
  const bundle = {
    schemaVersion: 'v1.0.0',
    name: 'helloworld',
    version: '0.1.1',
    description: 'a bundle',
    invocationImages: [{ imageType: 'docker', image: 'cnab/helloworld:0.1.1' }, { image: 5 }, 'x', null],
  };

  it('a bundle: name, version, schema and the invocation images that name one', () => {
    expect(parseCustom(bundle)).toEqual({
      kind: 'cnab-bundle',
      schemaVersion: 'v1.0.0',
      bundleName: 'helloworld',
      bundleVersion: '0.1.1',
      invocationImages: ['cnab/helloworld:0.1.1'],
    });
  });

  it('a schemaVersion with invocationImages or with a name is enough', () => {
    expect(parseCustom({ schemaVersion: 'v1', name: 'n' })).toEqual({
      kind: 'cnab-bundle',
      schemaVersion: 'v1',
      bundleName: 'n',
      bundleVersion: undefined,
      invocationImages: undefined,
    });
    expect(parseCustom({ schemaVersion: 'v1', invocationImages: [{ image: 'i' }] })).toEqual({
      kind: 'cnab-bundle',
      schemaVersion: 'v1',
      bundleName: undefined,
      bundleVersion: undefined,
      invocationImages: ['i'],
    });
    expect(parseCustom({ schemaVersion: 'v1', invocationImages: {}, name: 3, version: 4 })).toEqual({
      kind: 'cnab-bundle',
      schemaVersion: 'v1',
      bundleName: undefined,
      bundleVersion: undefined,
      invocationImages: undefined,
    });
  });

  it('without a string schemaVersion, or with neither images nor name, it is "other"', () => {
    expect(parseCustom({ ...bundle, schemaVersion: 1 })).toEqual({
      kind: 'other',
      keys: ['description', 'invocationImages', 'name', 'schemaVersion', 'version'],
    });
    expect(parseCustom({ schemaVersion: 'v1', version: '1' })).toEqual({
      kind: 'other',
      keys: ['schemaVersion', 'version'],
    });
  });

  it('python-tuf’s file permissions: "other" with its keys', () => {
    const md = parseTufMetadata(tufBytes(`${PYTHON_TUF}/targets.json`));
    expect(parseCustom(md.targets!.targets.get('file1.txt')!.custom)).toEqual({
      kind: 'other',
      keys: ['file_permissions'],
    });
  });

  it('"other" lists at most 32 keys, sorted', () => {
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`k${String(39 - i).padStart(2, '0')}`, i]),
    );
    const out = parseCustom(many)!;
    expect(out.keys).toHaveLength(32);
    expect(out.keys![0]).toBe('k00');
    expect(out.keys![31]).toBe('k31');
  });
});
