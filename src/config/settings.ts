/**
 * The settings after loading: one field per property of `schemas/config.schema.json`, same snake_case
 * names, defaults applied. Fields without a default are `T | undefined` (always present as keys).
 * Hand-written; `test/unit/config.test.ts` fails when these keys and the schema's properties differ.
 */

export type FileType = "csv" | "parquet" | "jsonl" | "json" | "avro" | "xml";
export type AvroCodec = "null" | "deflate" | "snappy" | "zstandard";
export type Compression = "none" | "gzip";
export type ParquetCompression = "snappy" | "zstd" | "gzip" | "uncompressed";
export type ColumnHeaderFormat = "upper" | "lower";
export type ParquetNestedTypes = "struct" | "json";
export type InvalidRecordPolicy = "fail" | "skip" | "quarantine" | "nullify";
export type ValidateConstraints = "warn" | "enforce" | "ignore";
export type ServerSideEncryption = "AES256" | "aws:kms";
export type StorageClass =
  "STANDARD" | "REDUCED_REDUNDANCY" | "STANDARD_IA" | "ONEZONE_IA" | "INTELLIGENT_TIERING" | "GLACIER" | "DEEP_ARCHIVE" | "GLACIER_IR" | "EXPRESS_ONEZONE";
export type CannedAcl =
  "private" | "public-read" | "public-read-write" | "authenticated-read" | "aws-exec-read" | "bucket-owner-read" | "bucket-owner-full-control";
export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Settings {
  // Where
  /** A bucket name or `s3://bucket/prefix`, kept as given. */
  bucket: string;
  object_key_path: string;
  key_template: string;
  /** strftime pattern; null (or "" in the input, normalised to null) = no date folder. */
  date_partition_format: string | null;
  aws_region: string;
  aws_endpoint: string | undefined;
  /** Unset: true when `aws_endpoint` is set, else false (decided by the S3 client factory). */
  force_path_style: boolean | undefined;
  sts_endpoint: string | undefined;
  // Credentials
  aws_access_key_id: string | undefined;
  aws_secret_access_key: string | undefined;
  aws_session_token: string | undefined;
  aws_profile: string | undefined;
  role_arn: string | undefined;
  external_id: string | undefined;
  role_session_name: string;
  role_duration_seconds: number;
  aws_account_id: string | undefined;
  // Files
  file_type: FileType;
  compression: Compression;
  parquet_compression: ParquetCompression;
  avro_codec: AvroCodec;
  delimiter: string;
  quote_character: string;
  header: boolean;
  column_header_format: ColumnHeaderFormat | null;
  parquet_nested_types: ParquetNestedTypes;
  // Batches
  batch_size_rows: number;
  max_file_bytes: number;
  max_batch_age_seconds: number;
  memory_limit: string;
  /** Defaults to `os.tmpdir()` (filled in by the loader). */
  temp_dir: string;
  max_line_bytes: number;
  max_pending_flushes: number;
  // Records
  validate_records: boolean;
  invalid_record_policy: InvalidRecordPolicy;
  validate_constraints: ValidateConstraints;
  add_record_metadata: boolean;
  flattening_enabled: boolean;
  flattening_max_depth: number;
  /** Stream name → record property; key "*" applies to every stream. */
  cursor_field: Record<string, string>;
  /** Singer SDK stream maps (see src/maps/). */
  stream_maps: Record<string, unknown>;
  stream_map_config: Record<string, unknown>;
  // Objects
  server_side_encryption: ServerSideEncryption | undefined;
  kms_key_id: string | undefined;
  storage_class: StorageClass | undefined;
  acl: CannedAcl | undefined;
  object_tags: Record<string, string>;
  object_metadata: Record<string, string>;
  content_md5: boolean;
  multipart_part_size: number;
  upload_concurrency: number;
  max_retries: number;
  s3_request_timeout_seconds: number;
  // Run identity
  connection_id: string;
  /** Unset: the run makes a new UUID. */
  connection_run_id: string | undefined;
  timezone: string;
  // Reliability
  deterministic_keys: boolean;
  shutdown_timeout_seconds: number;
  // Ecosystem
  log_format: LogFormat;
  log_level: LogLevel;
  metrics_interval_seconds: number;
  write_manifest: boolean;
  manifest_redshift_entries: boolean;
  airbyte_metadata_columns: boolean;
}

/** Every key of `Settings`, in schema order. */
export const SETTING_NAMES = [
  "bucket",
  "object_key_path",
  "key_template",
  "date_partition_format",
  "aws_region",
  "aws_endpoint",
  "force_path_style",
  "sts_endpoint",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "aws_profile",
  "role_arn",
  "external_id",
  "role_session_name",
  "role_duration_seconds",
  "aws_account_id",
  "file_type",
  "compression",
  "parquet_compression",
  "avro_codec",
  "delimiter",
  "quote_character",
  "header",
  "column_header_format",
  "parquet_nested_types",
  "batch_size_rows",
  "max_file_bytes",
  "max_batch_age_seconds",
  "memory_limit",
  "temp_dir",
  "max_line_bytes",
  "max_pending_flushes",
  "validate_records",
  "invalid_record_policy",
  "validate_constraints",
  "add_record_metadata",
  "flattening_enabled",
  "flattening_max_depth",
  "cursor_field",
  "stream_maps",
  "stream_map_config",
  "server_side_encryption",
  "kms_key_id",
  "storage_class",
  "acl",
  "object_tags",
  "object_metadata",
  "content_md5",
  "multipart_part_size",
  "upload_concurrency",
  "max_retries",
  "s3_request_timeout_seconds",
  "connection_id",
  "connection_run_id",
  "timezone",
  "deterministic_keys",
  "shutdown_timeout_seconds",
  "log_format",
  "log_level",
  "metrics_interval_seconds",
  "write_manifest",
  "manifest_redshift_entries",
  "airbyte_metadata_columns",
] as const satisfies readonly (keyof Settings)[];

export type SettingName = (typeof SETTING_NAMES)[number];

// Compile-time: a key of Settings missing from SETTING_NAMES makes this line fail to type-check.
const everyKeyListed: [Exclude<keyof Settings, SettingName>] extends [never] ? true : never = true;
void everyKeyListed;
