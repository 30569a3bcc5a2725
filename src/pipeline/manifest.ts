/**
 * The run manifest (`write_manifest`): one JSON object at `<prefix>/<object_key_path>/_manifests/<run id>.json`
 * listing every object the run stored, written once at the end of a successful run.
 *
 * Order: the manifest goes up after every data object is complete, which means after the final STATE has
 * already been printed (the ledger releases each STATE as soon as the objects before it are stored). A STATE is
 * the promise that the data is stored; the manifest is an index of it, not part of that promise. A failed or
 * interrupted run writes no manifest (its objects, which earlier STATEs may cover, are found by listing the
 * prefix for the run id). A failed manifest upload fails the run (exit 1) with a message saying so.
 *
 * With `manifest_redshift_entries` the manifest also carries `entries` (Redshift COPY's MANIFEST format; COPY
 * ignores the other keys) and, because one COPY loads one table, one COPY manifest per stream at
 * `_manifests/<run id>/<stream>.json`, written before the run manifest that names them.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { UploadError } from "../errors.js";
import { s3ErrorFacts } from "../s3/error-facts.js";
import { putTextObject } from "../s3/put-text-object.js";
import { joinKey, safeSegment } from "../s3/safe-key.js";
import type { StoredObject } from "./flusher.js";
import type { ObjectOptions } from "../s3/object-options.js";
import type { FieldViolationCount } from "./metrics.js";

export const MANIFEST_VERSION = 1;

export interface RedshiftEntry {
  url: string;
  mandatory: true;
  meta: { content_length: number };
}

export interface ManifestObject {
  key: string;
  url: string;
  stream: string;
  rows: number;
  bytes: number;
  etag: string | null;
  schema_hash: string;
  /** The smallest / largest value of the stream's cursor in the object, as sent; null without a cursor. */
  min_cursor: unknown;
  max_cursor: unknown;
  first_line: number;
  last_line: number;
}

export interface RunManifest {
  manifest_version: number;
  target: "target-s3";
  target_version: string;
  connection_id: string;
  connection_run_id: string;
  started_at: string;
  finished_at: string;
  bucket: string;
  file_type: string;
  compression: string;
  object_count: number;
  row_count: number;
  byte_count: number;
  streams: Record<string, { objects: number; rows: number; bytes: number; redshift_manifest?: string }>;
  objects: ManifestObject[];
  /** Per stream with any: records refused under invalid_record_policy, fields of kept records that broke a rule. */
  validation?: ValidationSummary;
  entries?: RedshiftEntry[];
}

export type ValidationSummary = Record<
  string,
  {
    invalid_records: number;
    field_violations: Array<Omit<FieldViolationCount, "stream">>;
  }
>;

export interface ManifestInput {
  bucket: string;
  /** The bucket URI's prefix and object_key_path, joined before `_manifests/`. */
  prefixParts: readonly string[];
  connectionId: string;
  connectionRunId: string;
  targetVersion: string;
  fileType: string;
  compression: string;
  startedAt: Date;
  finishedAt: Date;
  stored: readonly StoredObject[];
  redshiftEntries: boolean;
  validation?: ValidationSummary;
}

export interface ManifestUpload {
  key: string;
  body: RunManifest | { entries: RedshiftEntry[] };
}

export function manifestKey(prefixParts: readonly string[], connectionRunId: string): string {
  return joinKey([...prefixParts, "_manifests", `${safeSegment(connectionRunId)}.json`]);
}

export function streamManifestKey(prefixParts: readonly string[], connectionRunId: string, stream: string): string {
  return joinKey([...prefixParts, "_manifests", safeSegment(connectionRunId), `${safeSegment(stream)}.json`], stream);
}

const s3Url = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

function entryOf(bucket: string, o: StoredObject): RedshiftEntry {
  return { url: s3Url(bucket, o.key), mandatory: true, meta: { content_length: o.bytes } };
}

/** Pure: the objects to upload, per-stream COPY manifests first and the run manifest last. */
export function buildManifests(input: ManifestInput): ManifestUpload[] {
  const stored = [...input.stored].sort((a, b) => (a.stream === b.stream ? compare(a.key, b.key) : compare(a.stream, b.stream)));
  const objects: ManifestObject[] = stored.map((o) => ({
    key: o.key,
    url: s3Url(input.bucket, o.key),
    stream: o.stream,
    rows: o.rows,
    bytes: o.bytes,
    etag: o.etag ?? null,
    schema_hash: o.schemaHash,
    min_cursor: o.minCursor ?? null,
    max_cursor: o.maxCursor ?? null,
    first_line: o.firstLine,
    last_line: o.lastLine,
  }));
  const streams: RunManifest["streams"] = {};
  for (const o of stored) {
    const s = (streams[o.stream] ??= { objects: 0, rows: 0, bytes: 0 });
    s.objects++;
    s.rows += o.rows;
    s.bytes += o.bytes;
  }
  const uploads: ManifestUpload[] = [];
  if (input.redshiftEntries) {
    for (const [stream, summary] of Object.entries(streams)) {
      const key = streamManifestKey(input.prefixParts, input.connectionRunId, stream);
      summary.redshift_manifest = s3Url(input.bucket, key);
      uploads.push({ key, body: { entries: stored.filter((o) => o.stream === stream).map((o) => entryOf(input.bucket, o)) } });
    }
  }
  const manifest: RunManifest = {
    manifest_version: MANIFEST_VERSION,
    target: "target-s3",
    target_version: input.targetVersion,
    connection_id: input.connectionId,
    connection_run_id: input.connectionRunId,
    started_at: input.startedAt.toISOString(),
    finished_at: input.finishedAt.toISOString(),
    bucket: input.bucket,
    file_type: input.fileType,
    compression: input.compression,
    object_count: objects.length,
    row_count: objects.reduce((n, o) => n + o.rows, 0),
    byte_count: objects.reduce((n, o) => n + o.bytes, 0),
    streams,
    objects,
  };
  if (input.validation && Object.keys(input.validation).length > 0) manifest.validation = input.validation;
  if (input.redshiftEntries) manifest.entries = stored.map((o) => entryOf(input.bucket, o));
  uploads.push({ key: manifestKey(input.prefixParts, input.connectionRunId), body: manifest });
  return uploads;
}

/** Uploads the manifests in order (the run manifest last); returns the run manifest's key. */
export async function writeManifests(client: S3Client, input: ManifestInput, options: ObjectOptions, contentMd5: boolean): Promise<string> {
  const uploads = buildManifests(input);
  for (const { key, body } of uploads) {
    const text = JSON.stringify(body, null, 2) + "\n";
    try {
      await putTextObject(client, { bucket: input.bucket, key, text, contentType: "application/json", contentMd5 }, options);
    } catch (error) {
      const { code, message } = s3ErrorFacts(error);
      throw new UploadError(
        `upload of the run manifest s3://${input.bucket}/${key} failed: ${code}: ${message}; ` +
          "every data object and STATE of this run was already stored, only the manifest is missing (grant s3:PutObject on the _manifests/ prefix, or turn write_manifest off)",
        input.bucket,
        key,
        code,
        { cause: error },
      );
    }
  }
  return uploads[uploads.length - 1]?.key ?? manifestKey(input.prefixParts, input.connectionRunId);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
