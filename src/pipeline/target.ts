import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { ConfigError, InterruptedError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Settings } from "../config/settings.js";
import { packageJson } from "../config/schema.js";
import { parseBucket } from "../s3/bucket-uri.js";
import { buildEngine, type Engine, type ProtocolOptions } from "./engine.js";
import type { Flusher, StoredObject } from "./flusher.js";
import { readLines } from "./line-reader.js";
import { writeManifests } from "./manifest.js";
import { fileFormatOf, openDuckDb } from "./run-options.js";
import { objectOptionsOf } from "../s3/object-options.js";
import { createRunDir, removeRunDir } from "./run-dir.js";
import { singerHandler } from "./singer-input.js";
import { readMapsConfig } from "../maps/map-config.js";
import { StreamMapper } from "../maps/stream-mapper.js";

export type { ProtocolOptions } from "./engine.js";

export interface RunIO {
  input: Readable;
  /** Receives each committed STATE as one line. */
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

/**
 * One run (Singer by default, Airbyte through `protocol`): reads messages until end of input, stores every record,
 * emits each STATE once everything before it is stored. On any failure or signal: no further STATE, uploads in
 * flight are aborted (within shutdown_timeout_seconds), local files removed, and the error is thrown.
 */
export async function runTarget(ctx: RunContext, io: RunIO, protocol: ProtocolOptions = {}): Promise<RunSummary> {
  const { settings, logger } = ctx;
  const runDir = await createRunDir(settings.temp_dir);
  if (runDir.removed.length > 0) logger.info("removed leftovers of crashed runs", { folders: runDir.removed });
  const uploads = new AbortController();
  const onAbort = (): void => uploads.abort();
  io.signal.addEventListener("abort", onAbort, { once: true });
  const timers: NodeJS.Timeout[] = [];
  try {
    if (protocol.handlerFor && Object.keys(settings.stream_maps).length > 0) {
      throw new ConfigError("stream_maps apply to Singer input only: remove stream_maps from the configuration of an Airbyte write");
    }
    const engine = buildEngine({ ...ctx, runDir: runDir.path, signal: uploads.signal, emitState: io.emitState }, protocol);
    timers.push(...startTimers(settings, engine));
    try {
      const handler = protocol.handlerFor
        ? protocol.handlerFor(engine.router)
        : singerHandler(engine.router, {
            mapper:
              Object.keys(settings.stream_maps).length > 0 ? new StreamMapper(readMapsConfig(settings.stream_maps), settings.stream_map_config) : undefined,
            batchFiles: {
              client: ctx.client,
              signal: uploads.signal,
              runDir: runDir.path,
              maxLineBytes: settings.max_line_bytes,
              openDb: () => openDuckDb(settings, runDir.path),
            },
          });
      const records = await readAll(io, settings, engine, handler);
      await finish(ctx, engine);
      return { records, stored: engine.flusher.stored, statesEmitted: engine.ledger.emittedCount };
    } catch (error) {
      engine.flusher.fail(error);
      uploads.abort();
      await engine.flusher.discardOpen();
      await boundedDrain(engine.flusher, settings.shutdown_timeout_seconds * 1000);
      if (io.signal.aborted && !(error instanceof InterruptedError)) throw new InterruptedError(signalOf(io.signal));
      throw engine.flusher.failure.happened && isSecondary(error) ? engine.flusher.failure.error : error;
    }
  } finally {
    for (const timer of timers) clearInterval(timer);
    io.signal.removeEventListener("abort", onAbort);
    await removeRunDir(runDir.path);
  }
}

/** Batch age (so STATE keeps moving in slow streams) and periodic METRIC lines. */
function startTimers(settings: Settings, engine: Engine): NodeJS.Timeout[] {
  const timers = [
    setInterval(
      () => {
        engine.router.flushStale(Date.now());
        engine.quarantine.flushStale(Date.now());
      },
      Math.min(1000, settings.max_batch_age_seconds * 1000),
    ),
  ];
  if (settings.metrics_interval_seconds > 0) timers.push(setInterval(() => engine.metrics.report(false), settings.metrics_interval_seconds * 1000));
  for (const timer of timers) timer.unref();
  return timers;
}

async function readAll(
  io: RunIO,
  settings: Settings,
  engine: Engine,
  handle: (text: string, line: number, bytes: Buffer) => Promise<void> | undefined,
): Promise<number> {
  const { flusher, deterministic } = engine;
  let records = 0;
  await readLines(io.input, settings.max_line_bytes, (text, line, bytes) => {
    flusher.failure.throwIfAny();
    if (io.signal.aborted) throw new InterruptedError(signalOf(io.signal));
    records++;
    if (deterministic) deterministic.line = text;
    return handle(text, line, bytes);
  });
  if (io.signal.aborted) throw new InterruptedError(signalOf(io.signal));
  return records;
}

/** End of input: store everything (the last STATE leaves with it), then the run manifest when asked. */
async function finish(ctx: RunContext, engine: Engine): Promise<void> {
  const { settings, logger } = ctx;
  engine.router.flushAll();
  engine.quarantine.flushAll();
  await engine.flusher.drain();
  await engine.quarantine.drain();
  engine.metrics.report(true);
  if (!settings.write_manifest) return;
  // After the final STATE (already released by the drain): the manifest indexes stored data, see manifest.ts.
  const format = fileFormatOf(settings);
  const { bucket, prefix } = parseBucket(settings.bucket);
  const key = await writeManifests(
    ctx.client,
    {
      bucket,
      prefixParts: [prefix, settings.object_key_path],
      connectionId: settings.connection_id,
      connectionRunId: ctx.connectionRunId,
      targetVersion: packageJson().version,
      fileType: format.fileType,
      compression: format.fileType === "parquet" ? format.parquetCompression : format.fileType === "avro" ? format.avroCodec : format.compression,
      startedAt: ctx.runStart,
      finishedAt: new Date(),
      stored: engine.flusher.stored,
      redshiftEntries: settings.manifest_redshift_entries,
      validation: engine.metrics.validationSummary(),
    },
    objectOptionsOf(settings),
    settings.content_md5,
  );
  logger.info("run manifest stored", { key, objects: engine.flusher.stored.length });
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
