/**
 * Writes src/commands/fs-manifest.ts: the fs command's flags (commands/fs-core.ts) as plain data for
 * the fast path's parser (src/cli/fs-argv.ts), which must not load oclif to read them. Run it after
 * changing an fs flag: `npx tsx scripts/fs-manifest.ts` (test/cli/fs-argv.test.ts fails until then).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as Flags from '@oclif/core/flags';

import type { FlagSpec } from '../src/cli/fs-argv.js';
import { FS_FLAGS } from '../src/commands/fs-core.js';

const INTEGER_PARSE = Flags.integer({}).parse;

/** Flag features the fast path's parser does not read: a flag with one makes this throw. */
const UNSUPPORTED = [
  'env',
  'aliases',
  'charAliases',
  'relationships',
  'exclusive',
  'dependsOn',
  'exactlyOne',
  'required',
  'allowStdin',
  'deprecated',
  'deprecateAliases',
  'defaultHelp',
];

export async function flagManifest(flags: Record<string, object>): Promise<Record<string, FlagSpec>> {
  const out: Record<string, FlagSpec> = {};
  for (const [name, f] of Object.entries(flags) as Array<[string, Record<string, unknown>]>) {
    const odd = UNSUPPORTED.filter((k) => f[k] !== undefined && !(Array.isArray(f[k]) && f[k].length === 0));
    if (odd.length) throw new Error(`--${name}: ${odd.join(', ')} is not read by src/cli/fs-argv.ts`);
    if (typeof f.default === 'function') throw new Error(`--${name}: a computed default`);
    if (f.multiple && !f.multipleNonGreedy) throw new Error(`--${name}: a greedy multiple flag`);
    const parse = f.parse as (input: string, ...rest: unknown[]) => Promise<unknown>;
    const integer = parse === INTEGER_PARSE;
    if (f.type === 'option' && !integer && (await parse('x', {}, f)) !== 'x')
      throw new Error(`--${name}: a parse function of its own`);
    const spec: FlagSpec = { type: f.type as FlagSpec['type'] };
    if (f.char !== undefined) spec.char = f.char as string;
    if (f.multiple) spec.multiple = true;
    if (f.delimiter !== undefined) spec.delimiter = f.delimiter as string;
    if (f.options !== undefined) spec.options = f.options as string[];
    if (f.default !== undefined) spec.default = f.default as FlagSpec['default'];
    if (f.allowNo) spec.allowNo = true;
    if (integer)
      spec.integer = {
        ...(f.min !== undefined ? { min: f.min as number } : {}),
        ...(f.max !== undefined ? { max: f.max as number } : {}),
      };
    out[name] = spec;
  }
  return out;
}

export function manifestSource(manifest: Record<string, FlagSpec>): string {
  return `// Written by scripts/fs-manifest.ts from commands/fs-core.ts: do not edit.
import type { FlagSpec } from '../cli/fs-argv.js';

/** The fs command's flags as plain data, for the fast path's parser (cli/fs-argv.ts). */
export const FS_MANIFEST: Readonly<Record<string, FlagSpec>> = ${JSON.stringify(manifest, null, 2)};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = join(fileURLToPath(new URL('..', import.meta.url)), 'src', 'commands', 'fs-manifest.ts');
  writeFileSync(target, manifestSource(await flagManifest(FS_FLAGS)));
  console.log(`wrote ${target}`);
}
