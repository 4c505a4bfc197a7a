/** `--stats` for people: requests per kind and status, retries, bytes and time, as aligned text. */
export function renderStatsTable(stats: unknown): string {
  const s = stats as {
    requests?: number;
    byKind?: Record<string, Record<string, number>>;
    retries?: number;
    bytes?: number;
    elapsedMs?: number;
  };
  const kinds = Object.entries(s.byKind ?? {});
  const width = Math.max(8, ...kinds.map(([k]) => k.length));
  const lines = ['Requests'];
  for (const [kind, statuses] of kinds) {
    const total = Object.values(statuses).reduce((a, b) => a + b, 0);
    const detail = Object.entries(statuses)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ');
    lines.push(`  ${kind.padEnd(width)}  ${String(total).padStart(6)}  (${detail})`);
  }
  lines.push(`  ${'total'.padEnd(width)}  ${String(s.requests ?? 0).padStart(6)}`);
  lines.push(
    `  retries ${s.retries ?? 0}, ${megabytes(s.bytes ?? 0)} received, ${((s.elapsedMs ?? 0) / 1000).toFixed(1)} s`,
  );
  return `${lines.join('\n')}\n`;
}

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
