import type { SigscanPlugin } from '../plugin/api.js';
import { irSignPlugin } from './ir-sign.js';

/** Families shipped with sigscan but written against the plugin contract. */
export const BUILTIN_PLUGINS: readonly SigscanPlugin[] = [irSignPlugin];
