import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { run } from './tools.js';

/** openssl's key options for a P-256 key, the default of selfSignedDer. */
export const EC_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

/**
 * A self-signed certificate made by `openssl req -x509`, as DER, for name and field tests: the subject is
 * read as UTF-8 with multi-valued RDNs (`+`), so a test can ask for any DN shape openssl can write.
 * Writes `<name>.der` and `<name>.key` in dir.
 */
export async function selfSignedDer(
  dir: string,
  name: string,
  subj: string,
  opts: { keyArgs?: readonly string[]; extensions?: readonly string[]; days?: number } = {},
): Promise<Uint8Array> {
  const out = join(dir, `${name}.der`);
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    ...(opts.keyArgs ?? EC_P256_KEY),
    '-nodes',
    '-keyout',
    join(dir, `${name}.key`),
    '-outform',
    'DER',
    '-out',
    out,
    '-utf8',
    '-multivalue-rdn',
    '-subj',
    subj,
    '-days',
    String(opts.days ?? 30),
    ...(opts.extensions ?? []).flatMap((e) => ['-addext', e]),
  ]);
  return new Uint8Array(readFileSync(out));
}
