import type { DetectContext, Sidecar } from '../detectors/detector.js';
import type { ErrorEntry, Target } from '../model/index.js';

/** A target ready for detection, with what its detectors may use and any error met while preparing it. */
export interface PreparedTarget {
  target: Target;
  context?: Omit<DetectContext, 'limits' | 'log'>;
  errors?: ErrorEntry[];
  /** Preparation failed so badly that detection cannot run (e.g. the tag did not resolve). */
  skipDetection?: boolean;
}

/** A unit of source work (resolve a tag, read a file) that yields zero or more targets. */
export interface ScanJob {
  run(): Promise<PreparedTarget[]>;
  /** Set on a file job: its inputs as plain data, so that a worker thread can run it (scan/pool.ts). */
  file?: FileJobSpec;
}

/** A file job as plain data (structured-clone safe): what the walk found, before the file is opened. */
export interface FileJobSpec {
  displayPath: string;
  absolutePath: string;
  sidecars?: Sidecar[];
}

/**
 * Told of each file job as the walk queues it (before the engine takes it) and once the walk is over:
 * scan/pool.ts estimates the work left from it to decide whether worker threads are worth starting.
 */
export interface WalkWatch {
  queued(spec: FileJobSpec): void;
  walked(): void;
}
