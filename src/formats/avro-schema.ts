import type { Column, TypeNode } from "../schema/columns.js";
import { METADATA_COLUMNS } from "../schema/projection.js";

/**
 * A stream's Avro schema from its columns (the SCHEMA's properties after flattening and casing), following
 * Airbyte's JSON-Schema-to-Avro mapping: every field is a union with null (default null); integer → long,
 * number → double, boolean → boolean, string → string; format date-time → long timestamp-micros, date → int date,
 * time → long time-micros; objects with declared properties → records; arrays with typed items → arrays (items
 * nullable). Additions: `multipleOf` a power of ten → bytes decimal(38, scale), exact. Everything Avro cannot type
 * (untyped values, mixed-type unions, objects open to undeclared properties) → string holding the value's JSON text.
 */

/** A field of a record: its Avro name, the JSON name its value is read from, and its type. */
export interface AvroField {
  name: string;
  source: string;
  node: TypeNode;
}

export interface AvroPlan {
  /** The Avro schema (JSON), written into each file's header. */
  schema: Record<string, unknown>;
  /** The top-level fields, in column order: `_sdc_*` metadata first when asked. */
  fields: AvroField[];
}

/** Thrown when two names meet after sanitising (or the stream's SCHEMA cannot be mapped). */
export class AvroNameError extends Error {}

/**
 * The documented rule for names Avro refuses (Avro names match [A-Za-z_][A-Za-z0-9_]*): every other character
 * becomes `_`, and a name that starts with a digit (or is empty) gets a leading `_`. Two properties of one record
 * that end up with the same name are an error (nothing would tell their values apart).
 */
export function avroName(name: string): string {
  const replaced = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(replaced) ? replaced : `_${replaced}`;
}

const METADATA_NODES: Record<(typeof METADATA_COLUMNS)[number], TypeNode> = {
  _sdc_extracted_at: { kind: "date-time" },
  _sdc_received_at: { kind: "date-time" },
  _sdc_batched_at: { kind: "date-time" },
  _sdc_deleted_at: { kind: "date-time" },
  _sdc_sequence: { kind: "integer" },
  _sdc_table_version: { kind: "integer" },
};

export function avroPlanOf(stream: string, columns: Column[], metadata: boolean): AvroPlan {
  const top: Array<{ source: string; node: TypeNode }> = [];
  if (metadata) for (const name of METADATA_COLUMNS) top.push({ source: name, node: METADATA_NODES[name] });
  const taken = new Set(top.map((f) => f.source));
  for (const c of columns) if (!taken.has(c.name)) top.push({ source: c.name, node: c.node });
  const recordName = avroName(stream);
  const fields = namedFields(top, `stream '${stream}'`);
  return {
    schema: {
      type: "record",
      name: recordName,
      fields: fields.map((f) => ({ name: f.name, type: nullable(typeOf(f.node, `${recordName}.${f.name}`)), default: null })),
    },
    fields,
  };
}

function namedFields(list: Array<{ source: string; node: TypeNode }>, where: string): AvroField[] {
  const bySanitised = new Map<string, string>();
  return list.map(({ source, node }) => {
    const name = avroName(source);
    const other = bySanitised.get(name);
    if (other !== undefined) {
      throw new AvroNameError(
        `properties '${other}' and '${source}' of ${where} both become Avro field '${name}' (Avro names allow only letters, digits and _): rename one in the tap, or use another file_type`,
      );
    }
    bySanitised.set(name, source);
    return { name, source, node };
  });
}

function nullable(type: unknown): unknown {
  return ["null", type];
}

/** The Avro type of a node; `fullName` names records (unique: the path of field names from the stream's record). */
function typeOf(node: TypeNode, fullName: string): unknown {
  switch (node.kind) {
    case "integer":
      return "long";
    case "epoch-ms":
      return { type: "long", logicalType: "timestamp-millis" };
    case "number":
      return "double";
    case "decimal":
      return { type: "bytes", logicalType: "decimal", precision: node.precision ?? 38, scale: node.scale ?? 0 };
    case "boolean":
      return "boolean";
    case "date-time":
      return { type: "long", logicalType: "timestamp-micros" };
    case "date":
      return { type: "int", logicalType: "date" };
    case "time":
      return { type: "long", logicalType: "time-micros" };
    case "struct": {
      const fields = namedFields(
        [...(node.fields ?? new Map<string, TypeNode>())].map(([source, child]) => ({ source, node: child })),
        `record '${fullName}'`,
      );
      return {
        type: "record",
        name: fullName,
        fields: fields.map((f) => ({ name: f.name, type: nullable(typeOf(f.node, `${fullName}.${f.name}`)), default: null })),
      };
    }
    case "list":
      return { type: "array", items: nullable(typeOf(node.items ?? { kind: "json" }, `${fullName}.item`)) };
    default:
      return "string"; // string, and JSON text for what Avro cannot type
  }
}
