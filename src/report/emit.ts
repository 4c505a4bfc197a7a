import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { access, mkdir, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { SigscanError } from '../errors.js';
import type { TargetResult } from '../model/index.js';
import { SummaryAccumulator, type ScanReport } from '../scan/report-model.js';
import {
  exitCodeFor,
  ExitCode,
  matchesFailOn,
  scanErrorsMatch,
  type FailOnCondition,
} from '../scan/exit-code.js';
import { FORMAT_EXTENSIONS, type OutputFormat } from './formats.js';
import { renderLazily } from './render.js';
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
  /** The scan's id, written on every ndjson line as it streams. */
  scanId?: string;
}

export interface Output {
  write(text: string): void;
}

/**
 * Fails early (before any scanning) on outputs that cannot be written: an existing --output-file without
 * --force, an --output-file in a directory that does not exist or cannot be written, a --report-dir that
 * cannot be made or written. Report-dir files never collide: a numeric suffix is added instead.
 */
export async function checkOutputPlan(plan: OutputPlan): Promise<void> {
  if (plan.outputFile) await checkWritableDir(dirname(resolve(plan.outputFile)), '--output-file', false);
  if (plan.reportFormats?.length) {
    // Made now rather than after the scan: a directory that cannot be made is found before any work.
    const dir = resolve(plan.reportDir ?? 'reports');
    try {
      await makeDirs(dir);
    } catch (err) {
      throw new SigscanError('USAGE', `--report-dir: cannot make ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    await checkWritableDir(dir, '--report-dir', false);
  }
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
 * The directory (or, when `mayCreate`, its nearest existing ancestor) must be a writable directory. Named by
 * the flag, as a usage error, before any request is made.
 */
async function checkWritableDir(dir: string, flag: string, mayCreate: boolean): Promise<void> {
  let probe = dir;
  for (;;) {
    try {
      const info = await stat(probe);
      if (!info.isDirectory()) throw new SigscanError('USAGE', `${flag}: ${probe} is not a directory`);
      break;
    } catch (err) {
      if (err instanceof SigscanError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (!mayCreate || code !== 'ENOENT' || dirname(probe) === probe)
        throw new SigscanError('USAGE', `${flag}: directory ${probe} does not exist or cannot be read`, {
          cause: err,
        });
      probe = dirname(probe);
    }
  }
  try {
    await access(probe, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new SigscanError('USAGE', `${flag}: directory ${probe} is not writable`, { cause: err });
  }
}

/**
 * Makes a directory one level at a time. (A recursive mkdir under a pseudo file system such as /proc can
 * fail in ways that Node retries forever; one level at a time always ends.)
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let probe = resolve(dir);
  for (;;) {
    try {
      if ((await stat(probe)).isDirectory()) break;
      throw new SigscanError('USAGE', `${probe} is not a directory`);
    } catch (err) {
      if (err instanceof SigscanError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(probe) === probe) throw err;
      missing.unshift(probe);
      probe = dirname(probe);
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
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
    const line = targetLine(r, { scanId: this.plan.scanId });
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
      const line = summaryLine(
        report,
        this.summary.finish(report.scanErrors, report.filesSkipped, report.orphans),
      );
      if (this.plan.outputFile) {
        this.ndjsonFd ??= openSync(this.plan.outputFile, this.plan.force ? 'w' : 'wx');
        writeSync(this.ndjsonFd, line);
        closeSync(this.ndjsonFd);
        written.push(this.plan.outputFile);
      } else {
        this.stdout.write(line);
      }
    } else {
      const text = await this.text(report, this.plan.format);
      if (this.plan.outputFile) {
        await writeNew(this.plan.outputFile, text, this.plan.force);
        written.push(this.plan.outputFile);
      } else {
        this.stdout.write(text);
      }
    }
    if (this.plan.reportFormats?.length) {
      const dir = this.plan.reportDir ?? 'reports';
      await makeDirs(dir);
      const stem = `sigscan-${report.command}-${stamp(report.startedAt)}`;
      for (const format of [...new Set(this.plan.reportFormats)]) {
        written.push(
          await writeUnique(dir, stem, FORMAT_EXTENSIONS[format], await this.text(report, format)),
        );
      }
    }
    return written;
  }

  /**
   * After `finish` failed: the scan's results must not be lost. Writes the JSON report to --report-dir, or
   * to the temp directory when that fails too, and returns its path.
   */
  async rescue(report: ScanReport): Promise<string> {
    const stem = `sigscan-${report.command}-${stamp(report.startedAt)}`;
    const text = await renderLazily(report, 'json');
    try {
      const dir = this.plan.reportDir ?? 'reports';
      await makeDirs(dir);
      return await writeUnique(dir, stem, 'json', text);
    } catch {
      return writeUnique(tmpdir(), stem, 'json', text);
    }
  }

  exitCode(report: ScanReport): number {
    if (this.retainResults) return exitCodeFor(report, [...this.failOn]);
    if (this.policyMatched || scanErrorsMatch(report, this.failOn)) return ExitCode.policy;
    return this.targetErrors || report.scanErrors.length ? ExitCode.errors : ExitCode.ok;
  }

  private text(report: ScanReport, format: OutputFormat): Promise<string> {
    const toFile = format !== this.plan.format || Boolean(this.plan.outputFile);
    return renderLazily(report, format, {
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
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw err;
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
