/**
 * The detector registry's format hints (detectors/index.ts) only decide what is loaded: for every file
 * format, the detectors loaded for that format and applying to a target of it must be exactly those of
 * the whole file set that apply, in the same order, or a scan would silently skip a signature family.
 */
import { describe, expect, it } from 'vitest';

import { allDetectors, detectorsFor } from '../../src/detectors/index.js';
import type { FileFormat, FileTarget } from '../../src/model/index.js';

const FORMATS: FileFormat[] = [
  'jar',
  'pe',
  'blob',
  'in-toto',
  'unknown',
  'msi',
  'cab',
  'cat',
  'script',
  'apk',
  'rpm',
  'deb',
  'appx',
];

function fileTarget(format: FileFormat, container?: string): FileTarget {
  return {
    kind: 'file',
    path: `dir/file.${format}`,
    size: 1,
    digest: `sha256:${'0'.repeat(64)}`,
    format,
    ...(container ? { container } : {}),
  };
}

describe('detector registry format hints', () => {
  it.each(FORMATS)(
    '%s: the detectors loaded for the format are all the file detectors that apply',
    async (format) => {
      const all = await detectorsFor('file');
      const forFormat = await detectorsFor('file', format);
      for (const target of [fileTarget(format), fileTarget(format, 'outer.jar')]) {
        const expected = all.filter((d) => d.applies(target)).map((d) => d.name);
        expect(forFormat.filter((d) => d.applies(target)).map((d) => d.name)).toEqual(expected);
      }
    },
  );

  it('a PE image loads only the PE detector and those that apply to any file', async () => {
    const names = (await detectorsFor('file', 'pe')).map((d) => d.name);
    expect(names).toEqual(['authenticode', 'authenticode-catalog-member', 'sigstore-bundle', 'cosign-blob']);
    expect((await allDetectors()).length).toBeGreaterThan(names.length + 10);
  });
});
