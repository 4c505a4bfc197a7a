import { Flags } from '@oclif/core';

import { FAIL_ON_CONDITIONS } from '../scan/exit-code.js';

export const EXIT_CODES_HELP = `EXIT CODES
  0  scan finished, nothing matched --fail-on
  1  a --fail-on condition matched
  2  usage error (bad flags or arguments)
  3  scan finished, but some targets or sources could not be checked (see the errors in the report)`;

export const outputFlags = {
  output: Flags.string({
    char: 'o',
    summary: 'Report format.',
    options: ['pretty', 'json'],
    default: 'pretty',
  }),
  concurrency: Flags.integer({
    summary: 'Work in flight at once (requests per registry host, files being read).',
    default: 8,
    min: 1,
    max: 256,
  }),
  'fail-on': Flags.string({
    summary: 'Exit 1 when any target matches one of these (comma-separated).',
    description: `Conditions: ${FAIL_ON_CONDITIONS.join(', ')}.`,
    delimiter: ',',
    multiple: true,
    options: [...FAIL_ON_CONDITIONS],
  }),
  verbose: Flags.boolean({ char: 'v', summary: 'Log progress details to stderr.', default: false }),
};
