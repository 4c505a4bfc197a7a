/**
 * Shared machinery for the fuzz suites: seed loading, byte and JSON mutators (fast-check arbitraries),
 * the per-input check (typed error or return, within a time bound) and the figures `npm run fuzz` reads.
 *
 * Budget: `SIGSCAN_FUZZ_RUNS` inputs per property (default 200, enough for CI), seed
 * `SIGSCAN_FUZZ_SEED` (default 42). With `SIGSCAN_FUZZ_STATS=<dir>` every test file appends its
 * per-parser figures there (scripts/fuzz.ts).
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import fc from 'fast-check';
import { afterAll } from 'vitest';

import { SigscanError } from '../../src/errors.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

export const FIXTURES_DIR = join(PROJECT_ROOT, 'fixtures');
export { CORPUS_DIR };

export const FUZZ_RUNS = positiveInt(process.env['SIGSCAN_FUZZ_RUNS'], 200);
export const FUZZ_SEED = positiveInt(process.env['SIGSCAN_FUZZ_SEED'], 42);
/** An input that takes longer than this is a hang. */
export const ITEM_TIMEOUT_MS = positiveInt(process.env['SIGSCAN_FUZZ_ITEM_MS'], 2000);
/** Long campaigns time out per property, far above what FUZZ_RUNS inputs should need. */
export const PROPERTY_TIMEOUT_MS = Math.max(60_000, FUZZ_RUNS * ITEM_TIMEOUT_MS);

function positiveInt(text: string | undefined, fallback: number): number {
  const n = text === undefined ? NaN : Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

// ---------------------------------------------------------------------------------------------------
// Seeds

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** Every regular file under `dir` (recursively) whose name passes `filter`; none when `dir` is absent. */
export function seedFiles(
  dir: string,
  filter: (name: string) => boolean,
  maxBytes = 2 * 1024 * 1024,
): Seed[] {
  if (!existsSync(dir)) return [];
  const out: Seed[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const info = statSync(path);
      if (info.isDirectory()) walk(path);
      else if (info.isFile() && info.size <= maxBytes && filter(path)) {
        out.push({ name: relative(PROJECT_ROOT, path), bytes: new Uint8Array(readFileSync(path)) });
      }
    }
  };
  walk(dir);
  return out;
}

export function corpus(sub: string, filter: (name: string) => boolean, maxBytes?: number): Seed[] {
  return seedFiles(join(CORPUS_DIR, sub), filter, maxBytes);
}

export function fixtures(sub: string, filter: (name: string) => boolean): Seed[] {
  return seedFiles(join(FIXTURES_DIR, sub), filter);
}

export function ext(...exts: string[]): (name: string) => boolean {
  return (name) => exts.some((e) => name.endsWith(e));
}

const utf8 = new TextEncoder();
export function textSeed(name: string, text: string): Seed {
  return { name, bytes: utf8.encode(text) };
}

// ---------------------------------------------------------------------------------------------------
// Byte mutations

/** A targeted tweak: returns the mutated copy, or undefined when the seed has no such field. */
export type Tweak = (bytes: Uint8Array, pick: number, value: number) => Uint8Array | undefined;

const INTERESTING = [
  0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
];

export function interestingInt(): fc.Arbitrary<number> {
  return fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(), fc.integer({ min: -16, max: 16 }));
}

type Op =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; byte: number }
  | { k: 'insert'; at: number; data: Uint8Array }
  | { k: 'delete'; at: number; len: number }
  | { k: 'truncate'; at: number }
  | { k: 'splice'; at: number; other: number; from: number; len: number }
  | { k: 'int'; at: number; width: 1 | 2 | 4; le: boolean; value: number }
  | { k: 'tweak'; which: number; pick: number; value: number };

