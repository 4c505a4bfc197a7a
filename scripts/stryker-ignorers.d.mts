// Types of stryker-ignorers.mjs for the TypeScript scripts and tests that import it.
import type { Ignorer } from '@stryker-mutator/api/ignore';

export declare const MODULE_LEVEL_REASON: string;
export declare const REPORT_TEXT_REASON: string;
export declare const TEXT_PARAMETERS: ReadonlySet<string>;
export declare const TEXT_PROPERTIES: ReadonlySet<string>;
export declare const moduleLevelIgnorer: Ignorer;
export declare function reportTextRanges(
  fileNames: readonly string[],
  tsconfigFile: string,
): Map<string, Set<string>>;
export declare function reportTextIgnorerFor(rangesOfFile: (fileName: string) => Set<string> | undefined): Ignorer;
export declare const reportTextIgnorer: Ignorer;
export declare const strykerPlugins: unknown[];
