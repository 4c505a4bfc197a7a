/**
 * verifyLayout's MALFORMED_LAYOUT refusals (issue #18), on layouts signed with Debian's in-toto tools
 * (in-toto-keygen, in-toto-sign, in-toto-run; securesystemslib for layouts in-toto-sign refuses to sign) so
 * the signature check passes and the malformation is what is met.
 * in-toto-verify is the oracle: it refuses both. Keys, layouts and its answers are cached on disk
 * (keyed by FIXTURE_VERSION): Stryker reruns beforeAll for every mutant.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { inTotoKeyId, parseInTotoMetadata } from '../../../src/formats/in-toto/metadata.js';
import { verifyLayout } from '../../../src/trust/in-toto/verify.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { onPath, PROJECT_ROOT, run } from '../../helpers/tools.js';
import { inTotoVerdict } from './helpers.js';

const FIXTURE_VERSION = 'in-toto-verify-v1';
const CACHE = join(PROJECT_ROOT, '.cache', 'test-fixtures', FIXTURE_VERSION);
const tools = (await onPath('in-toto-sign')) && (await onPath('in-toto-verify'));

/** name -> [expires, expected_products] of a one-step layout signed by alice. */
const LAYOUTS: Record<string, [string, unknown[]]> = {
  good: ['2099-01-01T00:00:00Z', [['CREATE', 'foo.py']]],
  expires: ['next tuesday', [['CREATE', 'foo.py']]],
  rule: ['2099-01-01T00:00:00Z', [['MATCH', 'foo.py']]],
};

const SIGN = `
import json, sys
from securesystemslib.interface import import_rsa_privatekey_from_file
from securesystemslib.keys import create_signature
from securesystemslib.formats import encode_canonical
key = import_rsa_privatekey_from_file(sys.argv[1])
layout = json.load(open(sys.argv[2]))
layout['signatures'] = [create_signature(key, encode_canonical(layout['signed']).encode())]
json.dump(layout, open(sys.argv[2], 'w'))
`;

async function make(): Promise<Record<string, boolean>> {
  const answers = join(CACHE, 'in-toto-verify.json');
  if (existsSync(answers)) return JSON.parse(readFileSync(answers, 'utf8')) as Record<string, boolean>;
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  await run('in-toto-keygen', ['-b', '2048', join(CACHE, 'alice')], { cwd: CACHE });
  const raw = {
    keytype: 'rsa',
    scheme: 'rsassa-pss-sha256',
    keyid_hash_algorithms: ['sha256', 'sha512'],
    keyval: { public: readFileSync(join(CACHE, 'alice.pub'), 'utf8').trim() },
  };
  const alice = { ...raw, keyid: inTotoKeyId(raw) };
  const found: Record<string, boolean> = {};
  for (const [name, [expires, products]] of Object.entries(LAYOUTS)) {
    const dir = join(CACHE, name);
    mkdirSync(dir);
    const layout = {
      signed: {
        _type: 'layout',
        expires,
        readme: '',
        keys: { [alice.keyid]: alice },
        steps: [
          {
            _type: 'step',
            name: 'write-code',
            threshold: 1,
            pubkeys: [alice.keyid],
            expected_command: [],
            expected_materials: [],
            expected_products: products,
          },
        ],
        inspect: [],
      },
      signatures: [],
    };
    writeFileSync(join(dir, 'root.layout'), JSON.stringify(layout));
    if (name === 'good') {
      await run('in-toto-sign', ['-f', 'root.layout', '-k', join(CACHE, 'alice'), '-q'], { cwd: dir });
    } else {
      // in-toto-sign validates the layout first and will not sign these; securesystemslib, the library
      // it signs with, signs the canonical JSON as it would.
      await run('/usr/bin/python3', ['-c', SIGN, join(CACHE, 'alice'), 'root.layout'], { cwd: dir });
    }
    // The step's link, by alice, so the good layout verifies end to end.
    writeFileSync(join(dir, 'foo.py'), 'print("hello")\n');
    await run(
      'in-toto-run',
      ['-n', 'write-code', '-k', join(CACHE, 'alice'), '-p', 'foo.py', '-q', '--', 'true'],
      {
        cwd: dir,
      },
    );
    const r = await run('in-toto-verify', ['-l', 'root.layout', '-k', join(CACHE, 'alice.pub'), '-q'], {
      cwd: dir,
      check: false,
    });
    found[name] = r.code === 0;
  }
  writeFileSync(answers, JSON.stringify(found));
  return found;
}

describe.skipIf(!tools)('verifyLayout on in-toto-signed layouts (oracle: in-toto-verify)', () => {
  let oracle: Record<string, boolean>;
  beforeAll(async () => {
    oracle = await make();
  }, 180_000);
  const ours = async (name: string) => {
    const { verdict } = await inTotoVerdict(join(CACHE, name, 'root.layout'), [join(CACHE, 'alice.pub')]);
    return [verdict.status, verdict.code, verdict.message];
  };

  it('the well-formed layout with its link: both verify (the control)', async () => {
    expect(oracle['good']).toBe(true);
    expect((await ours('good')).slice(0, 2)).toEqual(['verified', 'VERIFIED']);
  });

  // A layout sigscan cannot read is a verification error (the layout was not checked), not `invalid`.
  it('"expires" that is not a time: in-toto-verify refuses; MALFORMED_LAYOUT', async () => {
    expect(oracle['expires']).toBe(false);
    expect(await ours('expires')).toEqual([
      'error',
      'MALFORMED_LAYOUT',
      'layout "expires" "next tuesday" is not a time',
    ]);
  });

  it('a MATCH rule without WITH … FROM: in-toto-verify refuses; MALFORMED_LAYOUT naming the step', async () => {
    expect(oracle['rule']).toBe(false);
    const v = await ours('rule');
    expect(v.slice(0, 2)).toEqual(['error', 'MALFORMED_LAYOUT']);
    expect(v[2]).toMatch(/^step "write-code": /);
  });
});

describe('verifyLayout given a link', () => {
  it('a corpus link passed as the layout: MALFORMED_LAYOUT, before any key is consulted', () => {
    const link = parseInTotoMetadata(
      new Uint8Array(readFileSync(join(CORPUS_DIR, 'dsse/in-toto-golang/write-code.b7d643de.link'))),
    );
    const r = verifyLayout(link, { keys: [], now: new Date(), links: new Map() });
    expect([r.code, r.message]).toEqual(['MALFORMED_LAYOUT', 'the metadata is a link, not a layout']);
  });
});
