import type { Readable, Writable } from "node:stream";
import { DuckDBInstance } from "@duckdb/node-api";
import type { S3Client } from "@aws-sdk/client-s3";
import { ConfigError, InterruptedError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Settings } from "../config/settings.js";
import { parseBucket } from "../s3/bucket-uri.js";
import { KeyTemplate, validateDatePartitionFormat } from "../s3/key-template.js";
import { isDuckFormat, type FileFormat } from "./file-writer.js";
import { Flusher, type StoredObject } from "./flusher.js";
import { SinkFactory } from "./sink-factory.js";
import { writeManifests } from "./manifest.js";
import { packageJson } from "../config/schema.js";
import { readLines } from "./line-reader.js";
import { Metrics, since } from "./metrics.js";
import { duckEncoder, jsonEncoder } from "./record-encoder.js";
import { Quarantine, rejectedKey } from "./quarantine.js";
import { Router } from "./router.js";
import { singerHandler } from "./singer-input.js";
import { createRunDir, removeRunDir } from "./run-dir.js";
import { StateLedger } from "./state-ledger.js";
import { Uploader, type ObjectOptions } from "./uploader.js";
import { DeterministicKeys, deterministicTemplate } from "../s3/deterministic-key.js";

export interface RunIO {
  input: Readable;
  /** Receives each committed STATE value as one line. */
  emitState: (line: string) => void;
  signal: AbortSignal;
}

export interface RunSummary {
  records: number;
  stored: StoredObject[];
  statesEmitted: number;
}

export interface RunContext {
  settings: Settings;
  client: S3Client;
  logger: Logger;
  connectionRunId: string;
  runStart: Date;
}

export function fileFormatOf(settings: Settings): FileFormat {
  return {
    fileType: settings.file_type,
    compression: settings.file_type === "parquet" ? "none" : settings.compression,
    parquetCompression: settings.parquet_compression,
    delimiter: settings.delimiter,
    quoteCharacter: settings.quote_character,
    header: settings.header,
  };
}

export function objectOptionsOf(settings: Settings): ObjectOptions {
  const options: ObjectOptions = {};
  if (settings.server_side_encryption) options.ServerSideEncryption = settings.server_side_encryption;
  // A KMS key only means something with aws:kms (the loader rejects it with AES256).
  if (settings.kms_key_id && settings.server_side_encryption === "aws:kms") options.SSEKMSKeyId = settings.kms_key_id;
  if (settings.storage_class) options.StorageClass = settings.storage_class;
  if (settings.acl) options.ACL = settings.acl;
  const tags = Object.entries(settings.object_tags);
  // x-amz-tagging is a query string; %20 rather than URLSearchParams' "+" for spaces.
  if (tags.length > 0) options.Tagging = tags.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  if (Object.keys(settings.object_metadata).length > 0) options.Metadata = { ...settings.object_metadata };
  return options;
}

