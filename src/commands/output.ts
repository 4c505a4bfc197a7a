import type { ReportWriter } from '../report/emit.js';
import type { OutputFormat } from '../report/formats.js';
import type { FailOnCondition } from '../scan/exit-code.js';

export interface OutputFlagValues {
  output: string;
  'output-file'?: string;
  force?: boolean;
  'report-format'?: string[];
  'report-dir'?: string;
  'fail-on'?: string[];
}

/** Flags in, a ReportWriter out; fails (SigscanError USAGE) before any scanning when an output is unusable. */
export async function startOutputs(flags: OutputFlagValues, scanId?: string): Promise<ReportWriter> {
  const { ReportWriter, checkOutputPlan } = await import('../report/emit.js');
  const plan = {
    format: flags.output as OutputFormat,
    outputFile: flags['output-file'],
    force: flags.force,
    reportFormats: flags['report-format'] as OutputFormat[] | undefined,
    reportDir: flags['report-dir'],
    width: terminalWidth(),
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    cwd: process.cwd(),
    failOn: (flags['fail-on'] ?? []) as FailOnCondition[],
    scanId,
  };
  await checkOutputPlan(plan);
  return new ReportWriter(plan, { write: (text) => process.stdout.write(text) });
}

/** The terminal's width; when piped, $COLUMNS if set, else the reporter's default. */
export function terminalWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : undefined;
}

/** The writer's per-result hook, plus a progress line when stderr is a terminal. */
export async function resultHook(
  writer: ReportWriter,
  label: string,
): Promise<{
  onResult: (r: import('../model/index.js').TargetResult) => void;
  onTotal: (total: number) => void;
  done: () => void;
}> {
  const { ProgressLine } = await import('../report/progress.js');
  const progress = ProgressLine.forStderr(label);
  return {
    onResult: (r) => {
      writer.onResult(r);
      progress?.tick(r);
    },
    onTotal: (total) => progress?.setTotal(total),
    done: () => progress?.finish(),
  };
}

/**
 * Finishes the outputs, names saved files on stderr, and returns the exit code. When an output cannot be
 * written after the scan (disk full, a directory removed meanwhile), the results are not lost: the JSON
 * report goes to --report-dir or the temp directory, stderr says where, and the exit code is 3.
 */
export async function finishOutputs(
  writer: ReportWriter,
  report: import('../scan/report-model.js').ScanReport,
): Promise<number> {
  let files: string[];
  try {
    files = await writer.finish(report);
  } catch (err) {
    const saved = await writer.rescue(report);
    process.stderr.write(
      `sigscan: writing the report failed (${(err as Error).message}); the JSON report was saved to ${saved}\n`,
    );
    await drainStdout();
    return 3;
  }
  for (const f of files) process.stderr.write(`report written: ${f}\n`);
  await drainStdout();
  return writer.exitCode(report);
}

function drainStdout(): Promise<void> {
  return new Promise<void>((resolve) =>
    process.stdout.writableLength ? process.stdout.once('drain', resolve) : resolve(),
  );
}
