import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadRegistriesD, sectionFor } from '../../../src/oci/registries-d.js';

describe('registries.d (formats.md §4.5)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-regd-'));
    await mkdir(join(dir, 'a'));
    await writeFile(
      join(dir, 'a', '10-default.yaml'),
      'default-docker:\n  lookaside: https://sigs.example.com\n',
    );
    await writeFile(
      join(dir, 'a', '20-scopes.yaml'),
      [
        'docker:',
        '  registry.example.com:',
        '    lookaside: https://registry-lookaside.example.com',
        '  registry.example.com/mydepartment:',
        '    sigstore: https://old-name.example.com',
        '    use-sigstore-attachments: true',
        '  registry.example.com:5000:',
        '    use-sigstore-attachments: true',
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'a', 'ignored.txt'), 'docker: [');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('picks the most specific scope entirely, then default-docker', async () => {
    const c = await loadRegistriesD([join(dir, 'a'), join(dir, 'missing')]);
    expect(
      sectionFor(c, { registry: 'registry.example.com', repository: 'mydepartment/app', tag: 'v1' }),
    ).toEqual({
      scope: 'registry.example.com/mydepartment',
      section: { lookaside: 'https://old-name.example.com', useSigstoreAttachments: true },
    });
    expect(
      sectionFor(c, { registry: 'registry.example.com', repository: 'other/app' })?.section.lookaside,
    ).toBe('https://registry-lookaside.example.com');
    // host:port does not fall back to the port-less host, and its section has no lookaside.
    expect(sectionFor(c, { registry: 'registry.example.com:5000', repository: 'x' })).toEqual({
      scope: 'registry.example.com:5000',
      section: { useSigstoreAttachments: true },
    });
    expect(sectionFor(c, { registry: 'quay.io', repository: 'x' })?.scope).toBe('default-docker');
  });

  it('rejects a scope defined twice across files', async () => {
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'b', '1.yaml'), 'docker:\n  q.example.com:\n    lookaside: https://a\n');
    await writeFile(join(dir, 'b', '2.yaml'), 'docker:\n  q.example.com:\n    lookaside: https://b\n');
    await expect(loadRegistriesD([join(dir, 'b')])).rejects.toThrow(/more than once/);
  });
});