function parseTemplate(template: string, datePartitionFormat: string | null): KeyTemplate {
  const problems = datePartitionFormat === null ? [] : validateDatePartitionFormat(datePartitionFormat);
  if (problems.length > 0) throw new ConfigError("Invalid configuration", problems.map((p) => `date_partition_format: ${p}`));
  try {
    return KeyTemplate.parse(template);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`key_template is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What differs between the Singer and the Airbyte run; the engine (router, batches, flusher, ledger) is shared. */
export interface ProtocolOptions {
  /** Builds the line handler once the router exists (default: the Singer adapter). */
  handlerFor?: (router: Router) => (text: string, line: number) => Promise<void> | undefined;
  /** Emit every releasable STATE, not only the latest (Airbyte per-stream states). */
  emitEachState?: boolean;
  /** Extra S3 object metadata for every object of a stream (router stream id). */
  objectMetadata?: (stream: string) => Record<string, string> | undefined;
  /** The `{stream_name}` of a router stream id (Airbyte ids are `namespace.name`); default: the id itself. */
  streamName?: (stream: string) => string;
}

/** The Singer run: reads messages until end of input, stores every record, emits committed STATEs. */
export async function runSinger(ctx: RunContext, io: RunIO, protocol: ProtocolOptions = {}): Promise<RunSummary> {
  const { settings, logger } = ctx;
  const template = settings.deterministic_keys ? deterministicTemplate(settings) : parseTemplate(settings.key_template, settings.date_partition_format);
  const deterministic = settings.deterministic_keys ? new DeterministicKeys() : undefined;
  const format = fileFormatOf(settings);
  const { bucket, prefix } = parseBucket(settings.bucket);
  const runDir = await createRunDir(settings.temp_dir);
  if (runDir.removed.length > 0) logger.info("removed leftovers of crashed runs", { folders: runDir.removed });

  const metrics = new Metrics(logger);
  const ledger = new StateLedger<string>((value) => io.emitState(value), { emitEach: protocol.emitEachState ?? false });
  const uploads = new AbortController();
  const onAbort = (): void => uploads.abort();
  io.signal.addEventListener("abort", onAbort, { once: true });
  const flusher = new Flusher({ ledger, metrics, logger, maxPending: settings.max_pending_flushes, signal: uploads.signal });
  const sinks = new SinkFactory({
    settings,
    format,
    template,
    bucketPrefix: prefix,
    connectionRunId: ctx.connectionRunId,
    runStart: ctx.runStart,
    // deterministic_keys: If-None-Match: * where the store supports it (a 412 is checked as "already written").
    uploader: new Uploader(ctx.client, bucket, { ...objectOptionsOf(settings), ...(deterministic ? { IfNoneMatch: "*" } : {}) }, settings.multipart_part_size, settings.upload_concurrency),
    deterministic,
    uploaderFor: protocol.objectMetadata ? perStreamUploader(ctx, bucket, protocol.objectMetadata) : undefined,
    streamNameOf: protocol.streamName,
    flusher,
    openDb: isDuckFormat(format) ? () => openDuckDb(settings, runDir.path) : undefined,
    runDir: runDir.path,
    signal: uploads.signal,
  });

  const columnOptions = {
    flatten: settings.flattening_enabled,
    flattenMaxDepth: settings.flattening_max_depth,
    nestedTypes: format.fileType === "parquet" ? settings.parquet_nested_types : ("json" as const),
    headerFormat: settings.column_header_format,
  };
  // invalid_record_policy=quarantine: refused records go to _rejected/ objects (see quarantine.ts).
  const quarantine = new Quarantine({
    uploader: new Uploader(ctx.client, bucket, objectOptionsOf(settings), settings.multipart_part_size, settings.upload_concurrency),
    ledger,
    logger,
    runDir: runDir.path,
    keyFor: (stream, part) => rejectedKey(prefix, settings.object_key_path, stream, ctx.runStart, ctx.connectionRunId, part),
    signal: uploads.signal,
    maxRows: settings.batch_size_rows,
    maxChars: settings.max_file_bytes,
    maxAgeMs: settings.max_batch_age_seconds * 1000,
  });
  const router = new Router({
    options: {
      columns: columnOptions,
      validate: settings.validate_records,
      invalidRecordPolicy: settings.invalid_record_policy,
      cursorFields: settings.cursor_field,
      batchSizeRows: settings.batch_size_rows,
      maxFileChars: settings.max_file_bytes,
      maxBatchAgeMs: settings.max_batch_age_seconds * 1000,
      metadata: settings.add_record_metadata,
      timeZone: settings.timezone,
      reshapeJson: !isDuckFormat(format) && (settings.flattening_enabled || settings.column_header_format !== null),
    },
    template,
    encoder: isDuckFormat(format)
      ? duckEncoder(settings.add_record_metadata)
      : jsonEncoder(settings.add_record_metadata),
    ledger,
    flusher,
    metrics,
    logger,
    openSink: (ref) => sinks.opener(ref),
    quarantine: (stream, line, reason, text) => quarantine.add(stream, line, reason, text),
    beforeState: deterministic
      ? () => {
          router.flushAll();
          deterministic.newSegment();
        }
      : undefined,
  });

  const ageTimer = setInterval(() => {
    router.flushStale(Date.now());
    quarantine.flushStale(Date.now());
  }, Math.min(1000, settings.max_batch_age_seconds * 1000));
  ageTimer.unref();
  const metricsTimer =
    settings.metrics_interval_seconds > 0 ? setInterval(() => metrics.report(false), settings.metrics_interval_seconds * 1000) : undefined;
  metricsTimer?.unref();

  const handle = (protocol.handlerFor ?? singerHandler)(router);
  let records = 0;
  try {
    const t0 = process.hrtime.bigint();
    await readLines(io.input, settings.max_line_bytes, (text, line) => {
      if (flusher.failure !== undefined) throw flusher.failure;
      if (io.signal.aborted) throw new InterruptedError(signalOf(io.signal));
      records++;
      if (deterministic) deterministic.line = text;
      return handle(text, line);
    });
    metrics.addStage("parse", since(t0));
    if (io.signal.aborted) throw new InterruptedError(signalOf(io.signal));
    router.flushAll();
    quarantine.flushAll();
    await flusher.drain();
    await quarantine.drain();
    metrics.report(true);
    if (settings.write_manifest) {
      // After the final STATE (already released by the drain): the manifest indexes stored data, see manifest.ts.
      const manifest = await writeManifests(
        ctx.client,
        {
          bucket,
          prefixParts: [prefix, settings.object_key_path],
          connectionId: settings.connection_id,
          connectionRunId: ctx.connectionRunId,
          targetVersion: packageJson().version,
          fileType: format.fileType,
          compression: format.fileType === "parquet" ? format.parquetCompression : format.compression,
          startedAt: ctx.runStart,
          finishedAt: new Date(),
          stored: flusher.stored,
          redshiftEntries: settings.manifest_redshift_entries,
        },
        objectOptionsOf(settings),
        settings.content_md5,
      );
      logger.info("run manifest stored", { key: manifest, objects: flusher.stored.length });
    }
    return { records, stored: flusher.stored, statesEmitted: ledger.emittedCount };
  } catch (error) {
    flusher.fail(error);
    uploads.abort();
    await flusher.discardOpen();
    await boundedDrain(flusher, settings.shutdown_timeout_seconds * 1000);
    if (io.signal.aborted && !(error instanceof InterruptedError)) throw new InterruptedError(signalOf(io.signal));
    throw flusher.failure !== undefined && !(error instanceof InterruptedError) && isSecondary(error) ? flusher.failure : error;
  } finally {
    clearInterval(ageTimer);
    if (metricsTimer) clearInterval(metricsTimer);
    io.signal.removeEventListener("abort", onAbort);
    await removeRunDir(runDir.path);
  }
}

/** One Uploader per stream whose objects carry the stream's own metadata (e.g. Airbyte generation ids). */
function perStreamUploader(ctx: RunContext, bucket: string, metadataOf: (stream: string) => Record<string, string> | undefined): (stream: string) => Uploader | undefined {
  const uploaders = new Map<string, Uploader | undefined>();
  return (stream) => {
    if (!uploaders.has(stream)) {
      const extra = metadataOf(stream);
      const options = objectOptionsOf(ctx.settings);
      if (extra) options.Metadata = { ...options.Metadata, ...extra };
      const s = ctx.settings;
      uploaders.set(stream, extra ? new Uploader(ctx.client, bucket, options, s.multipart_part_size, s.upload_concurrency) : undefined);
    }
    return uploaders.get(stream);
  };
}

async function openDuckDb(settings: Settings, runDir: string): Promise<DuckDBInstance> {
  // Everything explicit: nothing is downloaded or installed at run time; spills stay in the run folder.
  // One instance per conversion (closing it is what hands its memory back to the OS). One DuckDB thread: conversions run one at a time on the second core while the main thread parses; measured
  // here, one thread converts as fast as two under that load and holds ~60 MB less memory.
  return DuckDBInstance.create(":memory:", {
    memory_limit: settings.memory_limit,
    threads: "1",
    temp_directory: `${runDir}/duckdb`,
    extension_directory: `${runDir}/duckdb/extensions`,
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
}

async function boundedDrain(flusher: Flusher, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([flusher.drain().catch(() => undefined), timeout]);
  if (timer) clearTimeout(timer);
}

function signalOf(signal: AbortSignal): "SIGTERM" | "SIGINT" {
  return signal.reason === "SIGINT" ? "SIGINT" : "SIGTERM";
}

/** An error that only reports that reading stopped because an upload had already failed. */
function isSecondary(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ERR_STREAM_PREMATURE_CLOSE";
}
