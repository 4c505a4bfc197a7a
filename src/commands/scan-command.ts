import { randomUUID } from 'node:crypto';

import type { CommonPlan } from '../scan/run.js';
import type { ScanReport } from '../scan/report-model.js';
import type { OutputFlagValues } from './output.js';
import {
  parseShardFlag,
  pluginRecords,
  pluginsFromFlags,
  trustInput,
  type PluginFlagValues,
  type TrustFlagValues,
} from './flag-values.js';

export interface ScanCommandFlags extends OutputFlagValues, TrustFlagValues, PluginFlagValues {
  concurrency: number;
  verbose: boolean;
  shard?: string;
  stats?: boolean;
}

/**
 * What a scan needs of its command: a usage or scan failure thrown as oclif's Command.error throws it
 * (the fast path, cli/fast-path.ts, has no Command and converts it when it fails).
 */
export interface CommandErrors {
  error(message: string, options: { exit: number; code?: string }): never;
}

/**
 * What every scanning command does around its own plan: trust inputs, outputs and progress, the common
 * plan fields, the exit code, and typed errors as usage (2) or scan (3) failures.
 */
export async function runScanCommand(
  command: CommandErrors,
  label: string,
  flags: ScanCommandFlags,
  scan: (common: CommonPlan) => Promise<ScanReport>,
): Promise<void> {
  const [
    { startOutputs, finishOutputs, resultHook },
    { stderrLogger },
    { loadTrustConfig },
    { SigscanError },
    { checkTrustPaths },
    { interruptOnSignals },
  ] = await Promise.all([
    import('./output.js'),
    import('../util/logger.js'),
    import('../trust/config.js'),
    import('../errors.js'),
    import('../scan/preflight.js'),
    import('../scan/interrupt.js'),
  ]);
  let interrupt: ReturnType<typeof interruptOnSignals> | undefined;
  try {
    // Every input is checked before the first request: a bad one is a usage error naming its flag.
    const trust = await loadTrustConfig(trustInput(flags));
    await checkTrustPaths(trust);
    const plugins = await pluginsFromFlags(flags);
    const shard = flags.shard ? parseShardFlag(flags.shard) : undefined;
    const scanId = randomUUID();
    const writer = await startOutputs(flags, scanId);
    const hook = await resultHook(writer, label);
    const log = stderrLogger(flags.verbose);
    interrupt = interruptOnSignals((sig) =>
      process.stderr.write(
        `sigscan: ${sig}: no new targets; writing the report of what finished (again to quit at once)\n`,
      ),
    );
    const report = await scan({
      trust,
      concurrency: flags.concurrency,
      log,
      onResult: hook.onResult,
      onTotal: hook.onTotal,
      shard,
      retainResults: writer.retainResults,
      signal: interrupt.signal,
      scanId,
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
    for (const n of report.notChecked ?? []) log.warn(`${n.family} not checked: ${n.reason}`);
    const code = await finishOutputs(writer, report);
    const stopped = interrupt.exitCode();
    if (stopped !== undefined) {
      // Requests abandoned after the grace period may still hold sockets open: end now, report written.
      process.exit(stopped);
    }
    process.exitCode = code;
  } catch (err) {
    if (err instanceof SigscanError)
      command.error(err.message, { exit: err.code === 'USAGE' ? 2 : 3, code: err.code });
    throw err;
  } finally {
    interrupt?.dispose();
  }
}
