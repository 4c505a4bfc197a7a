import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { access, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

import { SigscanError } from '../errors.js';
import type { TargetResult } from '../model/index.js';
import { SummaryAccumulator, type ScanReport } from '../scan/report-model.js';
import { exitCodeFor, ExitCode, matchesFailOn, type FailOnCondition } from '../scan/exit-code.js';
import { FORMAT_EXTENSIONS, type OutputFormat } from './formats.js';
import { render } from './index.js';
import { summaryLine, targetLine } from './ndjson.js';

/** Where a report goes: the -o format to stdout or --output-file, plus --report-format files in --report-dir. */
export interface OutputPlan {
  format: OutputFormat;
  outputFile?: string;
  /** Overwrite --output-file if it exists (otherwise that is a usage error). */
  force?: boolean;
  reportDir?: string;
  reportFormats?: OutputFormat[];
  width?: number;
  color?: boolean;
  cwd?: string;
  failOn?: FailOnCondition[];
}

export interface Output {
  write(text: string): void;
}

/**
 * Fails early (before any scanning) on outputs that cannot be written: an existing --output-file without
 * --force. Report-dir files never collide: a numeric suffix is added instead.
 */
export async function checkOutputPlan(plan: OutputPlan): Promise<void> {
  if (plan.outputFile && !plan.force) {
    const exists = await access(plan.outputFile, constants.F_OK).then(
      () => true,
      () => false,
    );
    if (exists)
      throw new SigscanError(
        'USAGE',
        `--output-file ${plan.outputFile} exists; sigscan never overwrites a report silently (use --force)`,
      );
  }
}

/**
 * Receives results as a scan produces them and writes the outputs at the end. With `-o ndjson` each result is
 * written as it finishes; when nothing else needs the whole report, results are not kept (constant memory).
 */
export class ReportWriter {
  private readonly summary = new SummaryAccumulator();
  private readonly failOn: Set<FailOnCondition>;
  private policyMatched = false;
  private targetErrors = false;
  private ndjsonFd: number | undefined;
  private streamed = false;

  constructor(
    private readonly plan: OutputPlan,
    private readonly stdout: Output,
  ) {
    this.failOn = new Set(plan.failOn ?? []);
  }

  /** Whether the scan must keep every result (false only for a lone -o ndjson). */
  get retainResults(): boolean {
    return !(this.plan.format === 'ndjson' && !(this.plan.reportFormats ?? []).length);
  }

  readonly onResult = (r: TargetResult): void => {
    this.summary.add(r);
    if (this.failOn.size && matchesFailOn(r, this.failOn)) this.policyMatched = true;
    if (r.errors.length) this.targetErrors = true;
    if (this.plan.format !== 'ndjson') return;
    this.streamed = true;
    const line = targetLine(r);
    if (this.plan.outputFile) {
      this.ndjsonFd ??= openSync(this.plan.outputFile, this.plan.force ? 'w' : 'wx');
      writeSync(this.ndjsonFd, line);
    } else {
      this.stdout.write(line);
    }
  };

  /** Writes the -o output and the --report-format files; returns the paths of files written. */
  async finish(report: ScanReport): Promise<string[]> {
    const written: string[] = [];
    if (this.plan.format === 'ndjson' && this.streamed) {
      const line = summaryLine(report, this.summary.finish(report.scanErrors, report.filesSkipped));
      if (this.plan.outputFile) {
        this.ndjsonFd ??= openSync(this.plan.outputFile, this.plan.force ? 'w' : 'wx');
        writeSync(this.ndjsonFd, line);
        closeSync(this.ndjsonFd);
        written.push(this.plan.outputFile);
      } else {
        this.stdout.write(line);
      }
    } else {
      const text = this.text(report, this.plan.format);
      if (this.plan.outputFile) {
        await writeNew(this.plan.outputFile, text, this.plan.force);
        written.push(this.plan.outputFile);
      } else {
        this.stdout.write(text);
      }
    }
    if (this.plan.reportFormats?.length) {
      const dir = this.plan.reportDir ?? 'reports';
      await mkdir(dir, { recursive: true });
      const stem = `sigscan-${report.command}-${stamp(report.startedAt)}`;
      for (const format of [...new Set(this.plan.reportFormats)]) {
        written.push(await writeUnique(dir, stem, FORMAT_EXTENSIONS[format], this.text(report, format)));
      }
    }
    return written;
  }

  exitCode(report: ScanReport): number {
    if (this.retainResults) return exitCodeFor(report, [...this.failOn]);
    if (this.policyMatched || (this.failOn.has('error') && report.scanErrors.length)) return ExitCode.policy;
    return this.targetErrors || report.scanErrors.length ? ExitCode.errors : ExitCode.ok;
  }

  private text(report: ScanReport, format: OutputFormat): string {
    const toFile = format !== this.plan.format || Boolean(this.plan.outputFile);
    return render(report, format, {
      cwd: this.plan.cwd,
      // Files get no colour and the default width; the terminal gets what it can show.
      width: toFile ? undefined : this.plan.width,
      color: toFile ? false : this.plan.color,
    });
  }
}

/** `20261121T232714Z`: sortable, no characters that need quoting. */
export function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

async function writeNew(path: string, text: string, force?: boolean): Promise<void> {
  try {
    const fh = await open(path, force ? 'w' : 'wx');
    try {
      await fh.writeFile(text);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new SigscanError(
        'USAGE',
        `${path} exists; sigscan never overwrites a report silently (use --force)`,
      );
    throw err;
  }
}

/** `<stem>.<ext>`, or `<stem>-2.<ext>`, `-3`, ... when taken: created exclusively, never overwritten. */
async function writeUnique(dir: string, stem: string, ext: string, text: string): Promise<string> {
  for (let n = 1; ; n++) {
    const path = join(dir, `${stem}${n === 1 ? '' : `-${n}`}.${ext}`);
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(text);
      } finally {
        await fh.close();
      }
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw err;
    }
  }
}

/** Writes finished text to --output-file (exclusively unless --force) or to stdout. */
export async function writeReportText(
  text: string,
  plan: Pick<OutputPlan, 'outputFile' | 'force'>,
  stdout: (text: string) => void,
): Promise<void> {
  if (plan.outputFile) await writeNew(plan.outputFile, text, plan.force);
  else stdout(text);
}
