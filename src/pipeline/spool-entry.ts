/**
 * What a spool takes for one record: a string, or (CSV/Parquet from Singer lines) the input line's own bytes behind
 * a short prefix, so the record is neither decoded into a string again nor re-encoded on its way to disk.
 */
export interface LineBytes {
  /** ASCII text written before the bytes: `{"__target_s3_line":N,` (the bytes then continue after their first `{`). */
  prefix: string;
  bytes: Buffer;
}

export type SpoolEntry = string | LineBytes;

/** Size used for batch limits: UTF-16 code units of a string, bytes of a line (its "{" is replaced by the prefix, a newline added). */
export function entrySize(entry: SpoolEntry): number {
  return typeof entry === "string" ? entry.length : entry.prefix.length + entry.bytes.length;
}

/** The entry as text, where a consumer needs a string (JSON formats never get LineBytes; this keeps it total). */
export function entryText(entry: SpoolEntry): string {
  return typeof entry === "string" ? entry : entry.prefix + entry.bytes.subarray(entry.bytes.indexOf(0x7b) + 1).toString("utf8") + "\n";
}
