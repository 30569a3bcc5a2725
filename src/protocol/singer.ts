import { InputError } from "../errors.js";
import { stringCount } from "./duplicate-keys.js";

/** A JSON Schema as Singer taps send it: loosely typed on purpose. */
export type JsonSchema = Record<string, unknown>;

export interface SchemaMessage {
  type: "SCHEMA";
  stream: string;
  schema: JsonSchema & { properties: Record<string, JsonSchema> };
  keyProperties: string[];
  bookmarkProperties: string[];
}
export interface RecordMessage {
  type: "RECORD";
  stream: string;
  record: Record<string, unknown>;
  timeExtracted: string | undefined;
  version: number | undefined;
  /** Keys and string values of the line outside `record` (duplicate-keys.ts counts the line's quotes against them). */
  envelopeStrings: number;
}
export interface StateMessage {
  type: "STATE";
  value: unknown;
}
export interface ActivateVersionMessage {
  type: "ACTIVATE_VERSION";
  stream: string;
  version: number | undefined;
}
/** SDK batch message: files (file:// or s3://) whose records count as RECORD messages of the stream. */
export interface BatchMessage {
  type: "BATCH";
  stream: string;
  format: "jsonl" | "parquet";
  compression: "gzip" | "none";
  manifest: string[];
}
export interface OtherMessage {
  type: "OTHER";
  messageType: string;
}
export type SingerMessage = SchemaMessage | RecordMessage | StateMessage | ActivateVersionMessage | BatchMessage | OtherMessage;

const KNOWN_TYPES = ["SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"];

/** Parses one input line into a typed message; every problem is an InputError naming the line. */
export function parseSingerLine(text: string, line: number): SingerMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InputError(`the line is not valid JSON (${detail}): each line must be one Singer message as a JSON object`, line);
  }
  if (!isObject(raw)) {
    throw new InputError(`the line is JSON ${describe(raw)}, not a message object: each line must be a JSON object with a "type"`, line);
  }
  const type = raw["type"];
  if (typeof type !== "string") {
    throw new InputError(`the message has no string "type" field: expected SCHEMA, RECORD, STATE, ACTIVATE_VERSION or BATCH`, line);
  }
  switch (type) {
    case "RECORD":
      return parseRecord(raw, line);
    case "SCHEMA":
      return parseSchema(raw, line);
    case "STATE":
      if (!("value" in raw)) throw new InputError(`the STATE message has no "value": the tap must send {"type":"STATE","value":{...}}`, line);
      return { type: "STATE", value: raw["value"] };
    case "ACTIVATE_VERSION": {
      const version = raw["version"];
      return { type: "ACTIVATE_VERSION", stream: streamOf(raw, line, type), version: typeof version === "number" ? version : undefined };
    }
    case "BATCH":
      return parseBatch(raw, line);
    default: {
      const known = KNOWN_TYPES.find((k) => k === type.toUpperCase());
      // A misspelt known type would silently lose its data if it were skipped like a foreign type.
      if (known) throw new InputError(`message type '${type}' is not a Singer message type: write '${known}' (types are upper case)`, line);
      return { type: "OTHER", messageType: type };
    }
  }
}

function parseRecord(raw: Record<string, unknown>, line: number): RecordMessage {
  const stream = streamOf(raw, line, "RECORD");
  const record = raw["record"];
  if (!isObject(record)) {
    throw new InputError(
      `the RECORD for stream '${stream}' has ${record === undefined ? "no" : describe(record) + " as"} "record": it must be a JSON object`,
      line,
    );
  }
  const te = raw["time_extracted"];
  const version = raw["version"];
  return {
    type: "RECORD",
    stream,
    record,
    timeExtracted: typeof te === "string" ? te : undefined,
    version: typeof version === "number" ? version : undefined,
    envelopeStrings: envelopeStrings(raw),
  };
}

function envelopeStrings(raw: Record<string, unknown>): number {
  let n = 0;
  for (const key in raw) n += 1 + (key === "record" ? 0 : stringCount(raw[key]));
  return n;
}

function parseBatch(raw: Record<string, unknown>, line: number): BatchMessage {
  const stream = streamOf(raw, line, "BATCH");
  const encoding = raw["encoding"];
  if (!isObject(encoding))
    throw new InputError(
      `the BATCH for stream '${stream}' has no "encoding" object: expected {"format": "jsonl" | "parquet", "compression": "gzip" | "none"}`,
      line,
    );
  const format = encoding["format"];
  if (format !== "jsonl" && format !== "parquet") {
    throw new InputError(
      `the BATCH for stream '${stream}' has encoding format ${JSON.stringify(format)}: target-s3 reads "jsonl" and "parquet" batch files`,
      line,
    );
  }
  const compression = encoding["compression"] ?? "none";
  if (compression !== "gzip" && compression !== "none" && !(format === "parquet" && typeof compression === "string")) {
    throw new InputError(
      `the BATCH for stream '${stream}' has compression ${JSON.stringify(compression)}: target-s3 reads "gzip" and "none" JSON Lines batch files`,
      line,
    );
  }
  const manifest = raw["manifest"];
  if (!Array.isArray(manifest) || !manifest.every((m) => typeof m === "string")) {
    throw new InputError(`the BATCH for stream '${stream}' has no "manifest" list of file URLs`, line);
  }
  // A Parquet file's own codec is read from the file; the message's compression names it only.
  return { type: "BATCH", stream, format, compression: format === "parquet" ? "none" : (compression as "gzip" | "none"), manifest: manifest };
}

function parseSchema(raw: Record<string, unknown>, line: number): SchemaMessage {
  const stream = streamOf(raw, line, "SCHEMA");
  const schema = raw["schema"];
  if (!isObject(schema)) {
    throw new InputError(
      `the SCHEMA for stream '${stream}' has ${schema === undefined ? "no" : describe(schema) + " as"} "schema": it must be a JSON Schema object`,
      line,
    );
  }
  const properties = schema["properties"];
  if (!isObject(properties)) {
    throw new InputError(
      `the SCHEMA for stream '${stream}' has no "properties": the target takes its columns from the schema, so the tap must declare them`,
      line,
    );
  }
  for (const [name, prop] of Object.entries(properties)) {
    if (!isObject(prop) && typeof prop !== "boolean") {
      throw new InputError(
        `the SCHEMA for stream '${stream}' declares property '${name}' as ${describe(prop)}: each property must be a JSON Schema object`,
        line,
      );
    }
  }
  return {
    type: "SCHEMA",
    stream,
    schema: schema as SchemaMessage["schema"],
    keyProperties: stringList(raw, "key_properties", stream, line),
    bookmarkProperties: stringList(raw, "bookmark_properties", stream, line),
  };
}

function streamOf(raw: Record<string, unknown>, line: number, type: string): string {
  const stream = raw["stream"];
  if (typeof stream !== "string" || stream.length === 0) {
    throw new InputError(`the ${type} message has no "stream" name: the tap must name the stream`, line);
  }
  return stream;
}

function stringList(raw: Record<string, unknown>, field: string, stream: string, line: number): string[] {
  const value = raw[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new InputError(`the SCHEMA for stream '${stream}' has "${field}" that is not a list of property names`, line);
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
