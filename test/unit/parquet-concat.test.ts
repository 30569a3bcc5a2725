import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParquetConcat, ParquetConcatError, readPiece } from "../../src/parquet/parquet-concat.js";
import { readParquetIndependently, readParquetMetadata, toJsonSafe } from "../helpers/read-back.js";
import { makeTempDir } from "../helpers/run-cli.js";

let db: DuckDBInstance;
let duck: DuckDBConnection;
const dir = makeTempDir("parquet-concat-");

beforeAll(async () => {
  db = await DuckDBInstance.create(":memory:", { threads: "1", autoinstall_known_extensions: "false", autoload_known_extensions: "false" });
  duck = await db.connect();
});
afterAll(() => {
  duck?.closeSync();
  db?.closeSync();
});

const ROWS = `SELECT i AS id, 'name ' || i AS name, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1.5 END AS score,
  {'city': 'c' || (i % 7), 'zip': NULL::VARCHAR} AS address, [i, i + 1] AS tags, (i % 4)::VARCHAR AS status,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) SECOND AS at, (i * 1.25)::DECIMAL(18,2) AS amount`;

async function piece(from: number, to: number, name: string, extra = ""): Promise<string> {
  const path = join(dir, name);
  await duck.run(`COPY (${ROWS}${extra} FROM range(${from}, ${to}) t(i)) TO '${path}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 1000)`);
  return path;
}

async function join3(paths: string[], out: string): Promise<void> {
  const concat = new ParquetConcat();
  const parts: Buffer[] = [concat.header()];
  for (const path of paths) {
    const range = concat.add(await readPiece(path));
    parts.push(readFileSync(path).subarray(range.start, range.end));
  }
  parts.push(concat.footer());
  writeFileSync(out, Buffer.concat(parts));
}

describe("ParquetConcat", () => {
  it("joins DuckDB's files into one that DuckDB and hyparquet read as all rows in order", async () => {
    const paths = [await piece(0, 2500, "a.parquet"), await piece(2500, 2600, "b.parquet"), await piece(2600, 5000, "c.parquet")];
    const out = join(dir, "joined.parquet");
    await join3(paths, out);
    const whole = await piece(0, 5000, "whole.parquet");
    const read = async (path: string) => (await duck.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowObjectsJson();
    expect(await read(out)).toEqual(await read(whole));
    // Row-group statistics, dictionaries and bloom filters moved with their bytes: filters still find rows.
    const filtered = await duck.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${out}') WHERE status = '2' AND id > 2550`);
    expect(filtered.getRowObjectsJson()).toEqual([{ n: 612 }]);
    const meta = readParquetMetadata(readFileSync(out));
    expect(Number(meta.num_rows)).toBe(5000);
    const groups = paths.map((p) => readParquetMetadata(readFileSync(p)).row_groups.length);
    expect(groups[0]).toBeGreaterThan(1);
    expect(meta.row_groups.length).toBe(groups.reduce((a, b) => a + b, 0));
    const independent = (await readParquetIndependently(readFileSync(out))).map((r) => toJsonSafe(r));
    expect(independent.length).toBe(5000);
    expect(independent[4999]).toMatchObject({ id: 4999, name: "name 4999", tags: [4999, 5000] });
  });

  it("refuses pieces whose schemas differ", async () => {
    const concat = new ParquetConcat();
    concat.add(await readPiece(await piece(0, 10, "x.parquet")));
    const other = await readPiece(await piece(0, 10, "y.parquet", ", 1 AS extra"));
    expect(() => concat.add(other)).toThrow(ParquetConcatError);
  });

  it("refuses a file that is not Parquet", async () => {
    const path = join(dir, "not.parquet");
    writeFileSync(path, "id,name\n1,a\n");
    await expect(readPiece(path)).rejects.toThrow(ParquetConcatError);
  });
});

describe("millisecond timestamps (epoch-ms columns)", () => {
  it("are marked adjusted to UTC in the joined footer, as Airbyte types _airbyte_extracted_at; micro timestamps are untouched", async () => {
    const path = join(dir, "ms.parquet");
    await duck.run(
      `COPY (SELECT CAST(epoch_ms(1700000000123 + i) AS TIMESTAMP_MS) AS extracted, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS at, TIMESTAMP '2024-01-01 00:00:00' AS local, i AS id FROM range(0, 3) t(i)) TO '${path}' (FORMAT parquet)`,
    );
    const logical = async (file: string) =>
      (await duck.runAndReadAll(`SELECT name, logical_type FROM parquet_schema('${file}') WHERE logical_type LIKE 'Timestamp%'`)).getRowObjectsJson();
    expect((await logical(path))[0]).toEqual({ name: "extracted", logical_type: expect.stringContaining("isAdjustedToUTC=0") as unknown });
    const out = join(dir, "ms-joined.parquet");
    await join3([path], out);
    const after = Object.fromEntries((await logical(out)).map((r) => [r.name, String(r.logical_type)]));
    expect(after.extracted).toMatch(/isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=MilliSeconds\(\)/);
    expect(after.at).toMatch(/isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\)/);
    expect(after.local).toMatch(/isAdjustedToUTC=0, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\)/);
    // The instants: epoch milliseconds as sent, read back as UTC timestamps by DuckDB and by hyparquet.
    const read = await duck.runAndReadAll(`SELECT epoch_ms(extracted)::BIGINT AS ms, extracted::VARCHAR AS text FROM read_parquet('${out}') ORDER BY id`);
    expect(read.getRowObjectsJson().map((r) => Number(r.ms))).toEqual([1700000000123, 1700000000124, 1700000000125]);
    const independent = await readParquetIndependently(readFileSync(out));
    expect((independent[0] as Record<string, unknown>).extracted).toEqual(new Date(1700000000123));
  });
});
