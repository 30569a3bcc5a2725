import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { duplicateKeyPath } from "../protocol/duplicate-keys.js";
import { rawFieldText } from "../protocol/raw-record.js";
import { LINE_FIELD } from "../schema/projection.js";

/** The input line a spool line came from: every spool line starts with it (record-encoder.ts). */
const INPUT_LINE = new RegExp(`^\\{"${LINE_FIELD}":(\\d+)`);

export interface Culprit {
  /** The input line of the record DuckDB refused. */
  line: number;
  /** What is wrong with it, when found here (a duplicate key); else DuckDB's reason stands. */
  problem?: string;
}

/**
 * The input line of the record a failed conversion of a spool file refers to, so the error names it (DuckDB names
 * the spool file's line). A duplicate key (validate_records off: nothing refused it before) is found by scanning the
 * spool; other errors by the spool line DuckDB names. Undefined when neither is found. Only on the error path.
 */
export async function findCulprit(spoolPath: string, reason: string): Promise<Culprit | undefined> {
  const duplicate = /has duplicate key/.test(reason);
  const spoolLine = Number(/in line (\d+)/.exec(reason)?.[1] ?? Number.NaN);
  if (!duplicate && !Number.isInteger(spoolLine)) return undefined;
  const lines = createInterface({ input: createReadStream(spoolPath, "utf8"), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) {
      n++;
      const line = Number(INPUT_LINE.exec(text)?.[1] ?? Number.NaN);
      if (!duplicate) {
        if (n === spoolLine) return Number.isInteger(line) ? { line } : undefined;
        continue;
      }
      const record = rawFieldText(text, "record");
      const path = record === undefined ? undefined : duplicateKeyPath(record);
      if (path && Number.isInteger(line)) return { line, problem: `key '${path.join(".")}' is sent twice in one object (a duplicate key)` };
    }
  } catch {
    // The spool is gone or unreadable: the error keeps DuckDB's own words.
  } finally {
    lines.close();
  }
  return undefined;
}
