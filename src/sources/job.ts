import type { DetectContext } from '../detectors/detector.js';
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
}
