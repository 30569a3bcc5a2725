// The realistic schema corpus (test/fixtures/realistic/corpus.ts) through the built CLI and the real local S3
// server in Parquet, CSV and JSONL, every object read back and compared with the input value by value: numbers by
// their decimal digits, date-times by instant, JSON by its lossless value. Validation is on (the default).
import { describe, expect, it } from "vitest";
import { columnsOf, type TypeNode } from "../../src/schema/columns.js";
import { canonicalDecimal, LosslessNumber, parseLossless, type LosslessValue } from "../../src/schema/lossless-json.js";
import { corpus, singerLines, type CorpusStream } from "../fixtures/realistic/corpus.js";
import { readObjectRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let bucket: string;
useS3WithProxy((f) => ({ s3, bucket } = f));

/** A JSON value with numbers as their canonical decimal, for comparing JSON text whatever its spelling. */
function canonJson(v: LosslessValue): unknown {
  if (v instanceof LosslessNumber) return `#${canonicalDecimal(v.text)}`;
  if (Array.isArray(v)) return v.map(canonJson);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonJson(x)]));
  return v;
}

function instant(text: string): number {
  let t = text
    .trim()
    .replace(" ", "T")
    .replace(/([+-]\d{2})$/, "$1:00")
    .replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  if (!/(Z|[+-]\d{2}:\d{2})$/i.test(t)) t += "Z";
  const micros = /\.(\d+)/.exec(t)?.[1] ?? "";
  return Date.parse(t.replace(/\.\d+/, "")) * 1000 + Number(micros.padEnd(6, "0").slice(0, 6));
}

/** The sent value (lossless) in a comparable form for its column type. */
function fromInput(node: TypeNode, v: LosslessValue | undefined): unknown {
  if (v === undefined || v === null) return null;
  switch (node.kind) {
    case "integer":
    case "decimal":
      return canonicalDecimal((v as LosslessNumber).text);
    case "number":
      return Number((v as LosslessNumber).text);
    case "boolean":
    case "string":
    case "date":
      return v;
    case "date-time":
      return instant(v as string);
    case "struct": {
      const o = v as Record<string, LosslessValue>;
      return Object.fromEntries([...node.fields!].map(([k, child]) => [k, fromInput(child, o[k])]));
    }
    case "list":
      return (v as LosslessValue[]).map((x) => fromInput(node.items!, x));
    default:
      return canonJson(v);
  }
}

/** The value read back (DuckDB JSON rows; CSV as text) in the same form. */
function fromOutput(node: TypeNode, v: unknown, csv: boolean): unknown {
  if (v === null || v === undefined) return null;
  switch (node.kind) {
    case "integer":
    case "decimal":
      return canonicalDecimal(String(v));
    case "number":
      return Number(v);
    case "boolean":
      return csv ? v === "true" : v;
    case "string":
    case "date":
      return String(v);
    case "date-time":
      return instant(String(v));
    case "struct": {
      const o = v as Record<string, unknown>;
      return Object.fromEntries([...node.fields!].map(([k, child]) => [k, fromOutput(child, o[k], csv)]));
    }
    case "list":
      return (v as unknown[]).map((x) => fromOutput(node.items!, x, csv));
    default:
      return canonJson(parseLossless(typeof v === "string" ? v : JSON.stringify(v)));
  }
}

async function roundTrip(stream: CorpusStream, fileType: "parquet" | "csv"): Promise<void> {
  const cfg = writeConfig(s3Config(s3, bucket, { max_retries: 0, file_type: fileType }));
  const r = await runCli(["--config", cfg], { input: singerLines(stream) });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stateLines).toEqual([{ done: stream.name }]);
  const keys = (await s3.listObjects(bucket)).map((o) => o.key);
  expect(keys).toHaveLength(1);
  const rows = await readObjectRows(s3, bucket, keys[0]!);
  const columns = columnsOf(stream.schema["properties"] as Record<string, unknown>, {
    flatten: false,
    flattenMaxDepth: 0,
    nestedTypes: fileType === "parquet" ? "struct" : "json",
    headerFormat: null,
  });
  expect(rows).toHaveLength(stream.records.length);
  stream.records.forEach((text, i) => {
    const sent = parseLossless(text) as Record<string, LosslessValue>;
    for (const c of columns) {
      const got = fromOutput(c.node, rows[i]![c.name], fileType === "csv");
      expect(got, `${stream.name} record ${i} ${c.name} (${c.node.kind})`).toEqual(fromInput(c.node, sent[c.name]));
    }
  });
}

describe("realistic tap output round-trips value by value", () => {
  for (const stream of corpus()) {
    for (const fileType of ["parquet", "csv"] as const) {
      it(`${stream.name} (${Object.keys(stream.schema["properties"] as object).length} properties) in ${fileType}`, () => roundTrip(stream, fileType));
    }
    it(`${stream.name} in jsonl: every record written as sent, byte for byte`, async () => {
      const cfg = writeConfig(s3Config(s3, bucket, { max_retries: 0, file_type: "jsonl" }));
      const r = await runCli(["--config", cfg], { input: singerLines(stream) });
      expect(r.code, r.stderr).toBe(0);
      const [key] = (await s3.listObjects(bucket)).map((o) => o.key);
      expect((await s3.getObject(bucket, key!)).toString("utf8")).toBe(stream.records.join("\n") + "\n");
    });
  }
});
