import { randomUUID } from "node:crypto";
import { InputError } from "../errors.js";
import type { Logger } from "../log.js";
import { parseAirbyteLine, stateEcho, streamKey, type CatalogStream } from "../protocol/airbyte.js";
import { rawFieldText } from "../protocol/raw-record.js";
import type { JsonSchema, SchemaMessage } from "../protocol/singer.js";
import { epochMillis } from "../schema/columns.js";
import { typeFailureNullifier } from "./airbyte-type-failures.js";
import type { Router } from "./router.js";

export interface AirbyteInputOptions {
  /** airbyte_metadata_columns: `_airbyte_raw_id`, `_airbyte_extracted_at`, `_airbyte_generation_id`, `_airbyte_meta`. */
  metadataColumns: boolean;
  /** Filled with the last stream status (STARTED, RUNNING, COMPLETE, INCOMPLETE) each catalog stream reported. */
  statuses: Map<string, string>;
}

/**
 * The columns airbyte_metadata_columns adds in front of each stream's own, named, ordered and typed as Airbyte's S3
 * destination writes them: `_airbyte_extracted_at` in epoch milliseconds (a UTC timestamp in milliseconds in Parquet
 * and Avro), `_airbyte_meta` as {sync_id, changes}.
 */
export const AIRBYTE_META_PROPERTIES: Record<string, JsonSchema> = {
  _airbyte_raw_id: { type: "string" },
  _airbyte_extracted_at: epochMillis({ type: "integer" }),
  _airbyte_meta: {
    type: "object",
    properties: {
      sync_id: { type: ["integer", "null"] },
      changes: {
        type: "array",
        items: { type: "object", properties: { field: { type: "string" }, change: { type: "string" }, reason: { type: "string" } } },
      },
    },
  },
  _airbyte_generation_id: { type: ["integer", "null"] },
};

/**
 * The SCHEMA the router gets for a catalog stream: its json_schema with every top-level column nullable (as
 * Airbyte destinations treat them; a value its type cannot hold becomes null), plus the metadata columns when asked.
 */
export interface CatalogSchemaOptions {
  metadataColumns: boolean;
  /** flattening_enabled: `_airbyte_meta` then stays one (JSON) column instead of becoming `_airbyte_meta__…`. */
  flattening: boolean;
}

export function catalogSchema(stream: CatalogStream, options: CatalogSchemaOptions): SchemaMessage {
  const own = Object.fromEntries(Object.entries(stream.jsonSchema.properties).map(([name, schema]) => [name, nullable(schema)]));
  const meta = options.flattening ? { ...AIRBYTE_META_PROPERTIES, _airbyte_meta: { type: "object" } } : AIRBYTE_META_PROPERTIES;
  const properties = options.metadataColumns ? { ...meta, ...own } : own;
  return {
    type: "SCHEMA",
    stream: stream.key,
    schema: { ...stream.jsonSchema, properties },
    keyProperties: [],
    bookmarkProperties: stream.cursorField.length === 1 ? [stream.cursorField[0]!] : [],
  };
}

function nullable(schema: JsonSchema): JsonSchema {
  const type = schema["type"];
  if (typeof type === "string") return type === "null" ? schema : { ...schema, type: [type, "null"] };
  if (Array.isArray(type) && !type.includes("null")) return { ...schema, type: [...(type as unknown[]), "null"] };
  return schema;
}

/**
 * Airbyte mode's default for a value its column's type cannot hold: null plus a change in `_airbyte_meta` (Airbyte
 * destinations' behaviour), whenever there is an `_airbyte_meta` column to record it in; without the metadata
 * columns, invalid_record_policy applies. Point this at `invalid_record_policy: nullify` once that exists.
 */
export function airbyteTypeFailurePolicy(options: Pick<AirbyteInputOptions, "metadataColumns">): "nullify" | "invalid_record_policy" {
  return options.metadataColumns ? "nullify" : "invalid_record_policy";
}

/**
 * AirbyteMessage lines → router calls. The catalog's streams were declared to the router beforehand (the catalog
 * plays the SCHEMA role). Each STATE goes to the ledger as the exact line to echo, with `destinationStats.recordCount`
 * counted here: records of its stream since that stream's previous STATE (STREAM), or of all streams since the
 * previous STATE (GLOBAL, LEGACY). STREAM and GLOBAL/LEGACY states in one input are refused.
 */
