import type { TargetResult } from '../model/index.js';

/**
 * A live progress line on stderr, only when stderr is a terminal: scripts and CI logs get nothing.
 * Redrawn at most ten times a second so that progress never costs more than the scan. With a known
 * total (an image list) it shows done/total, the rate and the time left; a crawl or a walk, whose
 * total is only known at its end, shows what is done and the rate.
 */
export class ProgressLine {
  private done = 0;
  private signed = 0;
  private errors = 0;
  private total?: number;
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly stream: Pick<NodeJS.WriteStream, 'write' | 'columns'>,
    private readonly label: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.started = clock();
  }

  static forStderr(label: string): ProgressLine | undefined {
    return process.stderr.isTTY && !process.env.CI ? new ProgressLine(process.stderr, label) : undefined;
  }

  /** The number of targets the scan will report, once a source knows it. */
  setTotal(total: number): void {
    this.total = total;
  }

  tick(result: TargetResult): void {
    this.done++;
    if (result.status === 'signed') this.signed++;
    this.errors += result.errors.length;
    const now = this.clock();
    if (now - this.lastDraw >= 100) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  finish(): void {
    if (this.drawn) this.stream.write(`\r${' '.repeat(this.width)}\r`);
  }

  /** Plain carriage returns and spaces, no escape sequences: NO_COLOR terminals get clean text too. */
  private get width(): number {
    return Math.max(20, (this.stream.columns ?? 80) - 1);
  }

  /** The line as drawn at `now` (exposed for tests). */
  text(now: number = this.clock()): string {
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const perSecond = this.done / seconds;
    const rate = `${perSecond.toFixed(1)}/s`;
    const tail = `${this.signed} signed, ${this.errors} ${this.errors === 1 ? 'error' : 'errors'}`;
    if (this.total !== undefined && this.total >= this.done) {
      const pct = this.total ? Math.floor((100 * this.done) / this.total) : 100;
      const left = perSecond > 0 ? (this.total - this.done) / perSecond : undefined;
      const eta = left === undefined ? '' : `, ETA ${duration(left)}`;
      return `${this.label}: ${this.done}/${this.total} targets (${pct}%), ${rate}${eta}; ${tail}`;
    }
    return `${this.label}: ${this.done} ${this.done === 1 ? 'target' : 'targets'} done, ${rate}; ${tail}`;
  }

  private draw(now: number): void {
    this.stream.write(`\r${this.text(now).slice(0, this.width).padEnd(this.width)}`);
    this.drawn = true;
  }
}

/** 75 -> "1m15s", 3725 -> "1h02m". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
