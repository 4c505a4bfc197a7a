import { Flags } from '@oclif/core';

import { OUTPUT_FORMATS } from '../report/formats.js';
import { FAIL_ON_CONDITIONS } from '../scan/exit-code.js';

export const EXIT_CODES_HELP = `EXIT CODES
  0  scan finished, nothing matched --fail-on
  1  a --fail-on condition matched (outranks 3)
  2  usage error (bad flags or arguments, --output-file exists, unreadable report)
  3  scan finished, but some targets or sources could not be checked (see the errors in the report)`;

/** Where reports go; shared by the scanning commands and `report convert|diff|merge`. */
export const reportFileFlags = {
  'output-file': Flags.string({
    summary: 'Write the -o report to this file instead of stdout (never overwrites: exit 2 if it exists).',
  }),
  force: Flags.boolean({ summary: 'Let --output-file overwrite an existing file.', default: false }),
};

export const shardFlag = {
  shard: Flags.string({
    summary: 'Scan only share i of n (e.g. 2/8): repositories or files are split by a stable hash.',
    description:
      'n jobs with --shard 1/n .. n/n together cover the scan once; merge their JSON with `sigscan report merge`.',
  }),
};

export const outputFlags = {
  output: Flags.string({
    char: 'o',
    summary: 'Report format.',
    description: `pretty: tables for people; json: the versioned document (schema: sigscan schema); ndjson: one
line per target as it finishes, then a summary line; sarif: SARIF 2.1.0 for GitHub code scanning;
sigscan-json: Venafi SigScan's shapes; csv: RFC 4180; html: one self-contained page.`,
    options: [...OUTPUT_FORMATS],
    default: 'pretty',
  }),
  ...reportFileFlags,
  'report-format': Flags.string({
    summary: 'Also save the report in these formats (comma-separated) to --report-dir.',
    description:
      'Files are named sigscan-<command>-<UTC time>.<ext>; an existing name gets a -2, -3, ... suffix.',
    multiple: true,
    delimiter: ',',
    options: [...OUTPUT_FORMATS],
  }),
  'report-dir': Flags.string({ summary: 'Directory for --report-format files.', default: 'reports' }),
  concurrency: Flags.integer({
    summary: 'Work in flight at once (requests per registry host, files being read).',
    default: 8,
    min: 1,
    max: 256,
  }),
  'fail-on': Flags.string({
    summary: 'Exit 1 when any target matches one of these (comma-separated).',
    description: `Conditions: ${FAIL_ON_CONDITIONS.join(', ')}. unsigned/unknown: target status; invalid/untrusted/unverified:
any signature with that verdict; error: any target or scan error.`,
    delimiter: ',',
    multiple: true,
    options: [...FAIL_ON_CONDITIONS],
  }),
  verbose: Flags.boolean({ char: 'v', summary: 'Log progress details to stderr.', default: false }),
};

export { parseShardFlag } from './flag-values.js';

/** `--jobs` (fs): threads checking files; the default is resolved at run time (defaultJobs, scan/pool.ts). */
export const jobsFlag = {
  jobs: Flags.integer({
    summary: 'Threads checking files (default: one per core, at most 8): the main thread and N-1 workers.',
    description:
      '1: no worker threads. Online revocation, --plugin modules and --plugin-opt keep the scan on the main thread whatever --jobs says.',
    min: 1,
    max: 64,
  }),
};
