/** Logs go to stderr only; stdout is reserved for the report. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export function stderrLogger(verbose: boolean): Logger {
  return {
    debug: (m) => {
      if (verbose) process.stderr.write(`debug: ${m}\n`);
    },
    info: (m) => {
      if (verbose) process.stderr.write(`${m}\n`);
    },
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };
