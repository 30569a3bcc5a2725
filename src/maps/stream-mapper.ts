/**
 * Singer SDK stream maps as a message transformer in front of the router: a SCHEMA becomes zero or more SCHEMAs
 * (removed, aliased, copied with `__source__`, properties removed or computed), a RECORD the matching records.
 * Properties a map does not compute keep their exact source text (numbers as sent); computed values are written
 * by py-value.ts toJsonText.
 */
import { ConfigError, InputError } from "../errors.js";
import type { JsonSchema, SchemaMessage } from "../protocol/singer.js";
import { objectFields } from "../schema/lossless-json.js";
import { evaluate } from "./evaluate.js";
import { expressionSchema } from "./expression-type.js";
import { KEY_PROPERTIES, streamMatches, type CustomMap, type Expression, type MapsConfig } from "./map-config.js";
import { PyError, fromJson, toJsonText, truthy, type PyValue } from "./py-value.js";
import { RecordNames } from "./record-names.js";

/** A record after mapping: `rawText` undefined means the record is unchanged (its input text is used as is). */
export interface MappedRecord {
  stream: string;
  record: Record<string, unknown>;
  rawText: string | undefined;
}

interface Output {
  alias: string;
  /** undefined: the record passes unchanged. null: the stream is removed. */
  map: CompiledMap | undefined | null;
}

interface CompiledMap {
  spec: CustomMap;
  keyProperties: string[];
  /** No property rule and no `__else__`: records that pass the filter are unchanged. */
  identity: boolean;
}

export class StreamMapper {
  private readonly outputs = new Map<string, Output[]>();
  /** Per source stream: the SCHEMA it gave each output stream (several sources may map to one name). */
  private readonly outputSchemas = new Map<string, Map<string, SchemaMessage>>();
  private readonly config: PyValue;

  constructor(
    private readonly maps: MapsConfig,
    streamMapConfig: Record<string, unknown>,
  ) {
    this.config = fromJson(streamMapConfig);
  }

  /** The SCHEMAs a source SCHEMA becomes (none when the stream is removed). */
  schema(message: SchemaMessage): SchemaMessage[] {
    const outputs: Output[] = [{ alias: message.stream, map: this.maps.dropUnmapped ? null : undefined }];
    for (const entry of this.maps.entries) {
      if (!streamMatches(message.stream, entry.source)) continue;
      const alias = entry.alias === entry.source && entry.source !== message.stream ? message.stream : entry.alias;
      const output: Output = { alias, map: entry.rule.map === null ? null : this.compile(alias, entry.rule.map, message) };
      if (entry.primary) outputs[0] = output;
      else outputs.push(output);
    }
    this.outputs.set(message.stream, outputs);
    const messages: SchemaMessage[] = [];
    for (const output of outputs) {
      if (output.map === null) continue;
      messages.push(output.map === undefined ? { ...message, stream: output.alias } : this.mappedSchema(output.alias, output.map, message));
    }
    this.outputSchemas.set(message.stream, new Map(messages.map((m) => [m.stream, m])));
    return messages;
  }

  /** The SCHEMA source stream `source` last gave output stream `output`. */
  schemaFor(source: string, output: string): SchemaMessage | undefined {
    return this.outputSchemas.get(source)?.get(output);
  }

  /** The records a source RECORD becomes; undefined when its stream has no SCHEMA yet (the router says so). */
  record(stream: string, record: Record<string, unknown>, rawText: () => string, line: number): MappedRecord[] | undefined {
    const outputs = this.outputs.get(stream);
    if (!outputs) return undefined;
    const out: MappedRecord[] = [];
    let names: RecordNames | undefined;
    for (const output of outputs) {
      if (output.map === null) continue;
      if (output.map === undefined) {
        out.push({ stream: output.alias, record, rawText: undefined });
        continue;
      }
      const { spec } = output.map;
      names ??= new RecordNames(new Map(objectFields(rawText()) ?? []), this.config);
      if (spec.filter && !truthy(this.run(output.alias, spec.filter, names, undefined, line))) continue;
      if (output.map.identity) {
        out.push({ stream: output.alias, record, rawText: undefined });
        continue;
      }
      out.push({ stream: output.alias, ...this.transform(output.alias, output.map, record, names, line) });
    }
    return out;
  }

  private compile(alias: string, spec: CustomMap, message: SchemaMessage): CompiledMap {
    const keyProperties = spec.keyProperties ?? message.keyProperties;
    for (const rule of spec.properties) {
      if (rule.expression === undefined && keyProperties.includes(rule.name)) {
        throw new ConfigError(
          `stream_maps: removing key property '${rule.name}' of stream '${alias}' is not permitted: set ${KEY_PROPERTIES} to the new key (or null for none)`,
        );
      }
    }
    return { spec, keyProperties, identity: spec.properties.length === 0 && !spec.dropUnmentioned };
  }

