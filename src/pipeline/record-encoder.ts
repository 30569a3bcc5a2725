import type { RecordMessage } from "../protocol/singer.js";
import { rawFieldText } from "../protocol/raw-record.js";
import { LINE_FIELD, RECEIVED_FIELD } from "../schema/projection.js";

/**
 * Turns an accepted RECORD line into the spool line its file needs, without re-serialising the record:
 * - for DuckDB (csv, parquet): the whole message with the line number (and receive time) spliced in, so DuckDB
 *   types the values from the original text (exact big integers, offsets kept);
 * - for JSON formats: the record's own source text, optionally with `_sdc_*` fields spliced in front.
 */
export type RecordShape = (record: Record<string, unknown>) => Record<string, unknown>;
export type RecordEncoder = (text: string, line: number, message: RecordMessage, batchedAt: string, shape: RecordShape | undefined) => string;

export function duckEncoder(withReceived: boolean): RecordEncoder {
  return (text, line) => {
    const brace = text.indexOf("{");
    const received = withReceived ? `,"${RECEIVED_FIELD}":${Date.now()}` : "";
    return `{"${LINE_FIELD}":${line}${received},${text.slice(brace + 1)}\n`;
  };
}

const SDC_FIELDS = ["_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at", "_sdc_sequence", "_sdc_table_version"] as const;

export function jsonEncoder(metadata: boolean): RecordEncoder {
  return (text, line, message, batchedAt, shape) => {
    if (shape) {
      const shaped = shape(message.record);
      if (metadata) Object.assign(shaped, sdcValues(line, message, batchedAt));
      return JSON.stringify(shaped) + "\n";
    }
    const raw = rawFieldText(text, "record") ?? JSON.stringify(message.record);
    if (!metadata) return raw + "\n";
    if (SDC_FIELDS.some((f) => f in message.record)) {
      return JSON.stringify({ ...message.record, ...sdcValues(line, message, batchedAt) }) + "\n";
    }
    const fields = JSON.stringify(sdcValues(line, message, batchedAt));
    const inner = raw.slice(raw.indexOf("{") + 1).trimStart();
    const deleted = "_sdc_deleted_at" in message.record ? "" : `,"_sdc_deleted_at":null`;
    return inner.startsWith("}") ? `${fields.slice(0, -1)}${deleted}}\n` : `${fields.slice(0, -1)}${deleted},${inner}\n`;
  };
}

function sdcValues(line: number, message: RecordMessage, batchedAt: string): Record<string, unknown> {
  return {
    _sdc_extracted_at: message.timeExtracted ?? null,
    _sdc_received_at: new Date().toISOString(),
    _sdc_batched_at: batchedAt,
    _sdc_sequence: line,
    _sdc_table_version: message.version ?? null,
  };
}