export function airbyteHandler(
  router: Router,
  catalog: readonly CatalogStream[],
  logger: Logger,
  options: AirbyteInputOptions,
): (text: string, line: number) => Promise<void> | undefined {
  const streams = new Map(catalog.map((s) => [s.key, s]));
  const nullifiers = new Map(airbyteTypeFailurePolicy(options) === "nullify" ? catalog.map((s) => [s.key, typeFailureNullifier(s)]) : []);
  const perStream = new Map<string, number>();
  let sinceLastState = 0;
  let stateKind: "STREAM" | "GLOBAL" | undefined;
  let stateKindLine = 0;
  const otherSeen = new Set<string>();

  return (text, line) => {
    const clock = router.metrics.lineClock();
    const message = parseAirbyteLine(text, line);
    router.metrics.addSampled("parse", clock);
    switch (message.type) {
      case "RECORD": {
        const key = streamKey(message.namespace, message.stream);
        const stream = streams.get(key);
        if (!stream) {
          throw new InputError(
            `RECORD for stream '${key}', which is not in the configured catalog (${catalogNames([...streams.keys()])}): the source and the catalog disagree; refresh the connection's schema`,
            line,
          );
        }
        perStream.set(key, (perStream.get(key) ?? 0) + 1);
        sinceLastState++;
        const recordText = rawFieldText(text, "record");
        const sentText = recordText === undefined ? undefined : rawFieldText(recordText, "data");
        let rawText = sentText;
        let data = message.data;
        const extractedAt = message.emittedAt === undefined ? undefined : new Date(message.emittedAt).toISOString();
        if (options.metadataColumns) {
          const nullified = nullifiers.get(key)!(data, rawText);
          const meta = {
            _airbyte_raw_id: randomUUID(),
            _airbyte_extracted_at: message.emittedAt ?? Date.now(),
            _airbyte_meta: { sync_id: stream.syncId ?? null, changes: [...message.changes, ...nullified.changes] },
            _airbyte_generation_id: stream.generationId ?? null,
          };
          data = nullified.data;
          rawText = nullified.rawText;
          const collides = Object.keys(meta).some((k) => k in data);
          rawText = rawText === undefined || collides ? undefined : spliceFront(rawText, JSON.stringify(meta));
          data = { ...data, ...meta };
        }
        const incoming = { record: data, rawText, timeExtracted: extractedAt, version: undefined };
        // Duplicate keys are looked for in `data` as sent: nulling and metadata columns rebuild the text without them.
        const unmapped = options.metadataColumns ? { ...incoming, record: message.data, rawText: sentText } : undefined;
        return router.record(key, { ...incoming, unmapped }, line, text);
      }
      case "STATE": {
        const kind = message.stateType === "STREAM" ? "STREAM" : "GLOBAL";
        if (stateKind !== undefined && stateKind !== kind) {
          throw new InputError(
            `a ${message.stateType} STATE follows ${stateKind === "STREAM" ? "STREAM" : "GLOBAL/LEGACY"} states (line ${stateKindLine}): the source must use per-stream or global state, not both`,
            line,
          );
        }
        stateKind ??= kind;
        stateKindLine ||= line;
        let count: number;
        if (message.stream) {
          const key = streamKey(message.stream.namespace, message.stream.name);
          count = perStream.get(key) ?? 0;
          perStream.set(key, 0);
        } else {
          count = sinceLastState;
        }
        sinceLastState = 0;
        router.state(line, stateEcho(text, count));
        return undefined;
      }
      case "STREAM_STATUS": {
        const key = streamKey(message.stream.namespace, message.stream.name);
        if (streams.has(key)) options.statuses.set(key, message.status);
        else logger.debug("stream status of a stream not in the catalog", { stream: key, status: message.status, line });
        return undefined;
      }
      case "OTHER":
        if (message.messageType === "TRACE" || message.messageType === "LOG") {
          if (!otherSeen.has(message.messageType)) logger.debug(`${message.messageType} messages from the source are passed over`, { line });
          otherSeen.add(message.messageType);
          return undefined;
        }
        router.unknown(message.messageType, line);
        return undefined;
    }
  };
}

/** `{"a":1}` with fields `{"x":2}` in front → `{"x":2,"a":1}` (the record's own text kept byte for byte). */
function spliceFront(objectText: string, fieldsJson: string): string {
  const inner = objectText.slice(objectText.indexOf("{") + 1).trimStart();
  return inner.startsWith("}") ? fieldsJson : `${fieldsJson.slice(0, -1)},${inner}`;
}

/** The catalog's stream ids for a message: the first few, then how many more. */
function catalogNames(keys: string[]): string {
  const shown = keys
    .slice(0, 5)
    .map((k) => `'${k}'`)
    .join(", ");
  return keys.length > 5 ? `${shown} and ${keys.length - 5} more` : shown;
}
