/**
 * Decides when a STATE may leave. Every message has a sequence number (its input line). A unit of unstored
 * records (a buffer, then its file and upload) is registered with the sequence of its first record and settled
 * once its object is complete. A STATE with sequence s is released when no unit with first record < s is unsettled.
 * STATEs leave in order and unchanged; when several are releasable at once only the latest is emitted (it stands
 * in for the earlier ones), unless `emitEach` is set (Airbyte per-stream states: a later STATE of one stream does
 * not stand in for another stream's), then every releasable STATE is emitted in order. After `fail()` nothing is
 * ever emitted again.
 */
export class StateLedger<S = unknown> {
  private readonly open = new Map<number, number>(); // unit id → first sequence
  private readonly pending: Array<{ seq: number; value: S }> = [];
  private nextUnit = 1;
  private failed = false;
  private emitted = 0;

  constructor(
    private readonly emit: (value: S) => void,
    private readonly options: { emitEach?: boolean } = {},
  ) {}

  /** A new unit whose first record has sequence `firstSeq`; returns its id. */
  register(firstSeq: number): number {
    const id = this.nextUnit++;
    this.open.set(id, firstSeq);
    return id;
  }

  settle(unit: number): void {
    this.open.delete(unit);
    this.release();
  }

  state(seq: number, value: S): void {
    this.pending.push({ seq, value });
    this.release();
  }

  fail(): void {
    this.failed = true;
    this.pending.length = 0;
  }

  get emittedCount(): number {
    return this.emitted;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  private release(): void {
    if (this.failed || this.pending.length === 0) return;
    let oldest = Infinity;
    for (const seq of this.open.values()) if (seq < oldest) oldest = seq;
    let releasable = 0;
    while (releasable < this.pending.length && this.pending[releasable]!.seq < oldest) releasable++;
    if (releasable === 0) return;
    const released = this.pending.splice(0, releasable);
    for (const entry of this.options.emitEach ? released : released.slice(-1)) {
      this.emitted++;
      this.emit(entry.value);
    }
  }
}
