import { quoteLiteral } from "../schema/projection.js";

export interface FileFormat {
  fileType: "csv" | "parquet" | "jsonl" | "json";
  compression: "none" | "gzip";
  parquetCompression: "snappy" | "zstd" | "gzip" | "uncompressed";
  delimiter: string;
  quoteCharacter: string;
  header: boolean;
}

export function extensionOf(format: FileFormat): string {
  if (format.fileType === "parquet") return "parquet";
  return format.compression === "gzip" ? `${format.fileType}.gz` : format.fileType;
}

export function contentTypeOf(format: FileFormat): string {
  if (format.fileType === "parquet") return "application/vnd.apache.parquet";
  if (format.compression === "gzip") return "application/gzip";
  return { csv: "text/csv", jsonl: "application/x-ndjson", json: "application/json" }[format.fileType];
}

/** JSON formats are written "as sent" by Node from the records' source text; CSV and Parquet are typed by DuckDB. */
export function isDuckFormat(format: FileFormat): boolean {
  return format.fileType === "csv" || format.fileType === "parquet";
}

export const PARQUET_ROW_GROUP_ROWS = 65_536;

/** The options of DuckDB's COPY … TO for the file format (gzip is done in Node, never by DuckDB). */
export function copyOptions(format: FileFormat): string {
  // 65,536-row groups: DuckDB buffers a whole row group per file, so this bounds memory (~130 MB less than
  // DuckDB's default 122,880 rows for wide rows) while keeping groups large enough for query engines.
  if (format.fileType === "parquet") return `FORMAT parquet, COMPRESSION ${format.parquetCompression}, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_ROWS}`;
  return [
    "FORMAT csv",
    `HEADER ${format.header ? "true" : "false"}`,
    `DELIMITER ${quoteLiteral(format.delimiter)}`,
    `QUOTE ${quoteLiteral(format.quoteCharacter)}`,
    `ESCAPE ${quoteLiteral(format.quoteCharacter)}`,
  ].join(", ");
}
