/**
 * Runs tasks one at a time, in the order they were queued. DuckDB conversions share it: one COPY already uses
 * every DuckDB thread, and several at once would split memory_limit between them (and run out of it).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
