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
export async function startOutputs(flags: OutputFlagValues): Promise<ReportWriter> {
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

/** Finishes the outputs, names saved files on stderr, and returns the exit code. */
export async function finishOutputs(
  writer: ReportWriter,
  report: import('../scan/report-model.js').ScanReport,
): Promise<number> {
  const files = await writer.finish(report);
  for (const f of files) process.stderr.write(`report written: ${f}\n`);
  await new Promise<void>((resolve) =>
    process.stdout.writableLength ? process.stdout.once('drain', resolve) : resolve(),
  );
  return writer.exitCode(report);
}
