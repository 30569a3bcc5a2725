/**
 * The Airbyte destination protocol (AirbyteMessage, ConfiguredAirbyteCatalog): message types, parsing, the
 * STATE echo text with `destinationStats`, TRACE error messages. Pure: no I/O.
 */
import { ConfigError, InputError } from "../errors.js";
import { jsonDepth, MAX_SCHEMA_DEPTH } from "../schema/schema-limits.js";
import { rawFieldRange } from "./raw-record.js";
import { isObject, type JsonSchema } from "./singer.js";

export type DestinationSyncMode = "append" | "overwrite";

/** One stream of the configured catalog, as the target uses it. */
export interface CatalogStream {
  name: string;
  namespace: string | undefined;
  /** `streamKey(namespace, name)`: the router's stream id. */
  key: string;
  jsonSchema: JsonSchema & { properties: Record<string, JsonSchema> };
  destinationSyncMode: DestinationSyncMode;
  /** undefined when the catalog predates generations (then overwrite replaces every older object of the stream). */
  generationId: number | undefined;
  minimumGenerationId: number | undefined;
  syncId: number | undefined;
  cursorField: string[];
}

/** One entry of `_airbyte_meta.changes` (AirbyteRecordMessageMetaChange): a value the source or target changed. */
export interface AirbyteMetaChange {
  field: string;
  change: string;
  reason: string;
}

export interface AirbyteRecord {
  type: "RECORD";
  stream: string;
  namespace: string | undefined;
  data: Record<string, unknown>;
  emittedAt: number | undefined;
  /** `record.meta.changes` the source reported (values it nulled or truncated); [] when none. */
  changes: AirbyteMetaChange[];
}

export type StateType = "STREAM" | "GLOBAL" | "LEGACY";

export interface AirbyteState {
  type: "STATE";
  stateType: StateType;
  /** For STREAM states: the stream it belongs to. */
  stream: { name: string; namespace: string | undefined } | undefined;
}

/** A source's stream status TRACE: whether a stream started, runs, or ended COMPLETE / INCOMPLETE. */
export interface AirbyteStreamStatus {
  type: "STREAM_STATUS";
  stream: { name: string; namespace: string | undefined };
  status: string;
}

export interface AirbyteOther {
  type: "OTHER";
  messageType: string;
}

export type AirbyteInputMessage = AirbyteRecord | AirbyteState | AirbyteStreamStatus | AirbyteOther;

/**
 * The router's id of an Airbyte stream: `namespace.name`, or `name` without a namespace. Two catalog streams that
 * map to the same id (namespace `a`, stream `b.c` and namespace `a.b`, stream `c`) are refused by parseCatalog.
 */
export function streamKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === "" ? name : `${namespace}.${name}`;
}

/** Parses one AirbyteMessage line; every problem is an InputError naming the line. */
export function parseAirbyteLine(text: string, line: number): AirbyteInputMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InputError(`the line is not valid JSON (${detail}): each line must be one AirbyteMessage as a JSON object`, line);
  }
  if (!isObject(raw) || typeof raw["type"] !== "string") {
    throw new InputError(`the line is not an AirbyteMessage: each line must be a JSON object with a string "type" (RECORD, STATE, TRACE, LOG …)`, line);
  }
  switch (raw["type"]) {
    case "RECORD":
      return parseRecord(raw["record"], line);
    case "STATE":
      return parseState(raw["state"], line);
    case "TRACE":
      return parseStreamStatus(raw["trace"], line) ?? { type: "OTHER", messageType: "TRACE" };
    default:
      return { type: "OTHER", messageType: raw["type"] };
  }
}

function parseRecord(record: unknown, line: number): AirbyteRecord {
  if (!isObject(record))
    throw new InputError(`the RECORD message has no "record" object: expected {"type":"RECORD","record":{"stream":…,"data":{…},"emitted_at":…}}`, line);
  const stream = record["stream"];
  if (typeof stream !== "string" || stream === "")
    throw new InputError(`the RECORD message has no "record.stream" name: the source must name the stream`, line);
  const data = record["data"];
  if (!isObject(data)) throw new InputError(`the RECORD for stream '${stream}' has no "data" object: record.data must be a JSON object`, line);
  const namespace = record["namespace"];
  const emittedAt = record["emitted_at"];
  return {
    type: "RECORD",
    stream,
    namespace: typeof namespace === "string" && namespace !== "" ? namespace : undefined,
    data,
    emittedAt: typeof emittedAt === "number" && Number.isFinite(emittedAt) ? emittedAt : undefined,
    changes: sourceChanges(record["meta"], stream, line),
  };
}

