import { objectFields, rawAtPath } from "../schema/lossless-json.js";
import { CHANGES_FIELD, LINE_FIELD, RECEIVED_FIELD, TARGET_METADATA_COLUMNS } from "../schema/projection.js";
import { rawFieldText } from "../protocol/raw-record.js";
import type { SpoolEntry } from "./spool-entry.js";
import type { ExactTextRewriter } from "../schema/shape-record.js";

/** A record as the router hands it to a spool: its parsed value and, when the protocol kept it, its source text. */
export interface IncomingRecord {
  record: Record<string, unknown>;
  /** The record's exact JSON text from the input line (exact big numbers, no re-serialising), when known. */
  rawText: string | undefined;
  /** The Singer line the record came from: its `record` text is looked up only when a file needs it. */
  lineText?: string | undefined;
  timeExtracted: string | undefined;
  version: number | undefined;
  /** The whole input line, when the record is its top-level `record` field (Singer): written to spools as bytes. */
  lineBytes?: Buffer | undefined;
  /** Keys and string values of `lineText` outside the record (the Singer envelope): see duplicate-keys.ts. */
  envelopeStrings?: number | undefined;
  /** The record as the tap sent it, when stream maps or Airbyte metadata columns rebuilt this one: duplicate keys are looked for there. */
  unmapped?: IncomingRecord | undefined;
  /** invalid_record_policy=nullify: the fields written as null, as `_sdc_changes` JSON text (record-changes.ts). */
  changes?: string | undefined;
}

/** The record's source text: given, found in its line on demand, or (no source) serialised. */
function sourceOf(incoming: IncomingRecord): string {
  return incoming.rawText ?? (incoming.lineText !== undefined ? rawFieldText(incoming.lineText, "record") : undefined) ?? JSON.stringify(incoming.record);
}

/** JSON formats with flattening or casing: the record's members as [column name, value source text]. */
export type RecordShape = (record: Record<string, unknown>, rawText: string | undefined) => Array<[string, string]>;
/** `exactText` (CSV/Parquet only) rewrites the record text so DuckDB reads DECIMAL and JSON values exactly. */
export type RecordEncoder = (
  incoming: IncomingRecord,
  line: number,
  batchedAt: string,
  shape: RecordShape | undefined,
  exactText?: ExactTextRewriter,
) => SpoolEntry;

/**
 * The spool line DuckDB reads (csv, parquet): the record's source text wrapped with the line number, receive time,
 * time_extracted and version. DuckDB types the values from the original text: exact big integers, offsets kept.
 * When nothing has to change in the record (no exact-text rewriting, no metadata), the Singer line itself is
 * spooled as bytes behind the line number: DuckDB reads its top-level `record`, `time_extracted` and `version`.
 */
export function duckEncoder(withReceived: boolean): RecordEncoder {
  return (incoming, line, _batchedAt, _shape, exactText) => {
    if (incoming.lineBytes !== undefined && exactText === undefined && !withReceived) {
      return { prefix: `{"${LINE_FIELD}":${line},`, bytes: incoming.lineBytes };
    }
    const received = withReceived ? `,"${RECEIVED_FIELD}":${Date.now()}` : "";
    // The changes' JSON text as a JSON string: DuckDB reads it as VARCHAR, exactly (projection.ts).
    const changes = incoming.changes === undefined ? "" : `,"${CHANGES_FIELD}":${JSON.stringify(incoming.changes)}`;
    const te = incoming.timeExtracted === undefined ? "" : `,"time_extracted":${JSON.stringify(incoming.timeExtracted)}`;
    const version = incoming.version === undefined ? "" : `,"version":${incoming.version}`;
    // Found and rewritten in the Singer line in one pass when it can; otherwise the record's text, then rewritten.
    const inLine = exactText && incoming.rawText === undefined && incoming.lineText !== undefined ? exactText.inLine(incoming.lineText) : undefined;
    const raw = inLine ?? (exactText ? exactText(sourceOf(incoming)) : sourceOf(incoming));
    return `{"${LINE_FIELD}":${line}${received}${te}${version}${changes},"record":${raw}}\n`;
  };
}

/**
 * JSON formats: the record's own source text; with flattening or casing its members are re-keyed (values copied
 * as source text, see shape-record.ts); with metadata the `_sdc_*` fields are spliced in front. Values are never
 * re-serialised, so numbers keep every digit. A tap's own `_sdc_deleted_at` is kept (even if the schema omits it);
 * the other `_sdc_*` values are the target's.
 */
export function jsonEncoder(metadata: boolean, changesColumn = false): RecordEncoder {
  return (incoming, line, batchedAt, shape) => {
    const { record } = incoming;
    const raw = sourceOf(incoming);
    if (!shape) {
      if (!metadata) return raw + "\n";
      if (!TARGET_METADATA_COLUMNS.some((f) => f in record)) {
        // Fast path: splice the metadata in front of the source text.
        const fields = JSON.stringify(sdcValues(line, incoming, batchedAt, changesColumn));
        const inner = raw.slice(raw.indexOf("{") + 1).trimStart();
        const deleted = "_sdc_deleted_at" in record ? "" : `,"_sdc_deleted_at":null`;
        return inner.startsWith("}") ? `${fields.slice(0, -1)}${deleted}}\n` : `${fields.slice(0, -1)}${deleted},${inner}\n`;
      }
    }
    const members = shape ? shape(record, raw) : (objectFields(raw) ?? []);
    if (!metadata) return `{${joinMembers(members)}}\n`;
    const ours = sdcValues(line, incoming, batchedAt, changesColumn);
    const kept = members.filter(([name]) => !(name in ours));
    if (!kept.some(([name]) => name === "_sdc_deleted_at")) {
      const sent = "_sdc_deleted_at" in record ? rawAtPath(raw, ["_sdc_deleted_at"]) : undefined;
      kept.unshift(["_sdc_deleted_at", sent ?? "null"]);
    }
    const head = JSON.stringify(ours).slice(1, -1);
    return `{${head}${kept.length > 0 ? "," + joinMembers(kept) : ""}}\n`;
  };
}

function joinMembers(members: Array<[string, string]>): string {
  return members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(",");
}

function sdcValues(line: number, incoming: IncomingRecord, batchedAt: string, changesColumn: boolean): Record<string, unknown> {
  const values: Record<string, unknown> = {
    _sdc_extracted_at: incoming.timeExtracted ?? null,
    _sdc_received_at: new Date().toISOString(),
    _sdc_batched_at: batchedAt,
    _sdc_sequence: line,
    _sdc_table_version: incoming.version ?? null,
  };
  if (changesColumn) values["_sdc_changes"] = incoming.changes === undefined ? null : (JSON.parse(incoming.changes) as unknown);
  return values;
}
