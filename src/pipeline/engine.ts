import type { Settings } from "../config/settings.js";
import type { Logger } from "../log.js";
import { parseBucket } from "../s3/bucket-uri.js";
import { DeterministicKeys } from "../s3/deterministic-key.js";
import { isDuckFormat } from "./file-format.js";
import { Flusher } from "./flusher.js";
import { Metrics } from "./metrics.js";
import { Quarantine, rejectedKey } from "./quarantine.js";
import { duckEncoder, jsonEncoder } from "./record-encoder.js";
import { Router } from "./router.js";
import { fileFormatOf, openDuckDb } from "./run-options.js";
import { dataObjectOptionsOf, objectOptionsOf } from "../s3/object-options.js";
import { keyTemplateOf } from "../s3/key-settings.js";
import type { KeyTemplate } from "../s3/key-template.js";
import { ConditionalWrites } from "../s3/conditional-writes.js";
import { SinkFactory } from "./sink-factory.js";
import { StateLedger } from "./state-ledger.js";
import { Uploader } from "../s3/uploader.js";
import type { S3Client } from "@aws-sdk/client-s3";

/** What differs between the Singer and the Airbyte run; the engine (router, batches, flusher, ledger) is shared. */
export interface ProtocolOptions {
  /** Builds the line handler once the router exists (default: the Singer adapter). */
  handlerFor?: (router: Router) => (text: string, line: number, bytes?: Buffer) => Promise<void> | undefined;
  /** Emit every releasable STATE, not only the latest (Airbyte per-stream states). */
  emitEachState?: boolean;
  /** Extra S3 object metadata for every object of a stream (router stream id). */
  objectMetadata?: (stream: string) => Record<string, string> | undefined;
  /** The `{stream_name}` of a router stream id (Airbyte ids are `namespace.name`); default: the id itself. */
  streamName?: (stream: string) => string;
}

export interface EngineContext {
  settings: Settings;
  client: S3Client;
  logger: Logger;
  connectionRunId: string;
  runStart: Date;
  runDir: string;
  /** Aborts uploads in flight (failure or signal). */
  signal: AbortSignal;
  emitState: (line: string) => void;
}

/** The wired stages of one run. */
export interface Engine {
  router: Router;
  flusher: Flusher;
  quarantine: Quarantine;
  ledger: StateLedger<string>;
  metrics: Metrics;
  deterministic: DeterministicKeys | undefined;
}