function sourceChanges(meta: unknown, stream: string, line: number): AirbyteMetaChange[] {
  if (meta === undefined || meta === null) return [];
  const changes = isObject(meta) ? (meta["changes"] ?? []) : undefined;
  const valid =
    Array.isArray(changes) &&
    changes.every((c) => isObject(c) && typeof c["field"] === "string" && typeof c["change"] === "string" && typeof c["reason"] === "string");
  if (!valid)
    throw new InputError(
      `the RECORD for stream '${stream}' has a "meta" that is not {"changes":[{"field","change","reason"}, …]}: fix the source's record meta`,
      line,
    );
  return (changes as Array<Record<string, string>>).map((c) => ({ field: c["field"]!, change: c["change"]!, reason: c["reason"]! }));
}

/** A TRACE of type STREAM_STATUS (undefined for the other trace types: errors, estimates, analytics). */
function parseStreamStatus(trace: unknown, line: number): AirbyteStreamStatus | undefined {
  if (!isObject(trace) || trace["type"] !== "STREAM_STATUS") return undefined;
  const body = trace["stream_status"];
  const descriptor = isObject(body) ? body["stream_descriptor"] : undefined;
  const name = isObject(descriptor) ? descriptor["name"] : undefined;
  const status = isObject(body) ? body["status"] : undefined;
  if (!isObject(descriptor) || typeof name !== "string" || name === "" || typeof status !== "string") {
    throw new InputError(
      `the STREAM_STATUS trace has no trace.stream_status.stream_descriptor.name or status: a stream status must name its stream and status`,
      line,
    );
  }
  const namespace = descriptor["namespace"];
  return { type: "STREAM_STATUS", stream: { name, namespace: typeof namespace === "string" && namespace !== "" ? namespace : undefined }, status };
}

function parseState(state: unknown, line: number): AirbyteState {
  if (!isObject(state))
    throw new InputError(`the STATE message has no "state" object: expected {"type":"STATE","state":{"type":"STREAM"|"GLOBAL"|"LEGACY",…}}`, line);
  const type = state["type"] ?? "LEGACY";
  if (type !== "STREAM" && type !== "GLOBAL" && type !== "LEGACY") {
    throw new InputError(`the STATE message has state.type ${JSON.stringify(type)}: expected STREAM, GLOBAL or LEGACY`, line);
  }
  if (type !== "STREAM") return { type: "STATE", stateType: type, stream: undefined };
  const stream = state["stream"];
  const descriptor = isObject(stream) ? stream["stream_descriptor"] : undefined;
  const name = isObject(descriptor) ? descriptor["name"] : undefined;
  if (!isObject(descriptor) || typeof name !== "string" || name === "") {
    throw new InputError(`the STREAM STATE has no state.stream.stream_descriptor.name: a per-stream state must name its stream`, line);
  }
  const namespace = descriptor["namespace"];
  return { type: "STATE", stateType: "STREAM", stream: { name, namespace: typeof namespace === "string" && namespace !== "" ? namespace : undefined } };
}

/**
 * The STATE line to echo: the input line unchanged except `state.destinationStats`, set to `{"recordCount":n.0}`
 * (replacing a value the source may have put there). Text surgery keeps every other byte, big numbers included.
 */
export function stateEcho(text: string, recordCount: number): string {
  const range = rawFieldRange(text, "state");
  if (!range) throw new Error("stateEcho: the line has no state object");
  const state = text.slice(range.start, range.end);
  // The protocol types recordCount as a double and asks for a decimal point ("2.0"), so Java readers take it.
  const stats = `{"recordCount":${Number.isInteger(recordCount) ? `${recordCount}.0` : recordCount}}`;
  const existing = rawFieldRange(state, "destinationStats");
  let updated: string;
  if (existing) {
    updated = state.slice(0, existing.start) + stats + state.slice(existing.end);
  } else {
    const close = state.lastIndexOf("}");
    const empty = state.slice(state.indexOf("{") + 1, close).trim() === "";
    updated = `${state.slice(0, close)}${empty ? "" : ","}"destinationStats":${stats}${state.slice(close)}`;
  }
  return text.slice(0, range.start) + updated + text.slice(range.end);
}

export type FailureType = "config_error" | "system_error" | "transient_error";

export interface TraceErrorText {
  /** The sentence for the user. */
  message: string;
  /** The error's class (and S3 code) with its message, one line. */
  internalMessage: string;
  stackTrace: string | undefined;
  failureType: FailureType;
}

/** An AirbyteMessage TRACE of type ERROR, as one JSON line (without the newline). */
export function traceError(error: TraceErrorText, now = Date.now()): string {
  const body = {
    message: error.message,
    internal_message: error.internalMessage,
    ...(error.stackTrace === undefined ? {} : { stack_trace: error.stackTrace }),
    failure_type: error.failureType,
  };
  return JSON.stringify({ type: "TRACE", trace: { type: "ERROR", emitted_at: now, error: body } });
}

