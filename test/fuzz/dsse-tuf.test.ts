/**
 * DSSE envelopes, in-toto statements and in-toto (link/layout) metadata; TUF / Notary v1 metadata,
 * whole repositories, keys and `custom` fields. Seeds: the in-toto, python-tuf, notary and sigstore
 * TUF corpora, plus DSSE envelopes and statements lifted out of the sigstore bundles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseDsseEnvelope, parseInTotoStatement } from '../../src/formats/dsse/index.js';
import { looksLikeInToto, parseInTotoMetadata } from '../../src/formats/in-toto/index.js';
import {
  parseCustom,
  parseTufKey,
  parseTufMetadata,
  parseTufRepository,
  resolveKey,
  type TufFlavour,
} from '../../src/formats/tuf/index.js';
import {
  corpus,
  describeMutated,
  ext,
  fuzz,
  fuzzJson,
  hostileJsonValue,
  mutatedJsonText,
  PROPERTY_TIMEOUT_MS,
  reportStats,
  textSeed,
  type Seed,
} from './harness.js';

reportStats('dsse-tuf');

const dec = new TextDecoder();
const json = (s: Seed): Record<string, unknown> => JSON.parse(dec.decode(s.bytes)) as Record<string, unknown>;

const inToto = corpus('dsse', ext('.link', '.layout'));
const bundles = corpus('sigstore-bundle', ext('.json', '.sigstore'));
const dsseSeeds: Seed[] = inToto.filter((s) => 'payloadType' in json(s));
const statementSeeds: Seed[] = [];
for (const b of bundles) {
  try {
    const env = json(b)['dsseEnvelope'] as { payload?: string } | undefined;
    if (env?.payload) {
      dsseSeeds.push({
        name: `${b.name}#dsseEnvelope`,
        bytes: new TextEncoder().encode(JSON.stringify(env)),
      });
      statementSeeds.push({
        name: `${b.name}#statement`,
        bytes: new Uint8Array(Buffer.from(env.payload, 'base64')),
      });
    }
  } catch {
    // not JSON
  }
}
for (const s of inToto) {
  const d = json(s);
  if (typeof d['payload'] === 'string') {
    statementSeeds.push({
      name: `${s.name}#payload`,
      bytes: new Uint8Array(Buffer.from(d['payload'], 'base64')),
    });
  }
}

const tufSeeds = corpus('notary-v1-tuf', ext('.json'));
const roots = tufSeeds.filter((s) => s.name.endsWith('root.json'));
const keySeeds: Array<{ id: string; raw: unknown; flavour: TufFlavour }> = [];
const customSeeds: Seed[] = [];
for (const s of tufSeeds) {
  const signed = json(s)['signed'] as Record<string, unknown>;
  const flavour: TufFlavour = s.name.includes('/notary/') ? 'notary' : 'tuf';
  for (const [id, raw] of Object.entries((signed['keys'] ?? {}) as Record<string, unknown>))
    keySeeds.push({ id, raw, flavour });
  for (const t of Object.values((signed['targets'] ?? {}) as Record<string, { custom?: unknown }>)) {
    if (t.custom !== undefined)
      customSeeds.push({
        name: `${s.name}#custom`,
        bytes: new TextEncoder().encode(JSON.stringify(t.custom)),
      });
  }
}
customSeeds.push(
  textSeed(
    'sigstore-custom',
    JSON.stringify({ sigstore: { usage: 'Fulcio', status: 'Active', uri: 'https://fulcio.sigstore.dev' } }),
  ),
);

/** Repository sets as they are laid out on disk, one of whose files gets mutated. */
function repoSet(dir: string): Record<string, Seed> {
  const set: Record<string, Seed> = {};
  for (const s of tufSeeds.filter((t) => t.name.includes(dir))) {
    set[s.name.slice(s.name.indexOf(dir) + dir.length).replace(/\.json$/, '')] = s;
  }
  return set;
}
const repoSets = [repoSet('notary0.3/'), repoSet('notary0.1/'), repoSet('python-tuf/metadata/')];

