// Airbyte protocol pieces that need no I/O: message parsing, the STATE echo text, TRACE errors, the catalog,
// stream prefixes for overwrite, and the ledger's emit-each mode.
import { describe, expect, it } from "vitest";
import { ConfigError, InputError } from "../../src/errors.js";
import { normalizeJsonSchema, parseAirbyteLine, parseCatalog, stateEcho, streamKey, traceError, type CatalogStream } from "../../src/protocol/airbyte.js";
import { checkCleanupPrefixes, generationMetadata, isOlderGenerationOf, streamPrefix, truncatesAtEnd } from "../../src/pipeline/generation-cleanup.js";
import { StateLedger } from "../../src/pipeline/state-ledger.js";
import { typeFailureNullifier } from "../../src/pipeline/airbyte-type-failures.js";
import { failureTypeOf, traceText } from "../../src/commands/write-airbyte.js";
import { UploadError } from "../../src/errors.js";
import { configSchema } from "../../src/config/schema.js";
import { buildSpec } from "../../scripts/generate-spec.js";

describe("parseAirbyteLine", () => {
  it("parses RECORD with namespace and emitted_at", () => {
    const m = parseAirbyteLine('{"type":"RECORD","record":{"stream":"s","namespace":"n","data":{"a":1},"emitted_at":5}}', 1);
    expect(m).toEqual({ type: "RECORD", stream: "s", namespace: "n", data: { a: 1 }, emittedAt: 5, changes: [] });
  });
  it("parses STREAM, GLOBAL and LEGACY (no type) states", () => {
    expect(parseAirbyteLine('{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":{}}}}', 1)).toEqual({
      type: "STATE",
      stateType: "STREAM",
      stream: { name: "s", namespace: undefined },
    });
    expect(parseAirbyteLine('{"type":"STATE","state":{"type":"GLOBAL","global":{}}}', 1)).toMatchObject({ stateType: "GLOBAL" });
    expect(parseAirbyteLine('{"type":"STATE","state":{"data":{"x":1}}}', 1)).toMatchObject({ stateType: "LEGACY" });
  });
  it("passes other types over and names the line of a broken message", () => {
    expect(parseAirbyteLine('{"type":"TRACE","trace":{}}', 1)).toEqual({ type: "OTHER", messageType: "TRACE" });
    expect(() => parseAirbyteLine("{nope", 7)).toThrow(/line 7/);
    expect(() => parseAirbyteLine('{"type":"RECORD","record":{"stream":"s","data":[1]}}', 3)).toThrow(InputError);
    expect(() => parseAirbyteLine('{"type":"STATE","state":{"type":"STREAM","stream":{}}}', 4)).toThrow(/stream_descriptor/);
  });
});

describe("stateEcho", () => {
  it("adds destinationStats and keeps every other byte (big numbers included)", () => {
    const line = '{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{"lsn":99999999999999999}},"sourceStats":{"recordCount":3.0}}}';
    const out = stateEcho(line, 3);
    expect(out).toBe(
      '{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{"lsn":99999999999999999}},"sourceStats":{"recordCount":3.0},"destinationStats":{"recordCount":3.0}}}',
    );
  });
  it("replaces a destinationStats the source sent, and handles spaces and an empty state", () => {
    expect(stateEcho('{"type":"STATE","state":{"destinationStats":{"recordCount":9},"data":{}}}', 1)).toBe(
      '{"type":"STATE","state":{"destinationStats":{"recordCount":1.0},"data":{}}}',
    );
    expect(stateEcho('{ "state" : { } , "type":"STATE"}', 0)).toBe('{ "state" : { "destinationStats":{"recordCount":0.0}} , "type":"STATE"}');
  });
});

