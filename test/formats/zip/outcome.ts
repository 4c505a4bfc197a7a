import { createHash } from 'node:crypto';

import type { ZipArchive, ZipLimits } from '../../../src/formats/zip/index.js';

type Open = (bytes: Uint8Array, limits: ZipLimits) => Promise<ZipArchive>;

/**
 * Everything a reader makes of an archive, as plain data: the refusal at open (code and message), or the
 * entries, duplicate names, header mismatches, and for every entry a full read, a capped read, a
 * streamed read and a read at once where offered (each the SHA-256 of the bytes or the error
 * code) with the budget used after each.
 */
export async function zipOutcome(open: Open, bytes: Uint8Array, limits: ZipLimits): Promise<unknown> {
  let zip: ZipArchive;
  try {
    zip = await open(bytes, limits);
  } catch (err) {
    // The message too: a refused archive's message is what a report says about it.
    return { open: codeOf(err), message: (err as Error).message };
  }
  try {
    const reads: unknown[] = [];
    for (const entry of zip.entries) {
      reads.push(await attempt(async () => sha256(await zip.read(entry))), zip.bytesRead);
      reads.push(await attempt(async () => sha256(await zip.read(entry, 1000))), zip.bytesRead);
      reads.push(
        await attempt(async () => {
          const h = createHash('sha256');
          for await (const chunk of zip.stream(entry)) h.update(chunk);
          return h.digest('hex');
        }),
        zip.bytesRead,
      );
      // At once where the reader offers it (a synchronous throw included), else streamed: the same bytes,
      // refusals and budget either way, and nothing charged twice.
      reads.push(
        await attempt(async () => {
          const h = createHash('sha256');
          const atOnce = zip.readAtOnce(entry);
          if (atOnce) h.update(atOnce);
          else for await (const chunk of zip.stream(entry)) h.update(chunk);
          return h.digest('hex');
        }),
        zip.bytesRead,
      );
    }
    return {
      entries: zip.entries.map((e) => ({ ...e, rawName: Buffer.from(e.rawName).toString('hex') })),
      duplicateNames: zip.duplicateNames,
      localHeaderMismatches: zip.localHeaderMismatches,
      reads,
    };
  } finally {
    zip.close();
  }
}

async function attempt(fn: () => Promise<string>): Promise<string> {
  try {
    return await fn();
  } catch (err) {
    return `error ${codeOf(err)}`;
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const name = (err as Error).name;
  // Only typed errors are acceptable; anything else shows up as a difference with its message.
  return name === 'SigscanError' && typeof code === 'string' ? code : `untyped ${String(err)}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
