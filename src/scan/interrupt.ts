import { ExitCode } from './exit-code.js';

/** Stops pulling from a source once the signal aborts: work already started is left to finish. */
export async function* stopOnAbort<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  if (signal.aborted) return;
  for await (const item of source) {
    yield item;
    if (signal.aborted) return;
  }
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * SIGINT and SIGTERM abort the scan instead of killing the process, so that the report of what finished
 * is still written. A second signal exits at once (the user insists). `dispose` removes the handlers.
 */
export function interruptOnSignals(onFirst?: (signal: StopSignal) => void): {
  signal: AbortSignal;
  received: () => StopSignal | undefined;
  exitCode: () => number | undefined;
  dispose: () => void;
} {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handler = (sig: StopSignal) => {
    if (received) process.exit(sig === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
    received = sig;
    onFirst?.(sig);
    controller.abort(new Error(`${sig} received`));
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => received,
    exitCode: () =>
      received === 'SIGINT' ? ExitCode.sigint : received === 'SIGTERM' ? ExitCode.sigterm : undefined,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
