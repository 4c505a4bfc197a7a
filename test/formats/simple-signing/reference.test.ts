/**
 * Docker references as containers/image `reference.ParseNormalizedNamed` reads them (docker/reference/
 * normalize.go, regexp.go), each beside the verdict of `skopeo standalone-verify`, which parses its
 * expected reference with that function first.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import {
  imageReference,
  parseDockerReference,
  referenceName,
  referenceString,
  type DockerReference,
} from '../../../src/formats/simple-signing/reference.js';
import { skopeoReferenceVerdicts } from '../../helpers/simple-signing-fixtures.js';

const HEX = 'a'.repeat(64);
const D = `sha256:${HEX}`;

/** Accepted references and their normal form. */
const VALID: Array<[string, DockerReference]> = [
  ['busybox', { domain: 'docker.io', path: 'library/busybox' }],
  ['busybox:latest', { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }],
  [`busybox@${D}`, { domain: 'docker.io', path: 'library/busybox', digest: D }],
  ['index.docker.io/busybox', { domain: 'docker.io', path: 'library/busybox' }],
  ['index.docker.io/a/b', { domain: 'docker.io', path: 'a/b' }],
  ['docker.io/a/b:v1', { domain: 'docker.io', path: 'a/b', tag: 'v1' }],
  ['example.com/busybox', { domain: 'example.com', path: 'busybox' }],
  // No slash: the whole is a repository name on Docker Hub, however host-like it looks.
  ['example.com', { domain: 'docker.io', path: 'library/example.com' }],
  ['localhost', { domain: 'docker.io', path: 'library/localhost' }],
  ['localhost/a', { domain: 'localhost', path: 'a' }],
  ['host:5000/a', { domain: 'host:5000', path: 'a' }],
  ['127.0.0.1:5000/a/b:t', { domain: '127.0.0.1:5000', path: 'a/b', tag: 't' }],
  // A first component without '.', ':' and not localhost is a Docker Hub namespace.
  ['a/b.c', { domain: 'docker.io', path: 'a/b.c' }],
  ['x/y', { domain: 'docker.io', path: 'x/y' }],
  ['Example.COM/a', { domain: 'Example.COM', path: 'a' }],
  [`example.com/a/b:v1@${D}`, { domain: 'example.com', path: 'a/b', tag: 'v1', digest: D }],
  [
    `example.com/a@sha512:${'b'.repeat(128)}`,
    { domain: 'example.com', path: 'a', digest: `sha512:${'b'.repeat(128)}` },
  ],
  ['a__b/c-d--e.f_g', { domain: 'docker.io', path: 'a__b/c-d--e.f_g' }],
  [`example.com/${'a'.repeat(243)}`, { domain: 'example.com', path: 'a'.repeat(243) }],
  [`${HEX}/x`, { domain: 'docker.io', path: `${HEX}/x` }],
];

/** Refused references and sigscan's reason. */
const INVALID: Array<[string, string]> = [
  ['example.com/a@sha256:abc', 'invalid digest'],
  ['example.com/a@foo:bar', 'invalid digest'],
  [`example.com/a@sha256:${'A'.repeat(64)}`, 'invalid digest'],
  [`example.com/a@md5:${'a'.repeat(32)}`, 'invalid digest'],
  [`example.com/a@sha256:${'a'.repeat(63)}`, 'invalid digest'],
  ['a:-x', 'invalid tag'],
  ['a:', 'invalid tag'],
  [`a:${'t'.repeat(129)}`, 'invalid tag'],
  [':tag', 'empty name'],
  [`@${D}`, 'empty name'],
  ['exa_mple.com:5000/a', 'invalid domain'],
  ['a.-b.com/x', 'invalid domain'],
  ['UPPERCASEISINVALID', 'repository name must be lowercase'],
  ['example.com/A', 'repository name must be lowercase'],
  // An upper-case first component is no host to containers/image: the name is lower-case-checked whole.
  ['Foo/bar', 'repository name must be lowercase'],
  ['A/b', 'repository name must be lowercase'],
  ['[::1]:5000/a', 'invalid domain'],
  [HEX, 'a 64-digit hexadecimal name is an image ID'],
  ['/a', 'invalid repository name'],
  ['a/-b', 'invalid repository name'],
  ['a/b/-c', 'invalid repository name'],
  ['a//b', 'invalid repository name'],
  [`example.com/${'a'.repeat(244)}`, 'name longer than 255 characters'],
];

/**
 * Stricter than containers/image: a first component with '.' is a host here, and `exa_mple.com` is no
 * valid host; Go's grammar falls back to reading it as a host-less repository path.
 */
const STRICTER: Array<[string, string]> = [['exa_mple.com/a', 'invalid domain']];

function reasonOf(ref: string): string {
  try {
    parseDockerReference(ref);
  } catch (e) {
    expect((e as { code?: string }).code).toBe('USAGE');
    const prefix = `"${ref}" is not a valid docker reference: `;
    expect((e as Error).message.startsWith(prefix)).toBe(true);
    return (e as Error).message.slice(prefix.length);
  }
  return 'accepted';
}

describe('parseDockerReference beside skopeo (containers/image ParseNormalizedNamed)', () => {
  let skopeo: Record<string, string>;
  beforeAll(async () => {
    skopeo = await skopeoReferenceVerdicts([...VALID, ...INVALID, ...STRICTER].map(([r]) => r));
  });

  for (const [ref, want] of VALID) {
    it(`${ref} → ${referenceString(want)}`, () => {
      expect(skopeo[ref]).toBe('valid');
      // Strict: no tag or digest member unless the reference has one.
      expect(parseDockerReference(ref)).toStrictEqual(want);
    });
  }
  for (const [ref, why] of INVALID) {
    it(`${ref.length > 40 ? `${ref.slice(0, 40)}…` : ref}: ${why}`, () => {
      expect(skopeo[ref]).not.toBe('valid');
      expect(reasonOf(ref)).toBe(why);
    });
  }
  for (const [ref, why] of STRICTER) {
    it(`${ref}: refused (${why}), though skopeo takes it`, () => {
      expect(skopeo[ref]).toBe('valid');
      expect(reasonOf(ref)).toBe(why);
    });
  }
});

describe('referenceName / referenceString / imageReference', () => {
  it('prints name, tag and digest in that order, each only when present', () => {
    const both = parseDockerReference(`example.com/a/b:v1@${D}`);
    expect(referenceName(both)).toBe('example.com/a/b');
    expect(referenceString(both)).toBe(`example.com/a/b:v1@${D}`);
    expect(referenceString({ domain: 'example.com', path: 'a', tag: 't' })).toBe('example.com/a:t');
    expect(referenceString({ domain: 'example.com', path: 'a', digest: D })).toBe(`example.com/a@${D}`);
    expect(referenceString({ domain: 'example.com', path: 'a' })).toBe('example.com/a');
  });

  it('a scanned image is named by its tag, or by digest when it has none or is a child of an index', () => {
    const img = { registry: 'docker.io', repository: 'busybox', digest: D };
    expect(imageReference({ ...img, tag: 'latest' })).toStrictEqual({
      domain: 'docker.io',
      path: 'library/busybox',
      tag: 'latest',
    });
    expect(imageReference(img)).toStrictEqual({ domain: 'docker.io', path: 'library/busybox', digest: D });
    expect(imageReference({ ...img, tag: 'latest', platform: 'linux/amd64' })).toStrictEqual({
      domain: 'docker.io',
      path: 'library/busybox',
      digest: D,
    });
  });
});
