import type { Column } from "./columns.js";

/**
 * For JSON formats with flattening or header casing: builds the record with the file's column names, in schema
 * order. Values are taken by path; a missing value is left out (as the tap left it out).
 */
export function recordShaper(columns: Column[]): (record: Record<string, unknown>) => Record<string, unknown> {
  return (record) => {
    const out: Record<string, unknown> = {};
    for (const column of columns) {
      let value: unknown = record;
      for (const part of column.path) {
        if (typeof value !== "object" || value === null) {
          value = undefined;
          break;
        }
        value = (value as Record<string, unknown>)[part];
      }
      if (value !== undefined) out[column.name] = value;
    }
    return out;
  };
}
