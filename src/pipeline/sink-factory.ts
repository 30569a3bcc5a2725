import type { DuckDBInstance } from "@duckdb/node-api";
import type { Settings } from "../config/settings.js";
import { projectionSql } from "../schema/projection.js";
import type { CursorValue } from "../s3/cursor-partition.js";
import type { KeyTemplate } from "../s3/key-template.js";
import { joinKey } from "../s3/safe-key.js";
import type { SinkOpener } from "./batch.js";
import { contentTypeOf, extensionOf, isDuckFormat, type FileFormat } from "./file-format.js";
import { InputError } from "../errors.js";
import { avroPlanOf, type AvroPlan } from "../formats/avro-schema.js";
import { xmlDocument, xmlRecord } from "../formats/xml-record.js";
import { xmlName } from "../formats/xml-name.js";
import { METADATA_COLUMNS } from "../schema/projection.js";
import { AvroSink } from "./sinks/avro-sink.js";
import type { Flusher } from "./flusher.js";
import type { Metrics } from "./metrics.js";
import { DuckFileSink } from "./sinks/duck-file-sink.js";
import { Backlog } from "./sinks/backlog.js";
import { SerialQueue } from "./sinks/serial-queue.js";
import type { PartitionSink } from "./sinks/partition-sink.js";
import { StreamingSink } from "./sinks/streaming-sink.js";
import type { StreamPlan } from "./stream-plan.js";
import type { Uploader } from "../s3/uploader.js";
import type { DeterministicKeys } from "../s3/deterministic-key.js";

/** Spooled segments (≤ 64 MiB each) that may wait for conversion or upload before reading pauses. */
const BACKLOG_SEGMENTS = 6;

export interface SinkFactoryDeps {
  settings: Settings;
  format: FileFormat;
  template: KeyTemplate;
  bucketPrefix: string;
  connectionRunId: string;
  runStart: Date;
  uploader: Uploader;
  /** A stream's own uploader (e.g. with per-stream object metadata); undefined → `uploader`. */
  uploaderFor?: ((stream: string) => Uploader | undefined) | undefined;
  /** The `{stream_name}` of a stream id; undefined → the id itself. */
  streamNameOf?: ((stream: string) => string) | undefined;
  flusher: Flusher;
  /** Takes the seconds DuckDB spends converting (stage "convert"). */
  metrics?: Pick<Metrics, "addStage"> | undefined;
  /** deterministic_keys: names each file from what opened it instead of the run id and part (deterministic-key.ts). */
  deterministic?: DeterministicKeys | undefined;
  /** Opens a DuckDB instance for one conversion (CSV/Parquet); undefined for JSON formats. */
  openDb: (() => Promise<DuckDBInstance>) | undefined;
  runDir: string;
  signal: AbortSignal;
}

export interface StreamRef {
  stream: string;
  namespace: string | undefined;
  plan: StreamPlan;
}

/**
 * Decides each new object's key (part numbers count per stream, in the order objects are opened) and opens the
 * sink that fits the format: DuckDB-converted spools for CSV/Parquet, a direct upload stream for JSON and XML
 * (XML encoded record by record), Avro blocks for Avro.
 */
export class SinkFactory {
  private readonly parts = new Map<string, number>();
  private fileId = 0;
  private readonly conversions = new SerialQueue();
  /** Segments waiting for DuckDB or their upload, run-wide: streams fill theirs at once, DuckDB keeps busy. */
  private readonly backlog = new Backlog(BACKLOG_SEGMENTS);
  private readonly extension: string;
  /** Avro schema and XML columns per stream plan (a plan is one SCHEMA version). */
  private readonly avroPlans = new WeakMap<StreamPlan, AvroPlan>();
  private readonly xmlColumns = new WeakMap<StreamPlan, Array<{ name: string; tag: string }>>();

  constructor(private readonly d: SinkFactoryDeps) {
    this.extension = extensionOf(d.format);
  }

  opener(ref: StreamRef): SinkOpener {
    return (cursor, firstLine, batchedAt) => {
      const sink = this.open(ref, cursor, batchedAt, firstLine);
      this.d.flusher.opened(sink);
      return sink;
    };
  }