describe("traceError", () => {
  it("is an AirbyteMessage TRACE of type ERROR", () => {
    expect(JSON.parse(traceError({ message: "m", internalMessage: "i", stackTrace: "s", failureType: "config_error" }, 42))).toEqual({
      type: "TRACE",
      trace: { type: "ERROR", emitted_at: 42, error: { message: "m", internal_message: "i", stack_trace: "s", failure_type: "config_error" } },
    });
  });
  it("has a plain internal_message (class, S3 code, sentence) and the stack in stack_trace, secrets redacted", () => {
    const logger = { redact: (t: string) => t.replace(/SECRET/g, "***") };
    const input = traceText(new InputError("bad SECRET", 3), logger);
    expect(input).toMatchObject({ message: "line 3: bad ***", internalMessage: "InputError: line 3: bad ***", failureType: "system_error" });
    expect(input.stackTrace).toMatch(/^InputError: line 3: bad \*\*\*\n\s+at /);
    expect(traceText(new UploadError("denied", "b", "k", "AccessDenied"), logger).internalMessage).toBe("UploadError (AccessDenied): denied");
    expect(traceText("plain", logger)).toEqual({ message: "plain", internalMessage: "plain", stackTrace: undefined, failureType: "system_error" });
  });
  it("classifies settings and permission problems as config_error, the rest as system_error", () => {
    expect(failureTypeOf(new ConfigError("x"))).toBe("config_error");
    expect(failureTypeOf(new UploadError("x", "b", "k", "AccessDenied"))).toBe("config_error");
    expect(failureTypeOf(new UploadError("x", "b", "k", "InternalError"))).toBe("system_error");
    expect(failureTypeOf(new InputError("x", 1))).toBe("system_error");
  });
});

const entry = (name: string, extra: Record<string, unknown> = {}, namespace?: string): Record<string, unknown> => ({
  stream: { name, ...(namespace ? { namespace } : {}), json_schema: { type: "object", properties: { id: { type: "integer" } } } },
  destination_sync_mode: "append",
  ...extra,
});

