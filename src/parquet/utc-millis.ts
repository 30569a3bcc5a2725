import { field, TType, type TField, type TList, type TStruct } from "./thrift-compact.js";

// parquet.thrift ids: SchemaElement.logicalType, LogicalType.TIMESTAMP, TimestampType.{isAdjustedToUTC, unit}, TimeUnit.MILLIS.
const ELEMENT_LOGICAL_TYPE = 10;
const LOGICAL_TIMESTAMP = 8;
const TIMESTAMP_UTC = 1;
const TIMESTAMP_UNIT = 2;
const UNIT_MILLIS = 1;

/**
 * DuckDB writes TIMESTAMP_MS columns with `isAdjustedToUTC = false` (a local time). The target's only millisecond
 * timestamps are epoch milliseconds (`epoch-ms` columns), which are instants, as Airbyte's S3 destination types
 * them: this marks them adjusted to UTC in the footer's schema (FileMetaData field 2). Nothing else changes.
 */
export function millisAsUtc(schema: TField): TField {
  const list = schema.value as TList;
  return { ...schema, value: { ...list, items: list.items.map((e) => element(e as TStruct)) } };
}

function element(e: TStruct): TStruct {
  const logical = field(e, ELEMENT_LOGICAL_TYPE);
  const timestamp = logical && field(logical.value as TStruct, LOGICAL_TIMESTAMP);
  const unit = timestamp && field(timestamp.value as TStruct, TIMESTAMP_UNIT);
  if (!logical || !timestamp || !unit || !field(unit.value as TStruct, UNIT_MILLIS)) return e;
  const ts = timestamp.value as TStruct;
  const utc: TField = { id: TIMESTAMP_UTC, type: TType.True, value: true };
  const tsFields = [utc, ...ts.fields.filter((f) => f.id !== TIMESTAMP_UTC)].sort((a, b) => a.id - b.id);
  const newLogical: TStruct = {
    fields: (logical.value as TStruct).fields.map((f) => (f.id === LOGICAL_TIMESTAMP ? { ...f, value: { fields: tsFields } } : f)),
  };
  return { fields: e.fields.map((f) => (f.id === ELEMENT_LOGICAL_TYPE ? { ...f, value: newLogical } : f)) };
}
