// Many streams open at once: what their open files hold in memory (spool buffers, the multipart part being filled)
// is bounded run-wide. Idle CSV/Parquet spools write their buffers to disk; JSON Lines files of the streams written
// to least recently are completed early. Every record is still stored exactly once, in order.
import { describe, expect, it } from "vitest";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";
import { readStreamObjects } from "../helpers/stream-objects.js";

let s3: S3TestServer;
let bucket: string;
useS3WithProxy((f) => {
  ({ s3, bucket } = f);
});

const MiB = 1024 * 1024;
const PAD = "p".repeat(1000);
const streamName = (i: number): string => `s${String(i).padStart(2, "0")}`;
const schemaLine = (stream: string): string =>
  JSON.stringify({
    type: "SCHEMA",
    stream,
    key_properties: ["id"],
    schema: { type: "object", properties: { id: { type: "integer" }, pad: { type: "string" } } },
  });
const recordLine = (stream: string, id: number): string => `{"type":"RECORD","stream":"${stream}","record":{"id":${id},"pad":"${PAD}"}}`;

/** `streams` streams of `perStream` records: one after another, or interleaved record by record. */
function input(streams: number, perStream: number, interleaved: boolean): string {
  const names = Array.from({ length: streams }, (_, i) => streamName(i));
  const out: string[] = [];
  if (interleaved) {
    out.push(...names.map(schemaLine));
    for (let id = 1; id <= perStream; id++) for (const s of names) out.push(recordLine(s, id));
  } else {
    for (const s of names) {
      out.push(schemaLine(s));
      for (let id = 1; id <= perStream; id++) out.push(recordLine(s, id));
    }
  }
  out.push(JSON.stringify({ type: "STATE", value: { done: true } }));
  return out.join("\n") + "\n";
}

async function run(extra: Record<string, unknown>, text: string): Promise<{ stderr: string; objects: Awaited<ReturnType<typeof readStreamObjects>> }> {
  const config = writeConfig(
    s3Config(s3, bucket, { key_template: "{stream_name}/part-{part}.{extension}", add_record_metadata: false, log_level: "debug", ...extra }),
  );
  const result = await runCli(["--config", config], { input: text, timeoutMs: 110_000 });
  expect(result.code, result.stderr.slice(-2000)).toBe(0);
  expect(result.stateLines).toEqual([{ done: true }]);
  return { stderr: result.stderr, objects: await readStreamObjects(s3, bucket) };
}

/** Every stream's ids 1..perStream exactly once and in order, reading its objects in part order. */
function expectAllRecords(objects: Awaited<ReturnType<typeof readStreamObjects>>, streams: number, perStream: number): void {
  const partOf = (key: string): number => Number(/part-(\d+)/.exec(key)?.[1]);
  for (let i = 0; i < streams; i++) {
    const mine = objects.filter((o) => o.stream === streamName(i)).sort((a, b) => partOf(a.key) - partOf(b.key));
    const ids = mine.flatMap((o) => o.rows.map((r) => Number(r.id)));
    expect(ids, streamName(i)).toEqual(Array.from({ length: perStream }, (_, k) => k + 1));
    expect(mine.every((o) => o.rows.every((r) => r.pad === PAD))).toBe(true);
  }
}

describe("many streams open at once", () => {
  it("jsonl, one stream after another: the files of finished streams are completed early, one object each", { timeout: 120_000 }, async () => {
    // 14 streams of ~5.5 MiB: each open file counts its 5 MiB part being filled plus 2 MiB; 64 MiB hold ~9.
    const streams = 14;
    const perStream = 5_500;
    const { stderr, objects } = await run({ file_type: "jsonl", multipart_part_size: 5 * MiB }, input(streams, perStream, false));
    expect(stderr).toMatch(/least recently written are completed early .*budget_mib=64/);
    expect(objects.length).toBe(streams);
    expectAllRecords(objects, streams, perStream);
  });

  it("jsonl, interleaved record by record: files rotate and every record is stored once, in order", { timeout: 120_000 }, async () => {
    const streams = 12;
    const perStream = 6_000;
    const { stderr, objects } = await run({ file_type: "jsonl", multipart_part_size: 5 * MiB }, input(streams, perStream, true));
    expect(stderr).toMatch(/least recently written are completed early/);
    expect(objects.length).toBeGreaterThan(streams);
    expectAllRecords(objects, streams, perStream);
  });

  it("deterministic_keys: files cut for memory are cut the same way again, so a re-run writes the same keys", { timeout: 120_000 }, async () => {
    const streams = 12;
    const perStream = 4_000;
    const text = input(streams, perStream, true);
    const extra = {
      file_type: "jsonl",
      multipart_part_size: 5 * MiB,
      deterministic_keys: true,
      key_template: "{stream_name}/{stream_name}-{connection_run_id}.{extension}",
    };
    const first = await run(extra, text);
    expect(first.stderr).toMatch(/least recently written are completed early/);
    const keys = first.objects.map((o) => o.key);
    expect(keys.length).toBeGreaterThan(streams);
    const second = await run(extra, text);
    expect(second.objects.map((o) => o.key)).toEqual(keys);
  });

  it(
    "jsonl, one stream whose records spread over many cursor partitions: its own batch is completed when it holds too much",
    { timeout: 120_000 },
    async () => {
      // 12 day partitions written round robin: 12 open files of one batch, each filling a 5 MiB part.
      const days = 12;
      const perDay = 6_000;
      const lines = [
        JSON.stringify({
          type: "SCHEMA",
          stream: "s00",
          key_properties: ["id"],
          schema: { type: "object", properties: { id: { type: "integer" }, day: { type: "string" }, pad: { type: "string" } } },
        }),
      ];
      for (let n = 0; n < perDay * days; n++) {
        lines.push(
          `{"type":"RECORD","stream":"s00","record":{"id":${n + 1},"day":"2024-01-${String((n % days) + 1).padStart(2, "0")}T00:00:00Z","pad":"${PAD}"}}`,
        );
      }
      lines.push(JSON.stringify({ type: "STATE", value: { done: true } }));
      const { stderr, objects } = await run(
        { file_type: "jsonl", multipart_part_size: 5 * MiB, cursor_field: { s00: "day" }, key_template: "{stream_name}/{cursor_day}/part-{part}.{extension}" },
        lines.join("\n") + "\n",
      );
      expect(stderr).toMatch(/least recently written are completed early/);
      expect(objects.length).toBeGreaterThan(days);
      const ids = objects.flatMap((o) => o.rows.map((r) => Number(r.id))).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: perDay * days }, (_, k) => k + 1));
    },
  );

  it("parquet, 40 streams one after another: idle spools let go of their buffers, no file is cut", { timeout: 120_000 }, async () => {
    // 40 open spools × 2 MiB of buffers pass the 64 MiB budget.
    const streams = 40;
    const perStream = 300;
    const { stderr, objects } = await run({ file_type: "parquet" }, input(streams, perStream, false));
    expect(stderr).toMatch(/open files of idle streams let go of their buffers/);
    expect(stderr).not.toMatch(/completed early/);
    expect(objects.length).toBe(streams);
    expectAllRecords(objects, streams, perStream);
  });
});