function opArb(tweaks: number): fc.Arbitrary<Op> {
  const at = fc.nat();
  const ops: Array<fc.Arbitrary<Op>> = [
    fc.record({ k: fc.constant('flip' as const), at, bit: fc.nat(7) }),
    fc.record({ k: fc.constant('set' as const), at, byte: fc.nat(255) }),
    fc.record({
      k: fc.constant('insert' as const),
      at,
      data: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
    fc.record({ k: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ k: fc.constant('truncate' as const), at }),
    fc.record({ k: fc.constant('splice' as const), at, other: fc.nat(), from: fc.nat(), len: fc.nat(4096) }),
    fc.record({
      k: fc.constant('int' as const),
      at,
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      le: fc.boolean(),
      value: interestingInt(),
    }),
  ];
  if (tweaks > 0) {
    const tweak = fc.record({
      k: fc.constant('tweak' as const),
      which: fc.nat(tweaks - 1),
      pick: fc.nat(),
      value: interestingInt(),
    });
    // Targeted length-field tweaks weigh as much as all the blind mutations together.
    return fc.oneof({ arbitrary: fc.oneof(...ops), weight: 1 }, { arbitrary: tweak, weight: 1 });
  }
  return fc.oneof(...ops);
}

function apply(bytes: Uint8Array, op: Op, seeds: Seed[], tweaks: Tweak[]): Uint8Array {
  const n = bytes.length;
  const pos = (at: number): number => (n === 0 ? 0 : at % (n + 1));
  switch (op.k) {
    case 'flip': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[op.at % n]! ^= 1 << op.bit;
      return out;
    }
    case 'set': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[op.at % n] = op.byte;
      return out;
    }
    case 'insert': {
      const p = pos(op.at);
      return concat(bytes.subarray(0, p), op.data, bytes.subarray(p));
    }
    case 'delete': {
      const p = pos(op.at);
      return concat(bytes.subarray(0, p), bytes.subarray(p + op.len));
    }
    case 'truncate':
      return bytes.slice(0, pos(op.at));
    case 'splice': {
      const other = seeds[op.other % seeds.length]!.bytes;
      const from = other.length === 0 ? 0 : op.from % other.length;
      return concat(bytes.subarray(0, pos(op.at)), other.subarray(from, from + op.len));
    }
    case 'int': {
      if (n < op.width) return bytes;
      const out = bytes.slice();
      writeInt(out, op.at % (n - op.width + 1), op.width, op.le, op.value);
      return out;
    }
    case 'tweak':
      return tweaks[op.which]!(bytes, op.pick, op.value) ?? bytes;
  }
}

export function writeInt(out: Uint8Array, at: number, width: 1 | 2 | 4, le: boolean, value: number): void {
  if (at < 0 || at + width > out.length) return;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const v = value >>> 0;
  if (width === 1) view.setUint8(at, v & 0xff);
  else if (width === 2) view.setUint16(at, v & 0xffff, le);
  else view.setUint32(at, v, le);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface MutatedInput {
  seed: string;
  bytes: Uint8Array;
}

/** A seed with one to four mutations applied in turn; the unmutated seed too, now and then. */
export function mutatedBytes(seeds: Seed[], tweaks: Tweak[] = []): fc.Arbitrary<MutatedInput> {
  if (seeds.length === 0) throw new Error('no seeds: is the shared corpus in place?');
  return fc
    .tuple(fc.nat(seeds.length - 1), fc.array(opArb(tweaks.length), { minLength: 0, maxLength: 4 }))
    .map(([i, ops]) => {
      const seed = seeds[i]!;
      let bytes = seed.bytes;
      for (const op of ops) bytes = apply(bytes, op, seeds, tweaks);
      return { seed: seed.name, bytes: bytes === seed.bytes ? bytes.slice() : bytes };
    });
}

/** Mutated seeds most of the time, plus short random byte strings. */
export function fuzzBytes(seeds: Seed[], tweaks: Tweak[] = []): fc.Arbitrary<MutatedInput> {
  return fc.oneof(
    { arbitrary: mutatedBytes(seeds, tweaks), weight: 9 },
    { arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ seed: 'random', bytes })), weight: 1 },
  );
}

// ---------------------------------------------------------------------------------------------------
// Format-aware tweaks

