/**
 * Maps an async iterable with at most `concurrency` calls in flight, yielding results as they finish.
 * Pulls from the source only when a slot frees up, so a huge source is never read ahead of the work.
 */
export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncIterable<R> {
  const iterator =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source as Iterable<T>);
  const running = new Map<number, Promise<{ id: number; result: R }>>();
  let nextId = 0;
  let exhausted = false;

  const pull = async (): Promise<void> => {
    while (!exhausted && running.size < concurrency) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const id = nextId++;
      running.set(
        id,
        fn(next.value).then((result) => ({ id, result })),
      );
    }
  };

  await pull();
  while (running.size > 0) {
    const { id, result } = await Promise.race(running.values());
    running.delete(id);
    yield result;
    await pull();
  }
}

async function* toAsyncGen<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

function toAsync<T>(items: Iterable<T>): AsyncIterator<T> {
  return toAsyncGen(items)[Symbol.asyncIterator]();
}
