import { join } from 'node:path';

import { PROJECT_ROOT } from './tools.js';

/** The shared corpus sits beside the checkout (CI clones main next to shared/). */
export const CORPUS_DIR = process.env['SIGSCAN_CORPUS'] ?? join(PROJECT_ROOT, '..', 'shared', 'corpus');