/** DER/BER: rewrite the length of a random TLV (found by walking the encoding) to a chosen size. */
export const asn1LengthTweak: Tweak = (bytes, pick, value) => {
  const starts = tlvStarts(bytes, 4000);
  if (starts.length === 0) return undefined;
  const at = starts[pick % starts.length]!;
  const lenAt = at + 1;
  if (lenAt >= bytes.length) return undefined;
  const first = bytes[lenAt]!;
  const lenBytes = first & 0x80 ? first & 0x7f : 0;
  const mode = value & 3;
  const len = value >>> 2;
  const head = bytes.subarray(0, lenAt);
  const tail = bytes.subarray(lenAt + 1 + lenBytes);
  let enc: Uint8Array;
  if (mode === 0) enc = Uint8Array.of(Math.min(len, 0x7f));
  else if (mode === 1)
    enc = Uint8Array.of(0x80); // indefinite length
  else if (mode === 2)
    enc = Uint8Array.of(0x84, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  else enc = Uint8Array.of(0x80 | (len % 16)); // long form with a random (possibly huge or zero) byte count
  return concat(head, enc, tail);
};

/** Offsets of TLV headers found by a best-effort walk that descends into constructed types. */
export function tlvStarts(bytes: Uint8Array, max: number): number[] {
  const out: number[] = [];
  const walk = (from: number, to: number, depth: number): void => {
    let p = from;
    while (p + 2 <= to && out.length < max && depth < 40) {
      const tag = bytes[p]!;
      if ((tag & 0x1f) === 0x1f) return; // high tag numbers: stop here
      let q = p + 1;
      const first = bytes[q++]!;
      let len: number;
      if (first < 0x80) len = first;
      else {
        const n = first & 0x7f;
        if (n === 0 || n > 4 || q + n > to) return;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + bytes[q++]!;
      }
      if (q + len > to) return;
      out.push(p);
      if (tag & 0x20) walk(q, q + len, depth + 1);
      p = q + len;
    }
  };
  walk(0, bytes.length, 0);
  return out;
}

/** CBOR: change the length/argument of a random data item head (major types 2-5 and 0-1). */
export const cborLengthTweak: Tweak = (bytes, pick, value) => {
  if (bytes.length === 0) return undefined;
  const starts: number[] = [];
  for (let i = 0; i < bytes.length && starts.length < 4000; i++) {
    const major = bytes[i]! >> 5;
    if (major >= 2 && major <= 5) starts.push(i);
  }
  if (starts.length === 0) return undefined;
  const at = starts[pick % starts.length]!;
  const major = bytes[at]! >> 5;
  const info = bytes[at]! & 0x1f;
  const argLen = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  const v = value >>> 0;
  const mode = v & 3;
  let head: Uint8Array;
  if (mode === 0)
    head = Uint8Array.of((major << 5) | 31); // indefinite
  else if (mode === 1)
    head = Uint8Array.of(
      (major << 5) | 27,
      0,
      0,
      0,
      0,
      v >>> 24,
      (v >>> 16) & 0xff,
      (v >>> 8) & 0xff,
      v & 0xff,
    );
  else if (mode === 2)
    head = Uint8Array.of((major << 5) | 26, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  else head = Uint8Array.of((major << 5) | (v % 24));
  return concat(bytes.subarray(0, at), head, bytes.subarray(at + 1 + argLen));
};

// ---------------------------------------------------------------------------------------------------
// JSON mutations

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function deepNest(depth: number, leaf: Json): Json {
  let v: Json = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Replacement values: wrong types, huge and odd numbers, deep nesting, long strings, arbitrary JSON. */
export function hostileJsonValue(): fc.Arbitrary<Json> {
  return fc.oneof(
    fc.constantFrom<Json>(
      null,
      true,
      false,
      0,
      -1,
      1e308,
      -1e308,
      2 ** 53 + 1,
      4294967296,
      0.5,
      '',
      'sha256:',
      'sha256:' + '0'.repeat(64),
      '\u0000',
      '\ud800',
      '../../etc/passwd',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      '2024-02-30T25:61:61Z',
      [],
      {},
      [null],
      { '': null },
      { __proto__: 1 } as Json,
      { constructor: 'x', toString: 1 },
    ),
    fc.integer({ min: 10, max: 3000 }).map((d) => deepNest(d, 1)),
    fc.integer({ min: 1000, max: 200_000 }).map((n) => 'A'.repeat(n)),
    fc.json({ maxDepth: 3 }).map((t) => JSON.parse(t) as Json),
    fc.string({ maxLength: 40 }),
    fc.base64String({ maxLength: 200 }),
  );
}

/** Paths to every node of a JSON tree (a capped number of them). */
function paths(doc: Json, max = 2000): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [[]];
  const walk = (v: Json, p: Array<string | number>, depth: number): void => {
    if (out.length >= max || depth > 64) return;
    const children: Array<[string | number, Json]> = Array.isArray(v)
      ? v.map((c, i): [number, Json] => [i, c])
      : v !== null && typeof v === 'object'
        ? Object.entries(v)
        : [];
    for (const [k, c] of children) {
      out.push([...p, k]);
      walk(c, [...p, k], depth + 1);
    }
  };
  walk(doc, [], 0);
  return out;
}

type JsonOp =
  | { k: 'delete'; at: number }
  | { k: 'replace'; at: number; value: Json }
  | { k: 'add'; at: number; key: string; value: Json }
  | { k: 'wrap'; at: number }
  | { k: 'dup'; at: number };

function jsonOpArb(): fc.Arbitrary<JsonOp> {
  const at = fc.nat();
  return fc.oneof(
    fc.record({ k: fc.constant('delete' as const), at }),
    fc.record({ k: fc.constant('replace' as const), at, value: hostileJsonValue() }),
    fc.record({
      k: fc.constant('add' as const),
      at,
      key: fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('__proto__', 'constructor', 'signed', 'payload'),
      ),
      value: hostileJsonValue(),
    }),
    fc.record({ k: fc.constant('wrap' as const), at }),
    fc.record({ k: fc.constant('dup' as const), at }),
  );
}

function applyJson(doc: Json, op: JsonOp): Json {
  const all = paths(doc);
  const path = all[op.at % all.length]!;
  const get = (p: Array<string | number>): Json =>
    p.reduce<Json>((v, k) => (v as Record<string, Json>)[k as string] as Json, doc);
  if (path.length === 0) {
    if (op.k === 'replace') return op.value;
    if (op.k === 'wrap') return [doc];
    if (op.k === 'add' && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
      Object.defineProperty(doc, op.key, {
        value: op.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return doc;
  }
  const parent = get(path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const key = path[path.length - 1]!;
  const cur = (parent as Record<string | number, Json>)[key]!;
  switch (op.k) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, Json>)[key];
      break;
    case 'replace':
      (parent as Record<string | number, Json>)[key] = op.value;
      break;
    case 'wrap':
      (parent as Record<string | number, Json>)[key] = Array.isArray(cur) ? { x: cur } : [cur];
      break;
    case 'dup':
      // Shared references serialise as copies; no clone (a deep-nested value would overflow it).
      if (Array.isArray(parent)) for (let i = 0; i < 3; i++) parent.push(cur);
      break;
    case 'add':
      if (cur !== null && typeof cur === 'object' && !Array.isArray(cur))
        Object.defineProperty(cur, op.key, {
          value: op.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      break;
  }
  return doc;
}

const MAX_MUTATED_JSON_CHARS = 1024 * 1024;

/** A JSON seed with one to four structural mutations applied, serialised again. */
export function mutatedJsonText(seeds: Seed[]): fc.Arbitrary<MutatedInput> {
  const docs = seeds
    .map((s) => {
      try {
        return { name: s.name, doc: JSON.parse(new TextDecoder().decode(s.bytes)) as Json };
      } catch {
        return undefined;
      }
    })
    .filter((d): d is { name: string; doc: Json } => d !== undefined);
  if (docs.length === 0) throw new Error('no JSON seeds');
  return fc
    .tuple(fc.nat(docs.length - 1), fc.array(jsonOpArb(), { minLength: 1, maxLength: 4 }))
    .map(([i, ops]) => {
      let doc = structuredClone(docs[i]!.doc);
      let text = JSON.stringify(doc) ?? 'undefined';
      for (const op of ops) {
        doc = applyJson(doc, op);
        let next: string;
        try {
          next = JSON.stringify(doc) ?? 'undefined';
        } catch {
          // fast-check can hand one value object to two ops; inserting it and then adding it to itself
          // makes the document circular. (No clone: deep-nested values would overflow structuredClone.)
          break;
        }
        // Repeated `dup` of shared subtrees grows documents geometrically (a 61 MB trust policy was
        // seen); past 1 MiB the input measures JSON.parse, not our parser, so stop mutating there.
        if (next.length > MAX_MUTATED_JSON_CHARS) break;
        text = next;
      }
      return { seed: docs[i]!.name, bytes: utf8.encode(text) };
    });
}

/** Everything the JSON parsers get: structural mutations, byte mutations, and arbitrary JSON. */
export function fuzzJson(seeds: Seed[]): fc.Arbitrary<MutatedInput> {
  return fc.oneof(
    { arbitrary: mutatedJsonText(seeds), weight: 6 },
    { arbitrary: mutatedBytes(seeds), weight: 3 },
    {
      arbitrary: fc.json({ maxDepth: 4 }).map((t) => ({ seed: 'fc.json', bytes: utf8.encode(t) })),
      weight: 1,
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// The check

/**
 * What a parser may throw besides SigscanError. Each entry must say why it is intended.
 * A predicate returns true for an error that is acceptable.
 */
export type Allowance = (err: unknown) => boolean;

export interface ParserStats {
  parser: string;
  file: string;
  inputs: number;
  crashes: number;
  hangs: number;
  maxItemMs: number;
  samples: string[];
}

const stats = new Map<string, ParserStats>();
/** In a fuzz campaign, keep going after a crash and count them; in CI, fail (and shrink) at once. */
const COLLECT = process.env['SIGSCAN_FUZZ_COLLECT'] === '1';

class Hang extends Error {}

function hex(bytes: Uint8Array, max = 256): string {
  return (
    Buffer.from(bytes.subarray(0, max)).toString('hex') +
    (bytes.length > max ? `…(${bytes.length} bytes)` : '')
  );
}

/**
 * Runs `fn` on one input: it must return, or throw a SigscanError with a code (or an allowed error),
 * within ITEM_TIMEOUT_MS. A synchronous endless loop cannot be interrupted from the same thread; it is
 * caught by the elapsed-time check when it ends, or by the property timeout when it never does.
 */
export async function checkOne<T>(
  parser: string,
  input: T,
  fn: (input: T) => unknown,
  allow: Allowance[] = [],
  describe: (input: T) => string = (i) =>
    i instanceof Uint8Array ? hex(i) : (JSON.stringify(i)?.slice(0, 400) ?? ''),
  collect = COLLECT,
): Promise<void> {
  const s = statsFor(parser);
  s.inputs++;
  // A property chains promises only: without a macrotask now and then, vitest's worker RPC starves and
  // long campaigns end with "Timeout calling onTaskUpdate".
  if (s.inputs % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let failure: string | undefined;
  let hang = false;
  try {
    await Promise.race([
      Promise.resolve().then(() => fn(input)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Hang(`no answer within ${ITEM_TIMEOUT_MS} ms`)), ITEM_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    if (err instanceof Hang) {
      hang = true;
      failure = err.message;
    } else if (!(err instanceof SigscanError && typeof err.code === 'string' && err.code.length > 0)) {
      if (!allow.some((a) => a(err))) {
        failure = `untyped ${(err as Error)?.constructor?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`;
        if (err instanceof Error && err.stack) failure += `\n${err.stack.split('\n').slice(1, 6).join('\n')}`;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  const elapsed = performance.now() - started;
  s.maxItemMs = Math.max(s.maxItemMs, elapsed);
  if (!failure && elapsed > ITEM_TIMEOUT_MS) {
    hang = true;
    failure = `took ${elapsed.toFixed(0)} ms (bound ${ITEM_TIMEOUT_MS} ms)`;
  }
  if (failure) {
    if (hang) s.hangs++;
    else s.crashes++;
    const message = `${parser}: ${failure}\ninput: ${describe(input)}`;
    if (s.samples.length < 5) s.samples.push(message);
    const dump = process.env['SIGSCAN_FUZZ_DUMP'];
    const bytes = input instanceof Uint8Array ? input : (input as Partial<MutatedInput> | undefined)?.bytes;
    if (dump && bytes instanceof Uint8Array) {
      writeFileSync(join(dump, `${parser}-${s.crashes + s.hangs}.bin`), bytes);
    }
    if (!collect) throw new Error(message);
  }
}

function statsFor(parser: string): ParserStats {
  let s = stats.get(parser);
  if (!s) {
    s = { parser, file: '', inputs: 0, crashes: 0, hangs: 0, maxItemMs: 0, samples: [] };
    stats.set(parser, s);
  }
  return s;
}

/** fast-check parameters shared by every property. */
export function params(runs = FUZZ_RUNS): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: runs, endOnFailure: COLLECT, interruptAfterTimeLimit: undefined };
}

/** Runs one property over `arb` with the shared parameters. */
export async function fuzz<T>(
  parser: string,
  arb: fc.Arbitrary<T>,
  fn: (input: T) => unknown,
  options: { allow?: Allowance[]; runs?: number; describe?: (input: T) => string } = {},
): Promise<void> {
  statsFor(parser);
  await fc.assert(
    fc.asyncProperty(arb, (input) => checkOne(parser, input, fn, options.allow, options.describe)),
    params(options.runs) as fc.Parameters<[T]>,
  );
}

/** Call once per test file: writes the figures for `npm run fuzz`. */
export function reportStats(file: string): void {
  afterAll(() => {
    const dir = process.env['SIGSCAN_FUZZ_STATS'];
    if (!dir) return;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    for (const s of stats.values()) {
      appendFileSync(join(dir, 'stats.ndjson'), JSON.stringify({ ...s, file, peakRssMb: rssMb }) + '\n');
    }
  });
}

/** Input shown in failures: the seed it came from and its bytes. */
export function describeMutated(i: MutatedInput): string {
  return `${i.seed} -> ${hex(i.bytes)}`;
}
