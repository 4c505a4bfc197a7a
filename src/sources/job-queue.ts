/**
 * A bounded hand-off from a producer (the directory walk) to one consumer (the engine). The producer waits
 * while the queue is full, so reading ahead costs at most `capacity` items of memory however large the tree.
 */
export class JobQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: Array<() => void> = [];
  private readonly putters: Array<() => void> = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private cancelled = false;

  constructor(private readonly capacity: number) {}

  /**
   * Queues the item, waiting while the queue is full; false when the consumer has gone and the producer
   * should stop. Answers synchronously when there is room: one promise per file would double the walk's cost.
   */
  put(item: T): boolean | Promise<boolean> {
    if (this.cancelled) return false;
    if (this.items.length >= this.capacity) return this.putWhenRoom(item);
    this.items.push(item);
    this.takers.shift()?.();
    return true;
  }

  private async putWhenRoom(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.cancelled) {
      await new Promise<void>((resolve) => this.putters.push(resolve));
    }
    return this.put(item);
  }

  /** No more items; with an error, the consumer throws it after the queued items. */
  end(error?: unknown): void {
    this.ended = true;
    if (error !== undefined) this.failure = { error };
    for (const wake of this.takers.splice(0)) wake();
  }

  /** The consumer stopped early: wake the producer so that it sees `put` return false. */
  cancel(): void {
    this.cancelled = true;
    for (const wake of this.putters.splice(0)) wake();
  }

  async *drain(): AsyncIterable<T> {
    for (;;) {
      if (this.items.length > 0) {
        const item = this.items.shift() as T;
        this.putters.shift()?.();
        yield item;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => this.takers.push(resolve));
    }
  }
}
