import type { TargetResult } from '../model/index.js';

/**
 * A live progress line on stderr, only when stderr is a terminal: scripts and CI logs get nothing.
 * Redrawn at most ten times a second so that progress never costs more than the scan.
 */
export class ProgressLine {
  private done = 0;
  private signed = 0;
  private errors = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  static forStderr(label: string): ProgressLine | undefined {
    return process.stderr.isTTY && !process.env.CI ? new ProgressLine(process.stderr, label) : undefined;
  }

  tick(result: TargetResult): void {
    this.done++;
    if (result.status === 'signed') this.signed++;
    this.errors += result.errors.length;
    const now = Date.now();
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

  private draw(now: number): void {
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = (this.done / seconds).toFixed(1);
    const text = `${this.label}: ${this.done} targets done (${this.signed} signed), ${rate}/s, ${this.errors} errors`;
    this.stream.write(`\r${text.slice(0, this.width).padEnd(this.width)}`);
    this.drawn = true;
  }
}
