// The bad-input corpus (test/fixtures/bad-input/cases.ts), each case through the real CLI against the local S3
// server: an error case exits ≠ 0 with one sentence naming the line, prints no STATE from after that line, and leaves
// no object holding a record from after it (nor an unreadable one); an ok case is a documented success.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BAD_INPUT_CASES } from "../fixtures/bad-input/cases.js";
import { readObjectRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

describe("bad input corpus", () => {
  it("has at least 40 distinct cases", () => {
    expect(BAD_INPUT_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(BAD_INPUT_CASES.map((c) => c.name)).size).toBe(BAD_INPUT_CASES.length);
  });

  describe.concurrent.each(BAD_INPUT_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    it(c.outcome === "error" ? `fails naming line ${c.badLine ?? "(range)"}` : "succeeds as documented", { timeout: 60_000 }, async () => {
      const bucket = await s3.createBucket();
      const config = writeConfig(s3Config(s3, bucket, { file_type: "jsonl", ...(c.config ?? {}) }));
      const result = await runCli(["--config", config], { input: c.input, timeoutMs: 55_000 });
      const objects = await s3.listObjects(bucket);
      // Read back with JSON.parse (jsonl/csv via DuckDB): every object must be whole; JSON.parse also takes the
      // documented odd success (10,000 levels) that DuckDB's reader refuses.
      const rows: unknown[] = [];
      for (const o of objects) {
        if (o.key.endsWith(".jsonl")) {
          const text = (await s3.getObject(bucket, o.key)).toString("utf8");
          for (const line of text.split("\n")) if (line !== "") rows.push(JSON.parse(line));
        } else rows.push(...(await readObjectRows(s3, bucket, o.key)));
      }
      expect(result.invalidStdoutLines).toEqual([]);
      if (c.outcome === "ok") {
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).not.toMatch(/ERROR/);
        expect(objects.every((o) => !o.key.split("/").includes(".."))).toBe(true);
        return;
      }
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      const errors = result.stderr.split("\n").filter((l) => / ERROR /.test(l));
      expect(errors, result.stderr).toHaveLength(1);
      const error = errors[0]!;
      if (c.badLine !== undefined) expect(error).toContain(`line ${c.badLine}`);
      if (c.message) expect(error).toMatch(c.message);
      expect(error).not.toMatch(/\n\s+at /);
      expect(error.length).toBeLessThan(600);
      // Only STATEs from before the bad line (here {"n":1}) may have been printed.
      for (const s of result.stateLines) expect(s).toEqual({ n: 1 });
      // No object holds a record from after the bad line, and every object reads back whole.
      for (const r of rows) expect(Number((r as { id: unknown }).id)).toBeLessThan(3);
    });
  });
});
