import { stat } from 'node:fs';

import { expectedFormat } from '../sources/fs.js';
import type { FileJobSpec, WalkWatch } from '../sources/job.js';

/**
 * What a file costs to check, in CPU milliseconds of a `--jobs 1` run with its start-up (an empty tree)
 * subtracted, by what the file's name says it should be. Fitted on the 2-core bench machine (2026-12-05,
 * page cache warm, medians of 5; CPU because wall time there moved 2x from run to run under other work):
 * - 2,000 files of 16 KiB noise: 0.18 ms a file (open, first 8 bytes, close, scheduling);
 * - .cache/bench-vendor, 67 vendor PEs, 260 MiB: 0.87 s, ~2.7 ms/MiB (read, one hashing pass) with ~2 ms
 *   a PE (CMS, chains);
 * - /tmp/jarbench, 80 signed JARs, 37 MB: 9.6 ms a JAR, most of it per JAR (manifest, each entry
 *   inflated and digested); ~4 ms/MiB on a 520 MiB JAR;
 * which price the 400-file bench tree at 1.09 s against 1.11 s measured.
 * The name is only a hint (type comes from magic bytes): a file it does not place may still be a PE
 * (vmlinuz and *.efi.signed are), so its bytes count at the PE rate. That overestimates a tree of large
 * files that are none of ours, which then pays one worker's start-up for nothing; underestimating a large
 * tree would cost it its second core.
 */
export interface CostModel {
  /** Every file. */
  fileMs: number;
  /** Besides fileMs, a file named as a PE image, and each MiB of it. */
  peFileMs: number;
  peMsPerMiB: number;
  /** Besides fileMs, a file named as a JAR, APK or APPX (a ZIP), and each MiB of it. */
  zipFileMs: number;
  zipMsPerMiB: number;
  /** Each MiB of any other file. */
  otherMsPerMiB: number;
  /**
   * Workers start once the work left is estimated above this. A worker costs ~0.35 CPU-s before its first
   * file (thread, module loading, trust inputs, a cold JIT), paid on the core that already runs libuv's
   * reads and hashing, and is ready ~0.3-0.5 s after it is started. On a quiet run of this machine
   * (reports/bench.md, after the fifth merge) a worker lost on 0.87 (67 PEs, -6%) and 1.1 (the bench
   * tree, JAR-heavy, -17 to -29%) of these units and gained 1.27x on 3.5 (268 PEs); fitting wall time
   * saved against work left on those runs puts the break-even for PEs near 1 unit, higher for JARs (the
   * worker loads and warms the ZIP code again). 1.5 s, about four start costs, keeps the bench tree's
   * estimate clearly below and starts at once from about twice the 67-PE set.
   */
  startMs: number;
}

export const COST_MODEL: CostModel = {
  fileMs: 0.15,
  peFileMs: 2,
  peMsPerMiB: 2.7,
  zipFileMs: 7.5,
  zipMsPerMiB: 4,
  otherMsPerMiB: 2.7,
  startMs: 1500,
};

export type FormatHint = 'pe' | 'zip' | 'other';

export function formatHint(path: string): FormatHint {
  const format = expectedFormat(path);
  if (format === 'pe') return 'pe';
  if (format === 'jar' || format === 'apk' || format === 'appx') return 'zip';
  return 'other';
}

export function fileCostMs(bytes: number, hint: FormatHint, model: CostModel): number {
  const mib = bytes / (1024 * 1024);
  switch (hint) {
    case 'pe':
      return model.fileMs + model.peFileMs + mib * model.peMsPerMiB;
    case 'zip':
      return model.fileMs + model.zipFileMs + mib * model.zipMsPerMiB;
    case 'other':
      return model.fileMs + mib * model.otherMsPerMiB;
  }
}

/** `start`: worth a worker now; `wait`: not yet, ask again when something changes; `never`: not this scan. */
export type StartAdvice = 'start' | 'wait' | 'never';

export interface EstimateSnapshot {
  /** Files queued or in flight, priced. */
  leftMs: number;
  /** Files finished, priced. */
  doneMs: number;
  /** Files queued whose size is not known yet. */
  unpriced: number;
  walkOver: boolean;
}

interface Pending {
  /** Undefined until its stat answers. */
  cost?: number;
  finished: boolean;
}

/**
 * The work left in an fs scan, estimated from what the walk has queued: each file's size (one stat as it
 * is queued) and the format its name suggests, priced by a CostModel. Files in flight count until they
 * end: on the main thread they hold its time as much as queued ones do.
 *
 * Once the walk is over the known remainder is the whole of it and only shrinks: at or below startMs then,
 * never. While the walk goes on (a large tree: the walk waits on a bounded queue) what is queued is only a
 * lower bound, so the work already done counts too: a scan that has done and queued more than startMs with
 * its walk still going starts workers then, rather than wait for an end it cannot see (rent or buy).
 */
export class WorkEstimate implements WalkWatch {
  private readonly pending = new Map<FileJobSpec, Pending>();
  private leftMs = 0;
  private doneMs = 0;
  private unpriced = 0;
  private walkOver = false;
  /** The decision is made (or the scan is over): nothing more is stat'ed or counted. */
  private settled = false;

  constructor(
    private readonly model: CostModel,
    /** Called whenever the advice may have changed. */
    private readonly changed: () => void,
  ) {}

  queued(spec: FileJobSpec): void {
    if (this.settled) return;
    const entry: Pending = { finished: false };
    this.pending.set(spec, entry);
    this.unpriced++;
    const hint = formatHint(spec.displayPath);
    // The callback form: no promise per file (10-30% less CPU per stat than fs/promises, measured here).
    stat(spec.absolutePath, (err, info) =>
      // The file job reports what went wrong; here it costs what any file costs.
      this.priced(entry, err ? this.model.fileMs : fileCostMs(info.size, hint, this.model)),
    );
  }

  walked(): void {
    this.walkOver = true;
    if (!this.settled) this.changed();
  }

  /** The file's job is over (on whichever thread). */
  finished(spec: FileJobSpec): void {
    const entry = this.pending.get(spec);
    if (!entry || this.settled) return;
    this.pending.delete(spec);
    entry.finished = true;
    if (entry.cost !== undefined) {
      this.leftMs -= entry.cost;
      this.doneMs += entry.cost;
    }
    this.changed();
  }

  advice(): StartAdvice {
    if (this.settled) return 'never';
    const { startMs } = this.model;
    if (this.leftMs + (this.walkOver ? 0 : this.doneMs) > startMs) return 'start';
    // More files (or sizes) to come can only add to what is left.
    return this.walkOver && this.unpriced === 0 ? 'never' : 'wait';
  }

  /** Stop counting: the decision is made (or the scan is over). */
  settle(): void {
    this.settled = true;
    this.pending.clear();
  }

  snapshot(): EstimateSnapshot {
    const { leftMs, doneMs, unpriced, walkOver } = this;
    return { leftMs, doneMs, unpriced, walkOver };
  }

  private priced(entry: Pending, cost: number): void {
    this.unpriced--;
    if (this.settled) return;
    entry.cost = cost;
    if (entry.finished) this.doneMs += cost;
    else this.leftMs += cost;
    this.changed();
  }
}
