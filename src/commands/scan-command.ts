import type { Command } from '@oclif/core';

import type { CommonPlan } from '../scan/run.js';
import type { ScanReport } from '../scan/report-model.js';
import type { OutputFlagValues } from './output.js';
import { parseShardFlag } from './shared.js';
import { pluginRecords, pluginsFromFlags, type PluginFlagValues } from './plugin-flags.js';
import { trustInput, type TrustFlagValues } from './trust-flags.js';

export interface ScanCommandFlags extends OutputFlagValues, TrustFlagValues, PluginFlagValues {
  concurrency: number;
  verbose: boolean;
  shard?: string;
  stats?: boolean;
}

/**
 * What every scanning command does around its own plan: trust inputs, outputs and progress, the common
 * plan fields, the exit code, and typed errors as usage (2) or scan (3) failures.
 */
export async function runScanCommand(
  command: Command,
  label: string,
  flags: ScanCommandFlags,
  scan: (common: CommonPlan) => Promise<ScanReport>,
): Promise<void> {
  const [
    { startOutputs, finishOutputs, resultHook },
    { stderrLogger },
    { loadTrustConfig },
    { SigscanError },
  ] = await Promise.all([
    import('./output.js'),
    import('../util/logger.js'),
    import('../trust/config.js'),
    import('../errors.js'),
  ]);
  try {
    const trust = await loadTrustConfig(trustInput(flags));
    const plugins = await pluginsFromFlags(flags);
    const writer = await startOutputs(flags);
    const hook = await resultHook(writer, label);
    const report = await scan({
      trust,
      concurrency: flags.concurrency,
      log: stderrLogger(flags.verbose),
      onResult: hook.onResult,
      onTotal: hook.onTotal,
      shard: flags.shard ? parseShardFlag(flags.shard) : undefined,
      retainResults: writer.retainResults,
      plugins,
    });
    const records = pluginRecords(plugins);
    if (records.length) report.plugins = records;
    // Pretty: a table on stderr. Machine formats carry the figures inside the report (json: `stats`).
    if (flags.stats && report.stats && flags.output === 'pretty') {
      const { renderStatsTable } = await import('../report/stats.js');
      process.stderr.write(renderStatsTable(report.stats));
    }
    hook.done();
    process.exitCode = await finishOutputs(writer, report);
  } catch (err) {
    if (err instanceof SigscanError)
      command.error(err.message, { exit: err.code === 'USAGE' ? 2 : 3, code: err.code });
    throw err;
  }
}
