import { parseCursor } from "../s3/cursor-partition.js";

/**
 * The smallest and largest cursor value of one object's records, for the run manifest. Values are compared as
 * instants (date-times with any offset, or none = UTC; dates) or as numbers; anything else is ignored. The values
 * reported are the records' own (as parsed from the input).
 */
export class CursorRange {
  min: unknown = null;
  max: unknown = null;
  private minKey = Infinity;
  private maxKey = -Infinity;

  note(value: unknown): void {
    const key = orderKey(value);
    if (key === undefined) return;
    if (key < this.minKey) {
      this.minKey = key;
      this.min = value;
    }
    if (key > this.maxKey) {
      this.maxKey = key;
      this.max = value;
    }
  }
}

function orderKey(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  const cursor = parseCursor(value);
  if (cursor.kind === "instant") return cursor.epochMs;
  if (cursor.kind === "date") return Date.UTC(cursor.year, cursor.month - 1, cursor.day);
  return undefined;
}
