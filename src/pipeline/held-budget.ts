/** An open batch as the memory bound sees it (Batch: its files' held bytes, last line, release). */
export interface HeldBatch {
  readonly heldBytes: number;
  readonly lastLine: number;
  release(): void;
}

export interface OpenBatch<B extends HeldBatch = HeldBatch> {
  batch: B;
  /** Completes the batch's files (hands it to the flusher). */
  close: () => void;
}

/**
 * Brings what the open batches in `candidates` hold (`held` in all) within `budget`: those written to least
 * recently first let go of what they can without closing; if that is not enough, they are completed in the same
 * order until the rest fits.
 */
export function fitHeldBudget(candidates: OpenBatch[], held: number, budget: number): { released: number; closed: number } {
  if (held <= budget) return { released: 0, closed: 0 };
  const oldestFirst = [...candidates].sort((a, b) => a.batch.lastLine - b.batch.lastLine);
  let released = 0;
  for (const { batch } of oldestFirst) {
    if (held <= budget) break;
    held -= batch.heldBytes;
    batch.release();
    held += batch.heldBytes;
    released++;
  }
  let closed = 0;
  for (const { batch, close } of oldestFirst) {
    if (held <= budget) break;
    held -= batch.heldBytes;
    close();
    closed++;
  }
  return { released, closed };
}
