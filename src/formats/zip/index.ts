export { openZip, RATIO_CHECK_MIN_BYTES } from './reader.js';
export type { ZipArchive, ZipEntry, ZipLimits } from './reader.js';