/** Builds router → batches/sinks → flusher → ledger (and quarantine) from the settings. */
export function buildEngine(ctx: EngineContext, protocol: ProtocolOptions): Engine {
  const { settings, logger, client, signal } = ctx;
  const format = fileFormatOf(settings);
  const { bucket, prefix } = parseBucket(settings.bucket);
  const template = keyTemplateOf(settings);
  const deterministic = settings.deterministic_keys ? new DeterministicKeys() : undefined;
  const metrics = new Metrics(logger, settings.invalid_record_policy);
  const ledger = new StateLedger<string>(ctx.emitState, { emitEach: protocol.emitEachState ?? false });
  const flusher = new Flusher({ ledger, metrics, logger, maxPending: settings.max_pending_flushes, signal });
  const conditional = new ConditionalWrites((message) => logger.warn(message));
  const uploader = (options = dataObjectOptionsOf(settings, template)): Uploader => {
    const made = new Uploader(client, bucket, options, settings.multipart_part_size, settings.upload_concurrency);
    made.conditionalWrites = conditional;
    made.onConfirmed = (key, how) => logger.info(`s3://${bucket}/${key}: ${how}`);
    made.onWarning = (key, message) => logger.warn(`s3://${bucket}/${key}: ${message}`);
    return made;
  };
  const sinks = new SinkFactory({
    settings,
    format,
    template,
    bucketPrefix: prefix,
    connectionRunId: ctx.connectionRunId,
    runStart: ctx.runStart,
    uploader: uploader(),
    deterministic,
    uploaderFor: protocol.objectMetadata ? perStreamUploaders(settings, template, protocol.objectMetadata, uploader) : undefined,
    streamNameOf: protocol.streamName,
    flusher,
    metrics,
    openDb: isDuckFormat(format) ? () => openDuckDb(settings, ctx.runDir) : undefined,
    runDir: ctx.runDir,
    signal,
  });
  // invalid_record_policy=quarantine: refused records go to _rejected/ objects (see quarantine.ts).
  const quarantine = new Quarantine({
    uploader: uploader(objectOptionsOf(settings)),
    ledger,
    logger,
    runDir: ctx.runDir,
    keyFor: (stream, part) => rejectedKey(prefix, settings.object_key_path, stream, ctx.runStart, ctx.connectionRunId, part),
    signal,
    maxRows: settings.batch_size_rows,
    maxChars: settings.max_file_bytes,
    maxAgeMs: settings.max_batch_age_seconds * 1000,
  });
  const router: Router = new Router({
    options: {
      columns: {
        flatten: settings.flattening_enabled,
        flattenMaxDepth: settings.flattening_max_depth,
        // Avro types objects and arrays as records and arrays wherever the SCHEMA declares them.
        nestedTypes: format.fileType === "parquet" ? settings.parquet_nested_types : format.fileType === "avro" ? "struct" : "json",
        headerFormat: settings.column_header_format,
      },
      validate: settings.validate_records,
      invalidRecordPolicy: settings.invalid_record_policy,
      validateConstraints: settings.validate_constraints,
      cursorFields: settings.cursor_field,
      batchSizeRows: settings.batch_size_rows,
      maxFileChars: settings.max_file_bytes,
      maxBatchAgeMs: settings.max_batch_age_seconds * 1000,
      heldBytesBudget: heldBytesBudgetOf(settings),
      metadata: settings.add_record_metadata,
      timeZone: settings.timezone,
      reshapeJson: !isDuckFormat(format) && (settings.flattening_enabled || settings.column_header_format !== null),
      trackCursorRange: settings.write_manifest,
    },
    template,
    encoder: isDuckFormat(format)
      ? duckEncoder(settings.add_record_metadata)
      : jsonEncoder(settings.add_record_metadata, settings.invalid_record_policy === "nullify"),
    ledger,
    flusher,
    metrics,
    logger,
    openSink: (ref) => sinks.opener(ref),
    quarantine: (stream, line, reason, text) => quarantine.add(stream, line, reason, text),
    // deterministic_keys: files are sealed at every STATE so a resumed run cuts them where the first run did.
    beforeState: deterministic
      ? () => {
          router.flushAll();
          deterministic.newSegment();
        }
      : undefined,
  });
  return { router, flusher, quarantine, ledger, metrics, deterministic };
}

/** One Uploader per stream whose objects carry the stream's own metadata (e.g. Airbyte generation ids). */
function perStreamUploaders(
  settings: Settings,
  template: KeyTemplate,
  metadataOf: (stream: string) => Record<string, string> | undefined,
  uploader: (options?: ReturnType<typeof dataObjectOptionsOf>) => Uploader,
): (stream: string) => Uploader | undefined {
  const uploaders = new Map<string, Uploader | undefined>();
  return (stream) => {
    if (!uploaders.has(stream)) {
      const extra = metadataOf(stream);
      const options = dataObjectOptionsOf(settings, template);
      if (extra) options.Metadata = { ...options.Metadata, ...extra };
      uploaders.set(stream, extra ? uploader(options) : undefined);
    }
    return uploaders.get(stream);
  };
}

/**
 * The memory open files may hold between records: 64 MiB, or four parts when parts are larger than 16 MiB (with
 * the default 8 MiB parts, six JSON Lines files filling parts at once, or ~30 spooling CSV/Parquet files).
 */
export function heldBytesBudgetOf(settings: Pick<Settings, "multipart_part_size">): number {
  return Math.max(64 << 20, 4 * settings.multipart_part_size);
}
