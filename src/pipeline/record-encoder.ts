import { LINE_FIELD, RECEIVED_FIELD } from "../schema/projection.js";

/** A record as the router hands it to a spool: its parsed value and, when the protocol kept it, its source text. */
export interface IncomingRecord {
  record: Record<string, unknown>;
  /** The record's exact JSON text from the input line (exact big numbers, no re-serialising). */
  rawText: string | undefined;
  timeExtracted: string | undefined;
  version: number | undefined;
}

export type RecordShape = (record: Record<string, unknown>) => Record<string, unknown>;
export type RecordEncoder = (incoming: IncomingRecord, line: number, batchedAt: string, shape: RecordShape | undefined) => string;

/**
 * The spool line DuckDB reads (csv, parquet): the record's source text wrapped with the line number, receive time,
 * time_extracted and version. DuckDB types the values from the original text: exact big integers, offsets kept.
 */
export function duckEncoder(withReceived: boolean): RecordEncoder {
  return (incoming, line) => {
    const received = withReceived ? `,"${RECEIVED_FIELD}":${Date.now()}` : "";
    const te = incoming.timeExtracted === undefined ? "" : `,"time_extracted":${JSON.stringify(incoming.timeExtracted)}`;
    const version = incoming.version === undefined ? "" : `,"version":${incoming.version}`;
    const raw = incoming.rawText ?? JSON.stringify(incoming.record);
    return `{"${LINE_FIELD}":${line}${received}${te}${version},"record":${raw}}\n`;
  };
}

const SDC_FIELDS = ["_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at", "_sdc_sequence", "_sdc_table_version"] as const;

/** JSON formats: the record's own source text, with `_sdc_*` fields spliced in front when metadata is on. */
export function jsonEncoder(metadata: boolean): RecordEncoder {
  return (incoming, line, batchedAt, shape) => {
    const { record } = incoming;
    if (shape) {
      const shaped = shape(record);
      if (metadata) Object.assign(shaped, sdcValues(line, incoming, batchedAt));
      return JSON.stringify(shaped) + "\n";
    }
    const raw = incoming.rawText ?? JSON.stringify(record);
    if (!metadata) return raw + "\n";
    if (SDC_FIELDS.some((f) => f in record)) return JSON.stringify({ ...record, ...sdcValues(line, incoming, batchedAt) }) + "\n";
    const fields = JSON.stringify(sdcValues(line, incoming, batchedAt));
    const inner = raw.slice(raw.indexOf("{") + 1).trimStart();
    const deleted = "_sdc_deleted_at" in record ? "" : `,"_sdc_deleted_at":null`;
    return inner.startsWith("}") ? `${fields.slice(0, -1)}${deleted}}\n` : `${fields.slice(0, -1)}${deleted},${inner}\n`;
  };
}

function sdcValues(line: number, incoming: IncomingRecord, batchedAt: string): Record<string, unknown> {
  return {
    _sdc_extracted_at: incoming.timeExtracted ?? null,
    _sdc_received_at: new Date().toISOString(),
    _sdc_batched_at: batchedAt,
    _sdc_sequence: line,
    _sdc_table_version: incoming.version ?? null,
  };
}
