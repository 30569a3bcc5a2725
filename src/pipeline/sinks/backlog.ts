/**
 * Work handed off but not yet finished (segments waiting for DuckDB or for their upload), counted across the run.
 * Appends wait while it is at its limit, so spooled segments on disk stay bounded however slow conversion is.
 */
export class Backlog {
  private size = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Counts `work` until it settles. */
  track(work: Promise<unknown>): void {
    this.size++;
    const settle = (): void => {
      this.size--;
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
    work.then(settle, settle);
  }

  /** A promise to wait on while the backlog is full; undefined when there is room. */
  room(): Promise<void> | undefined {
    if (this.size < this.limit) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.room());
  }
}
