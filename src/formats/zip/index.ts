export { ArchiveFile } from './archive-file.js';
export { openZip, RATIO_CHECK_MIN_BYTES, SYNC_READ_MAX_BYTES } from './reader.js';
export type { ZipArchive, ZipEntry, ZipLimits, ZipReadOptions } from './reader.js';