  keyFor(ref: StreamRef, cursor: CursorValue, part: number, runId = this.d.connectionRunId): string {
    const s = this.d.settings;
    const rendered = this.d.template.render({
      streamName: this.d.streamNameOf?.(ref.stream) ?? ref.stream,
      namespace: ref.namespace,
      connectionId: s.connection_id,
      connectionRunId: runId,
      runStart: this.d.runStart,
      timeZone: s.timezone,
      extension: this.extension,
      part,
      datePartitionFormat: s.date_partition_format,
      cursor,
    });
    return joinKey([this.d.bucketPrefix, s.object_key_path, rendered], ref.stream);
  }

  private open(ref: StreamRef, cursor: CursorValue, batchedAt: Date, firstLine: number): PartitionSink {
    const partKey = `${ref.namespace ?? ""}\u0000${ref.stream}`;
    const part = this.nextPart(partKey);
    const id = this.d.deterministic?.next({ stream: ref.stream, namespace: ref.namespace, schemaHash: ref.plan.schemaHash });
    const key = id ? this.keyFor(ref, cursor, id.part, id.runId) : this.keyFor(ref, cursor, part);
    // A run-unique key another writer took goes to the stream's next part number (deterministic keys never move).
    const nextKey = id ? undefined : (): string => this.keyFor(ref, cursor, this.nextPart(partKey));
    const { format, signal } = this.d;
    const uploader = this.d.uploaderFor?.(ref.stream) ?? this.d.uploader;
    const onError = (error: unknown): void => this.d.flusher.fail(error);
    const common = { uploader, key, contentType: contentTypeOf(format), gzip: format.compression === "gzip", signal, onError, nextKey };
    if (format.fileType === "avro") {
      const plan = this.avroPlan(ref, firstLine);
      return new AvroSink({ uploader, key, contentType: common.contentType, plan, codec: format.avroCodec, stream: ref.stream, signal, onError, nextKey });
    }
    if (format.fileType === "xml") {
      const columns = this.xmlColumnsOf(ref.plan);
      return new StreamingSink({
        ...common,
        jsonArray: false,
        encode: (text) => xmlRecord(text, columns),
        framing: xmlDocument(this.d.streamNameOf?.(ref.stream) ?? ref.stream),
      });
    }
    if (!isDuckFormat(format) || !this.d.openDb) return new StreamingSink({ ...common, jsonArray: format.fileType === "json" });
    const { readColumns, select, from } = projectionSql(ref.plan.columns, {
      format: format.fileType === "parquet" ? "parquet" : "csv",
      metadata: this.d.settings.add_record_metadata,
      changes: this.d.settings.invalid_record_policy === "nullify",
      batchedAt,
    });
    return new DuckFileSink({
      ...common,
      openDb: this.d.openDb,
      conversions: this.conversions,
      backlog: this.backlog,
      format,
      readColumns,
      select,
      from,
      memoryLimit: this.d.settings.memory_limit,
      dir: this.d.runDir,
      fileId: () => ++this.fileId,
      // CSV can be longer than the records' JSON (doubled quotes in nested values, long date-times): at most ~2×.
      sizeHint: 3 * this.d.settings.max_file_bytes,
      stream: ref.stream,
      onConverted: (seconds) => this.d.metrics?.addStage("convert", seconds),
    });
  }

  /** The stream's next part number (part numbers count a stream's files in the order their keys are taken). */
  private nextPart(partKey: string): number {
    const part = (this.parts.get(partKey) ?? 0) + 1;
    this.parts.set(partKey, part);
    return part;
  }

  private avroPlan(ref: StreamRef, line: number): AvroPlan {
    let plan = this.avroPlans.get(ref.plan);
    if (!plan) {
      try {
        plan = avroPlanOf(this.d.streamNameOf?.(ref.stream) ?? ref.stream, ref.plan.columns, this.d.settings.add_record_metadata);
      } catch (error) {
        throw new InputError(
          `the SCHEMA for stream '${ref.stream}' cannot be written as Avro: ${error instanceof Error ? error.message : String(error)}`,
          line,
        );
      }
      this.avroPlans.set(ref.plan, plan);
    }
    return plan;
  }

  /** XML children: the `_sdc_*` metadata first when asked (as in the JSON the encoder makes), then the columns. */
  private xmlColumnsOf(plan: StreamPlan): Array<{ name: string; tag: string }> {
    let columns = this.xmlColumns.get(plan);
    if (!columns) {
      const names: string[] = this.d.settings.add_record_metadata ? [...METADATA_COLUMNS] : [];
      for (const c of plan.columns) if (!names.includes(c.name)) names.push(c.name);
      columns = names.map((name) => ({ name, tag: xmlName(name) }));
      this.xmlColumns.set(plan, columns);
    }
    return columns;
  }
}