/** Airbyte v1 schemas refer to well-known types by $ref; the target reads plain JSON Schema types. */
const WELL_KNOWN: Record<string, JsonSchema> = {
  String: { type: "string" },
  BinaryData: { type: "string" },
  Boolean: { type: "boolean" },
  Date: { type: "string", format: "date" },
  TimestampWithTimezone: { type: "string", format: "date-time" },
  TimestampWithoutTimezone: { type: "string", format: "date-time" },
  TimeWithTimezone: { type: "string", format: "time" },
  TimeWithoutTimezone: { type: "string", format: "time" },
  Number: { type: "number" },
  Integer: { type: "integer" },
};

/** Protocol v0 marks integers as `type: number` with `airbyte_type: integer`: read as `integer` (INT64, exact). */
function v0Integer(schema: Record<string, unknown>): Record<string, unknown> {
  if (schema["airbyte_type"] !== "integer") return schema;
  const type = schema["type"];
  if (type === "number") return { ...schema, type: "integer" };
  if (Array.isArray(type) && type.includes("number")) return { ...schema, type: type.map((t: unknown) => (t === "number" ? "integer" : t)) };
  return schema;
}

/**
 * Replaces `WellKnownTypes.json#/definitions/X` references by the plain type, and v0 `airbyte_type: integer`
 * numbers by integers, recursively.
 */
export function normalizeJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalizeJsonSchema);
  if (!isObject(node)) return node;
  const schema = v0Integer(node);
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    const name = /WellKnownTypes\.json#\/definitions\/(\w+)$/.exec(ref)?.[1];
    const known = name === undefined ? undefined : WELL_KNOWN[name];
    if (known) {
      const { $ref: _ref, ...rest } = schema;
      return { ...(normalizeJsonSchema(rest) as JsonSchema), ...known };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = normalizeJsonSchema(v);
  return out;
}

/** Parses a ConfiguredAirbyteCatalog; every problem is listed in one ConfigError (`where` names the file). */
export function parseCatalog(raw: unknown, where: string): CatalogStream[] {
  const problems: string[] = [];
  const streams: CatalogStream[] = [];
  const list = isObject(raw) ? raw["streams"] : undefined;
  if (!Array.isArray(list)) throw new ConfigError(`the catalog ${where} is not a ConfiguredAirbyteCatalog: it must be a JSON object with a "streams" list`);
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    const at = `streams[${i}]`;
    const stream = isObject(entry) ? entry["stream"] : undefined;
    if (!isObject(entry) || !isObject(stream)) return void problems.push(`${at}: must be an object with a "stream" object`);
    const name = stream["name"];
    if (typeof name !== "string" || name === "") return void problems.push(`${at}.stream.name: must be a non-empty string`);
    const ns = stream["namespace"];
    const namespace = typeof ns === "string" && ns !== "" ? ns : undefined;
    const key = streamKey(namespace, name);
    const previous = seen.get(key);
    if (previous !== undefined) return void problems.push(`${at}: stream '${key}' is also streams[${previous}] (each namespace and name once)`);
    seen.set(key, i);
    // Before the recursive normalisation: a 2,000-level json_schema overflowed the stack there.
    const depth = jsonDepth(stream["json_schema"]);
    if (depth > MAX_SCHEMA_DEPTH)
      return void problems.push(`${at}.stream.json_schema: is nested ${depth} levels deep and at most ${MAX_SCHEMA_DEPTH} are supported`);
    const schema = normalizeJsonSchema(stream["json_schema"] ?? {});
    if (!isObject(schema)) return void problems.push(`${at}.stream.json_schema: must be a JSON Schema object`);
    const properties = isObject(schema["properties"]) ? schema["properties"] : {};
    const mode = entry["destination_sync_mode"] ?? "append";
    if (mode !== "append" && mode !== "overwrite") {
      return void problems.push(`${at}.destination_sync_mode: '${String(mode)}' is not supported (append or overwrite)`);
    }
    const int = (field: string): number | undefined => {
      const v = entry[field];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
        problems.push(`${at}.${field}: must be a non-negative integer`);
        return undefined;
      }
      return v;
    };
    const cursor = entry["cursor_field"];
    streams.push({
      name,
      namespace,
      key,
      jsonSchema: { ...schema, properties } as CatalogStream["jsonSchema"],
      destinationSyncMode: mode,
      generationId: int("generation_id"),
      minimumGenerationId: int("minimum_generation_id"),
      syncId: int("sync_id"),
      cursorField: Array.isArray(cursor) && cursor.every((c) => typeof c === "string") ? cursor : [],
    });
  });
  if (problems.length > 0) throw new ConfigError(`the catalog ${where} is invalid`, problems);
  return streams;
}
