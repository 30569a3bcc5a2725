import type { Column } from "./columns.js";
import { objectFields } from "./lossless-json.js";

/**
 * For JSON formats with flattening or header casing: the members of the record rebuilt with the file's column
 * names, in schema order, as [name, value source text] pairs. Values are copied from the
 * record's source text by path, never re-serialised, so big integers and decimals keep every digit and strings
 * keep their exact escapes. A missing value (or a parent that is null or not an object) is left out, as the tap
 * left it out. Each object level is scanned once per record.
 */
export function recordShaper(columns: Column[]): (record: Record<string, unknown>, rawText: string | undefined) => Array<[string, string]> {
  return (record, rawText) => {
    const text = rawText ?? JSON.stringify(record);
    const levels = new Map<string, Map<string, string> | undefined>();
    const fieldsOf = (key: string, source: string): Map<string, string> | undefined => {
      if (levels.has(key)) return levels.get(key);
      const list = objectFields(source);
      const map = list ? new Map(list) : undefined; // a repeated name: the last wins, as in JSON.parse
      levels.set(key, map);
      return map;
    };
    const members: Array<[string, string]> = [];
    for (let k = 0; k < columns.length; k++) {
      const path = columns[k]!.path;
      let source: string | undefined = text;
      let key = "";
      for (const part of path) {
        const fields: Map<string, string> | undefined = fieldsOf(key, source);
        source = fields?.get(part);
        if (source === undefined) break;
        key += "\u0000" + part;
      }
      if (source !== undefined) members.push([columns[k]!.name, source]);
    }
    return members;
  };
}