  /** The output SCHEMA as the SDK derives it; with `__else__: null` the key properties stay (their values do). */
  private mappedSchema(alias: string, map: CompiledMap, message: SchemaMessage): SchemaMessage {
    const raw = message.schema;
    const source = raw.properties;
    const properties: Record<string, JsonSchema> = {};
    if (map.spec.dropUnmentioned) {
      for (const key of map.keyProperties) if (Object.hasOwn(source, key)) properties[key] = structuredClone(source[key] as JsonSchema);
    } else Object.assign(properties, structuredClone(source));
    for (const rule of map.spec.properties) {
      if (rule.expression === undefined) {
        delete properties[rule.name];
        continue;
      }
      const existing = properties[rule.name] ?? source[rule.name];
      properties[rule.name] = expressionSchema(rule.expression.text, rule.expression.node, {
        properties: source,
        rawSchema: raw,
        existing,
        config: this.config,
      });
    }
    for (const key of map.keyProperties) {
      if (!Object.hasOwn(properties, key)) {
        throw new ConfigError(
          `stream_maps: key property '${key}' of stream '${alias}' is not in the mapped stream: keep or compute it, or change ${KEY_PROPERTIES}`,
        );
      }
    }
    const schema: SchemaMessage["schema"] = { ...structuredClone(raw), properties };
    if (Array.isArray(raw["required"]))
      schema["required"] = (raw["required"] as unknown[]).filter((r) => typeof r === "string" && Object.hasOwn(properties, r));
    return {
      type: "SCHEMA",
      stream: alias,
      schema,
      keyProperties: [...map.keyProperties],
      bookmarkProperties: message.bookmarkProperties.filter((b) => Object.hasOwn(properties, b)),
    };
  }

  /** The mapped record's text (untouched members as sent) and its parsed value (computed members parsed back). */
  private transform(
    alias: string,
    map: CompiledMap,
    record: Record<string, unknown>,
    names: RecordNames,
    line: number,
  ): { record: Record<string, unknown>; rawText: string } {
    const { fields } = names;
    // Each member's text, and where its parsed value comes from: an input property, or (computed) its own text.
    const result = new Map<string, { text: string; from: string | undefined }>();
    if (map.spec.dropUnmentioned) {
      for (const key of map.keyProperties) {
        const text = fields.get(key);
        if (text !== undefined) result.set(key, { text, from: key });
      }
    } else for (const [k, text] of fields) result.set(k, { text, from: k });
    for (const rule of map.spec.properties) {
      if (rule.expression === undefined) {
        result.delete(rule.name);
        continue;
      }
      const copied = copiedProperty(rule.expression, rule.name);
      const text = copied !== undefined ? fields.get(copied) : undefined;
      if (text !== undefined) result.set(rule.name, { text, from: copied });
      else result.set(rule.name, { text: this.textOf(alias, rule.expression, names, rule.name, line), from: undefined });
    }
    const out: Record<string, unknown> = {};
    const members: string[] = [];
    for (const [name, member] of result) {
      members.push(`${JSON.stringify(name)}:${member.text}`);
      const value: unknown = member.from === undefined ? JSON.parse(member.text) : record[member.from];
      Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return { record: out, rawText: `{${members.join(",")}}` };
  }

  private textOf(alias: string, expression: Expression, names: RecordNames, property: string, line: number): string {
    const value = this.run(alias, expression, names, property, line);
    try {
      return toJsonText(value);
    } catch (error) {
      throw this.failure(alias, expression, error, line);
    }
  }

  private run(alias: string, expression: Expression, names: RecordNames, property: string | undefined, line: number): PyValue {
    try {
      return names.withSelf(property, () => evaluate(expression.node, names));
    } catch (error) {
      throw this.failure(alias, expression, error, line);
    }
  }

  private failure(alias: string, expression: Expression, error: unknown, line: number): Error {
    if (!(error instanceof PyError) && !(error instanceof RangeError)) return error as Error;
    return new InputError(
      `stream_maps for stream '${alias}': expression ${JSON.stringify(expression.text)} failed on this record (${error.message}): fix the expression or the record`,
      line,
    );
  }
}

/** A property copied as is (`email`, `record['email']`, `_["email"]`, `self`): its source text is kept exactly. */
function copiedProperty(expression: Expression, property: string): string | undefined {
  const node = expression.node;
  if (node.k === "name") {
    if (node.id === "self") return property;
    return ["record", "_", "config"].includes(node.id) ? undefined : node.id;
  }
  if (
    node.k === "index" &&
    node.obj.k === "name" &&
    (node.obj.id === "record" || node.obj.id === "_") &&
    node.index.k === "lit" &&
    typeof node.index.v === "string"
  )
    return node.index.v;
  return undefined;
}