const repoArb = fc
  .tuple(fc.nat(repoSets.length - 1), fc.nat(), fuzzJson(tufSeeds))
  .map(([i, which, mutated]) => {
    const set = repoSets[i]!;
    const names = Object.keys(set);
    const victim = names[which % names.length]!;
    const files: Record<string, Uint8Array> = {};
    for (const n of names) files[n] = n === victim ? mutated.bytes : set[n]!.bytes;
    return { victim, mutatedFrom: mutated.seed, files };
  });

describe('fuzz: DSSE / in-toto / TUF', () => {
  it('has seeds', () => {
    expect(dsseSeeds.length).toBeGreaterThan(5);
    expect(statementSeeds.length).toBeGreaterThan(3);
    expect(tufSeeds.length).toBeGreaterThan(10);
    expect(keySeeds.length).toBeGreaterThan(5);
    expect(roots.length).toBeGreaterThan(2);
  });

  it('parseDsseEnvelope', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('dsse.envelope', fuzzJson(dsseSeeds), ({ bytes }) => parseDsseEnvelope(bytes), {
      describe: describeMutated,
    });
  });

  it('parseInTotoStatement', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('dsse.statement', fuzzJson(statementSeeds), ({ bytes }) => parseInTotoStatement(bytes), {
      describe: describeMutated,
    });
  });

  it('parseInTotoMetadata + looksLikeInToto', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'in-toto.metadata',
      fuzzJson(inToto),
      ({ bytes, seed }) => {
        looksLikeInToto(bytes, seed);
        return parseInTotoMetadata(bytes);
      },
      { describe: describeMutated },
    );
  });

  it('parseTufMetadata', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('tuf.metadata', fuzzJson(tufSeeds), ({ bytes }) => parseTufMetadata(bytes), {
      describe: describeMutated,
    });
  });

  it(
    'parseTufRepository (one file of a real repository mutated)',
    { timeout: PROPERTY_TIMEOUT_MS },
    async () => {
      await fuzz(
        'tuf.repository',
        repoArb,
        ({ files }) => {
          const { root, timestamp, snapshot, targets, ...rest } = files;
          return parseTufRepository({ root: root!, timestamp, snapshot, targets, delegations: rest });
        },
        {
          describe: (r) => `${r.victim} <- ${r.mutatedFrom}: ${dec.decode(r.files[r.victim]).slice(0, 400)}`,
        },
      );
    },
  );

  it('parseTufKey + resolveKey', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    const keyText = keySeeds.map((k, i) => textSeed(`key${i}`, JSON.stringify(k.raw)));
    await fuzz(
      'tuf.key',
      fc.tuple(
        fc.nat(keySeeds.length - 1),
        fc.oneof(mutatedJsonText(keyText), fuzzJson(keyText)),
        fc.boolean(),
      ),
      ([i, mutated, sameId]) => {
        const seed = keySeeds[i]!;
        const raw = JSON.parse(dec.decode(mutated.bytes)) as unknown;
        const key = parseTufKey(sameId ? seed.id : 'f'.repeat(64), raw, seed.flavour);
        return resolveKey(key);
      },
      {
        describe: ([i, m]) => `${keySeeds[i]!.flavour} ${dec.decode(m.bytes).slice(0, 400)}`,
        // A byte-mutated key may not be JSON at all; JSON.parse here is the test's, not the parser's.
        allow: [(err) => err instanceof SyntaxError && /JSON/.test(err.message)],
      },
    );
  });

  it('parseCustom', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'tuf.custom',
      fc.oneof(
        mutatedJsonText(customSeeds).map((m) => JSON.parse(dec.decode(m.bytes)) as unknown),
        hostileJsonValue(),
      ),
      (custom) => parseCustom(custom),
    );
  });
});
