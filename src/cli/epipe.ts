/** `sigscan ... | head` closes stdout early: stop quietly, as Unix tools do, keeping the exit code. */
export function stopQuietlyOnEpipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw err;
  });
}
