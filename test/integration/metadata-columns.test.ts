// add_record_metadata when the tap sends `_sdc_*` fields of its own (a stream re-piped from another target's output,
// or a tap that declares them): one rule in every format, as the Singer SDK's targets have it. The target's
// `_sdc_extracted_at` (the RECORD's time_extracted), `_sdc_received_at`, `_sdc_batched_at`, `_sdc_sequence` (the input
// line) and `_sdc_table_version` replace the tap's; the tap's `_sdc_deleted_at` is kept.
import { describe, expect, it } from "vitest";
import { readAvro } from "../helpers/read-avro.js";
import { readObjectRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3 } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let bucket: string;
useS3((f) => ({ s3, bucket } = f));

const dateTime = { type: ["null", "string"], format: "date-time" };
const SCHEMA = JSON.stringify({
  type: "SCHEMA",
  stream: "events",
  key_properties: ["id"],
  schema: {
    type: "object",
    properties: { id: { type: "integer" }, _sdc_extracted_at: dateTime, _sdc_deleted_at: dateTime, _sdc_sequence: { type: ["null", "integer"] } },
  },
});
const RECORD = JSON.stringify({
  type: "RECORD",
  stream: "events",
  time_extracted: "2024-05-01T10:00:00Z",
  record: { id: 7, _sdc_extracted_at: "2000-01-01T00:00:00Z", _sdc_deleted_at: "2024-04-30T08:00:00Z", _sdc_sequence: 999 },
});
const INPUT = [SCHEMA, RECORD, `{"type":"STATE","value":{"n":1}}`].join("\n") + "\n";

/** An instant as ISO text, whatever the reader gave (Date, ISO text with or without a zone, CSV text). */
function instant(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  // Avro: timestamp-micros.
  if (typeof value === "number" || typeof value === "bigint") return new Date(Number(value) / 1000).toISOString();
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`).toISOString();
}

describe.each(["parquet", "csv", "jsonl", "avro"] as const)("add_record_metadata with the tap's own _sdc_* fields in %s", (format) => {
  it("the target's _sdc_extracted_at and _sdc_sequence replace the tap's; the tap's _sdc_deleted_at is kept", async () => {
    const config = writeConfig(s3Config(s3, bucket, { file_type: format, add_record_metadata: true }));
    const r = await runCli(["--config", config], { input: INPUT });
    expect(r.code, r.stderr).toBe(0);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key).filter((k) => !k.includes("_manifests"));
    expect(keys).toHaveLength(1);
    const rows = format === "avro" ? (await readAvro(await s3.getObject(bucket, keys[0]!))).records : await readObjectRows(s3, bucket, keys[0]!);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(instant(row["_sdc_extracted_at"])).toBe("2024-05-01T10:00:00.000Z");
    expect(String(row["_sdc_sequence"])).toBe("2");
    expect(instant(row["_sdc_deleted_at"])).toBe("2024-04-30T08:00:00.000Z");
    expect(String(row["id"])).toBe("7");
  });
});