describe("parseCatalog", () => {
  it("reads streams, modes and generations", () => {
    const [s] = parseCatalog(
      { streams: [entry("u", { destination_sync_mode: "overwrite", generation_id: 3, minimum_generation_id: 3, sync_id: 9 }, "ns")] },
      "c.json",
    );
    expect(s).toMatchObject({ name: "u", namespace: "ns", key: "ns.u", destinationSyncMode: "overwrite", generationId: 3, minimumGenerationId: 3, syncId: 9 });
  });
  it("lists every problem: duplicate stream, unsupported mode, bad generation", () => {
    let error: unknown;
    try {
      parseCatalog({ streams: [entry("a"), entry("a"), entry("b", { destination_sync_mode: "append_dedup" }), entry("c", { generation_id: -1 })] }, "c.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/streams\[1\].*also streams\[0\]/);
    expect(message).toMatch(/append_dedup/);
    expect(message).toMatch(/generation_id: must be a non-negative integer/);
  });
  it("maps Airbyte well-known type references to plain JSON Schema", () => {
    expect(normalizeJsonSchema({ type: "object", properties: { t: { $ref: "WellKnownTypes.json#/definitions/TimestampWithTimezone" } } })).toEqual({
      type: "object",
      properties: { t: { type: "string", format: "date-time" } },
    });
  });
  it("reads protocol v0 integers (type number, airbyte_type integer) as integers, so INT64 keeps every digit", () => {
    // Sources before WellKnownTypes (source-postgres, source-mysql 1.x/2.x) describe BIGINT this way.
    expect(
      normalizeJsonSchema({
        type: "object",
        properties: {
          id: { type: "number", airbyte_type: "integer" },
          n: { type: ["null", "number"], airbyte_type: "integer" },
          big: { type: "string", airbyte_type: "big_integer" },
          ratio: { type: "number" },
        },
      }),
    ).toEqual({
      type: "object",
      properties: {
        id: { type: "integer", airbyte_type: "integer" },
        n: { type: ["null", "integer"], airbyte_type: "integer" },
        big: { type: "string", airbyte_type: "big_integer" },
        ratio: { type: "number" },
      },
    });
  });
  it("keys streams by namespace and name", () => {
    expect(streamKey(undefined, "s")).toBe("s");
    expect(streamKey("n", "s")).toBe("n.s");
  });
});

const stream = (name: string, namespace?: string, mode: "append" | "overwrite" = "overwrite"): CatalogStream => ({
  name,
  namespace,
  key: streamKey(namespace, name),
  jsonSchema: { properties: {} },
  destinationSyncMode: mode,
  generationId: 2,
  minimumGenerationId: mode === "overwrite" ? 2 : 0,
  syncId: undefined,
  cursorField: [],
});

describe("truncating streams and their older generations", () => {
  it("truncates overwrite streams and refreshes (minimum = generation > 0), whatever the sync mode", () => {
    expect(truncatesAtEnd(stream("a"))).toBe(true);
    expect(truncatesAtEnd(stream("a", undefined, "append"))).toBe(false);
    expect(truncatesAtEnd({ ...stream("a", undefined, "append"), generationId: 5, minimumGenerationId: 5 })).toBe(true);
    expect(truncatesAtEnd({ ...stream("a", undefined, "append"), generationId: 0, minimumGenerationId: 0 })).toBe(false);
    expect(truncatesAtEnd({ ...stream("a"), generationId: undefined, minimumGenerationId: undefined })).toBe(true);
  });
  it("reads Airbyte's metadata names and the older target-s3 names; never an object of another stream or without a generation", () => {
    const s = { ...stream("users", "app"), generationId: 5, minimumGenerationId: 5 };
    expect(isOlderGenerationOf(s, { "ab-generation-id": "4", "ab-stream-name": "users", "ab-stream-namespace": "app" })).toBe(true);
    expect(isOlderGenerationOf(s, { "ab-generation-id": "5", "ab-stream-name": "users", "ab-stream-namespace": "app" })).toBe(false);
    expect(isOlderGenerationOf(s, { "airbyte-generation-id": "3", "airbyte-stream": "users", "airbyte-namespace": "app" })).toBe(true);
    expect(isOlderGenerationOf(s, { "ab-generation-id": "1", "ab-stream-name": "other", "ab-stream-namespace": "app" })).toBe(false);
    expect(isOlderGenerationOf(s, { "ab-generation-id": "1", "ab-stream-name": "users" })).toBe(false); // namespace differs
    // Airbyte's own S3 destination writes only the generation.
    expect(isOlderGenerationOf(s, { "ab-generation-id": "2" })).toBe(true);
    expect(isOlderGenerationOf(s, {})).toBe(false);
    expect(isOlderGenerationOf(s, { "airbyte-generation-id": "1" })).toBe(false);
    expect(isOlderGenerationOf(s, { "ab-stream-name": "users", "ab-stream-namespace": "app" })).toBe(false);
    // Without generation ids in the catalog: every object of the stream.
    expect(
      isOlderGenerationOf(
        { ...s, generationId: undefined, minimumGenerationId: undefined },
        { "ab-generation-id": "9", "ab-stream-name": "users", "ab-stream-namespace": "app" },
      ),
    ).toBe(true);
  });
});

describe("stream status traces", () => {
  it("parses STREAM_STATUS and passes other traces over", () => {
    const line =
      '{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1,"stream_status":{"stream_descriptor":{"name":"u","namespace":"n"},"status":"COMPLETE"}}}';
    expect(parseAirbyteLine(line, 1)).toEqual({ type: "STREAM_STATUS", stream: { name: "u", namespace: "n" }, status: "COMPLETE" });
    expect(parseAirbyteLine('{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1,"error":{"message":"x"}}}', 1)).toEqual({
      type: "OTHER",
      messageType: "TRACE",
    });
    expect(() => parseAirbyteLine('{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":{"status":"COMPLETE"}}}', 9)).toThrow(/line 9/);
  });
});

describe("overwrite prefixes", () => {
  const ctx = { template: "{namespace}/{stream_name}/{date_partition}/{stream_name}-{part}.{extension}", basePrefix: ["root", "raw/x"], connectionId: "c" };
  it("is the template's leading stable folders", () => {
    expect(streamPrefix(stream("users", "app"), ctx)).toEqual({ prefix: "root/raw/x/app/users/", identified: true });
    expect(streamPrefix(stream("users"), ctx)).toEqual({ prefix: "root/raw/x/users/", identified: true });
    expect(streamPrefix(stream("a b"), { ...ctx, template: "{stream_id}/{part}.{extension}" }).identified).toBe(true);
    expect(streamPrefix(stream("users"), { ...ctx, template: "{date}/{stream_name}/{part}" })).toEqual({ prefix: "root/raw/x/", identified: false });
    // Literal braces and text around macros in one folder; a macro value with "/" stays one folder.
    expect(streamPrefix(stream("a/b", "n"), { ...ctx, template: "{{x}}/{namespace}-{stream_name}/{part}.{extension}" }).prefix).toBe("root/raw/x/{x}/n-a~2Fb/");
  });
  it("refuses a stream without its own folder, and folders shared or nested", () => {
    expect(() => checkCleanupPrefixes([stream("users")], { ...ctx, template: "{stream_name}-{part}.{extension}" })).toThrow(/no folder of its own/);
    expect(() => checkCleanupPrefixes([stream("x", "users", "append"), stream("users")], ctx)).toThrow(/share the prefix/);
    expect(checkCleanupPrefixes([stream("users"), stream("users_log", undefined, "append")], ctx).get("users")).toBe("root/raw/x/users/");
  });
  it("metadata names the stream and its generation", () => {
    expect(generationMetadata({ ...stream("é/s", "n"), syncId: 5 })).toEqual({
      "ab-stream-name": "%C3%A9%2Fs",
      "ab-stream-namespace": "n",
      "ab-generation-id": "2",
      "ab-sync-id": "5",
    });
  });
});

describe("StateLedger emitEach", () => {
  it("emits every releasable state in order (Singer mode emits the latest only)", () => {
    for (const emitEach of [true, false]) {
      const out: string[] = [];
      const ledger = new StateLedger<string>((v) => out.push(v), { emitEach });
      const unit = ledger.register(1);
      ledger.state(2, "a");
      ledger.state(3, "b");
      expect(out).toEqual([]);
      ledger.settle(unit);
      expect(out).toEqual(emitEach ? ["a", "b"] : ["b"]);
      expect(ledger.emittedCount).toBe(out.length);
    }
  });
});

describe("SPEC form annotations (from schemas/config.schema.json)", () => {
  const spec = buildSpec(configSchema()).connectionSpecification as {
    groups: Array<{ id: string; title: string }>;
    properties: Record<string, { title?: string; group?: string; order?: number }>;
  };
  it("gives every setting a title, a group listed in groups, and an order unique within its group", () => {
    const ids = spec.groups.map((g) => g.id);
    expect(ids).toEqual(["connection", "format", "keys", "records", "objects", "advanced"]);
    const seen = new Map<string, Set<number>>();
    for (const [name, p] of Object.entries(spec.properties)) {
      expect(p.title, `${name} needs a "title" in schemas/config.schema.json`).toMatch(/^\S/);
      expect(ids, `${name} needs a "group" of "groups" in schemas/config.schema.json`).toContain(p.group);
      const orders = seen.get(p.group!) ?? new Set<number>();
      expect(orders.has(p.order!), `${name}: order ${p.order} twice in group ${p.group}`).toBe(false);
      orders.add(p.order!);
      seen.set(p.group!, orders);
    }
    expect(spec.properties["bucket"]).toMatchObject({ title: "Bucket", group: "connection" });
  });
  it("refuses a group the schema does not list", () => {
    const schema = structuredClone(configSchema());
    schema.properties["bucket"] = { ...schema.properties["bucket"]!, group: "nowhere" };
    expect(() => buildSpec(schema)).toThrow(/bucket has group "nowhere"/);
  });
});

describe("typeFailureNullifier", () => {
  const props = {
    id: { type: "integer" },
    amount: { type: ["number", "null"] },
    at: { type: "string", format: "date-time" },
    tags: { type: "array", items: { type: "string" } },
    free: {},
  };
  const nullify = typeFailureNullifier({ ...stream("t", undefined, "append"), jsonSchema: { properties: props } });
  it("leaves a record whose values fit untouched (same objects, same text)", () => {
    const data = { id: 1, amount: null, at: "2024-01-02 03:04:05", tags: ["a"], free: { x: 1 } };
    const text = '{"id":1,"amount":null,"at":"2024-01-02 03:04:05","tags":["a"],"free":{"x":1}}';
    const out = nullify(data, text);
    expect(out.data).toBe(data);
    expect(out.rawText).toBe(text);
    expect(out.changes).toEqual([]);
  });
  it("nulls each top-level value its type cannot hold, in the text too, keeping the other values' exact text", () => {
    const text = '{"id":"12x", "amount":12345678901234567.89,"at":"2024-02-30T00:00:00Z","tags":"a,b","free":"anything"}';
    const out = nullify(JSON.parse(text) as Record<string, unknown>, text);
    expect(out.rawText).toBe('{"id":null, "amount":12345678901234567.89,"at":null,"tags":null,"free":"anything"}');
    expect(out.data).toMatchObject({ id: null, at: null, tags: null, free: "anything" });
    expect(out.changes.map((c) => c.field)).toEqual(["id", "at", "tags"]);
    expect(new Set(out.changes.map((c) => `${c.change}/${c.reason}`))).toEqual(new Set(["NULLED/DESTINATION_TYPECAST_ERROR"]));
  });
  it("checks only top-level types: a nested mismatch stays with validation", () => {
    const out = nullify({ id: 1, tags: [1, 2] }, undefined);
    expect(out.changes).toEqual([]);
  });
});
