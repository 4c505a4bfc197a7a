/** Every request counted by kind and status, for `--stats` and the request-budget tests. */
export interface RequestStatsSnapshot {
  requests: number;
  byKind: Record<string, Record<string, number>>;
  retries: number;
  bytes: number;
  elapsedMs: number;
}

export class RequestStats {
  private readonly started = Date.now();
  private total = 0;
  private retryCount = 0;
  private byteCount = 0;
  private readonly kinds = new Map<string, Map<string, number>>();

  record(kind: string, status: number | string, bytes: number): void {
    this.total++;
    this.byteCount += bytes;
    const perKind = this.kinds.get(kind) ?? new Map<string, number>();
    const key = String(status);
    perKind.set(key, (perKind.get(key) ?? 0) + 1);
    this.kinds.set(kind, perKind);
  }

  retry(): void {
    this.retryCount++;
  }

  snapshot(): RequestStatsSnapshot {
    const byKind: Record<string, Record<string, number>> = {};
    for (const [kind, statuses] of [...this.kinds].sort(([a], [b]) => a.localeCompare(b))) {
      byKind[kind] = Object.fromEntries([...statuses].sort(([a], [b]) => a.localeCompare(b)));
    }
    return {
      requests: this.total,
      byKind,
      retries: this.retryCount,
      bytes: this.byteCount,
      elapsedMs: Date.now() - this.started,
    };
  }
}
