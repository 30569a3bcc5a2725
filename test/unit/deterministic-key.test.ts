import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { DETERMINISTIC_TEMPLATE, DeterministicKeys, deterministicTemplate } from "../../src/s3/deterministic-key.js";
import { configSchema } from "../../src/config/schema.js";

const base = { key_template: configSchema().properties["key_template"]!.default as string, date_partition_format: null, add_record_metadata: false };

describe("deterministicTemplate", () => {
  it("replaces the default template with one without clock macros", () => {
    expect(deterministicTemplate(base).template).toBe(DETERMINISTIC_TEMPLATE);
  });
  it("refuses clock macros, a clock date partition, a template without the batch id, and record metadata, listing each", () => {
    try {
      deterministicTemplate({
        key_template: "{stream_name}/{date_partition}/{timestamp}-{part}.{extension}",
        date_partition_format: "%Y",
        add_record_metadata: true,
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toMatch(/\{timestamp\}/);
      expect(problems).toMatch(/date_partition_format/);
      expect(problems).toMatch(/\{connection_run_id\}/);
      expect(problems).toMatch(/add_record_metadata/);
    }
  });
  it("accepts cursor macros with the batch id", () => {
    expect(() => deterministicTemplate({ ...base, key_template: "{stream_name}/{cursor_day}/{connection_run_id}-{part}.{extension}" })).not.toThrow();
  });
});

describe("DeterministicKeys", () => {
  const s = { stream: "a", namespace: undefined, schemaHash: "h" };
  it("names a file from the opening line and its number in the segment; a new segment restarts the numbers", () => {
    const k = new DeterministicKeys();
    k.line = "L1";
    const first = k.next(s);
    k.line = "L2";
    const second = k.next(s);
    expect([first.part, second.part]).toEqual([1, 2]);
    expect(first.runId).not.toBe(second.runId);
    const again = new DeterministicKeys();
    again.line = "L1";
    expect(again.next(s)).toEqual(first);
    k.newSegment();
    k.line = "L1";
    expect(k.next(s)).toEqual(first);
    k.line = "L1";
    expect(k.next({ ...s, schemaHash: "other" }).runId).not.toBe(first.runId);
  });
});
