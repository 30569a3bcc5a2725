import type { InvalidRecordPolicy, ValidateConstraints } from "../config/settings.js";
import { InputError, RecordValidationError } from "../errors.js";
import type { Logger } from "../log.js";
import type { SchemaMessage } from "../protocol/singer.js";
import type { ColumnOptions } from "../schema/columns.js";
import { changesJson, changesOf, nullifyText } from "../schema/record-changes.js";
import { loneSurrogates, type Violation } from "../schema/validator.js";
import { rawFieldText } from "../protocol/raw-record.js";
import { duplicateKey, stringCount } from "../protocol/duplicate-keys.js";
import { cursorPartitionId, NULL_CURSOR, parseCursor } from "../s3/cursor-partition.js";
import type { KeyTemplate } from "../s3/key-template.js";
import { Batch, type SinkOpener } from "./batch.js";
import type { Flusher } from "./flusher.js";
import { fitHeldBudget, type OpenBatch } from "./held-budget.js";
import type { Metrics } from "./metrics.js";
import type { IncomingRecord, RecordEncoder } from "./record-encoder.js";
import type { StateLedger } from "./state-ledger.js";
import { buildPlan, schemaHash, type StreamPlan } from "./stream-plan.js";

export interface RouterOptions {
  columns: ColumnOptions;
  validate: boolean;
  invalidRecordPolicy: InvalidRecordPolicy;
  /** Constraint-only violations: written and reported (warn), refused under the policy (enforce), unchecked (ignore). */
  validateConstraints?: ValidateConstraints;
  cursorFields: Record<string, string>;
  batchSizeRows: number;
  maxFileChars: number;
  maxBatchAgeMs: number;
  metadata: boolean;
  timeZone: string;
  /** JSON formats with flattening or header casing rebuild each record. */
  reshapeJson: boolean;
  /** Keep each object's cursor range (write_manifest). */
  trackCursorRange?: boolean;
  /**
   * What the open files of all streams may hold in memory between records (spool buffers, parts being filled);
   * beyond it the files written to least recently are completed early, so memory stays bounded however many
   * streams a tap sends.
   */
  heldBytesBudget: number;
}

export interface RouterDeps {
  options: RouterOptions;
  template: KeyTemplate;
  encoder: RecordEncoder;
  ledger: StateLedger<string>;
  flusher: Flusher;
  metrics: Metrics;
  logger: Logger;
  /** Opens the sink of a new object for a stream (key, format, upload): wired by target.ts. */
  openSink: (stream: { stream: string; namespace: string | undefined; plan: StreamPlan }) => SinkOpener;
  /** Receives records refused under invalid_record_policy=quarantine. */
  quarantine: (stream: string, line: number, reason: string, text: string) => Promise<void> | undefined;
  /** Called at every STATE before the ledger sees it (deterministic_keys seals the open files there). */
  beforeState?: (() => void) | undefined;
}

interface StreamState {
  plan: StreamPlan;
  namespace: string | undefined;
  batch: Batch | undefined;
  /** Open files of the stream's earlier schema versions, by schema hash (see `schema`). */
  parked?: Map<string, { plan: StreamPlan; batch: Batch }>;
}

/**
 * A stream that flips between schema versions keeps this many earlier versions' files open, so the flips coalesce
 * into one file per version instead of one per flip; beyond it the oldest is closed.
 */
const MAX_PARKED_SCHEMAS = 4;

/** More open cursor partitions than this in one batch close the batch (each is an open local file). */
const MAX_OPEN_PARTITIONS = 64;

/** The open files' memory is summed every this many records (counted from the last STATE) and at each new file. */
const HELD_CHECK_RECORDS = 1024;

/** Routes each message: SCHEMA builds a plan, RECORD is checked and buffered, STATE goes to the ledger. */
export class Router {
  private readonly streams = new Map<string, StreamState>();
  private readonly warnedTypes = new Set<string>();
  /** Stream + property pairs already reported by a WARN (one per pair; the rest are counted). */
  private readonly warnedFields = new Set<string>();
  /** The table version of the latest ACTIVATE_VERSION per stream: `_sdc_table_version` of records without one. */
  private readonly versions = new Map<string, number>();
  private recordsSinceHeldCheck = 0;
  private warnedHeld = false;

  constructor(private readonly deps: RouterDeps) {}

  /** A STATE (its exact JSON text) that may leave once everything before `line` is stored. */
  state(line: number, rawValue: string): void {
    // Counted from the STATE, so a re-run from it (deterministic_keys) closes the same files early.
    this.recordsSinceHeldCheck = 0;
    this.deps.beforeState?.();
    this.deps.ledger.state(line, rawValue);
  }

  /** Append-only files: a new table version is noted, nothing is deleted. */
  activateVersion(stream: string, version: number | undefined, line: number): void {
    this.deps.logger.debug("ACTIVATE_VERSION received (append-only target: nothing is deleted)", { stream, version, line });
    if (version !== undefined) this.versions.set(stream, version);
  }

  /** Logs a message type this target does not handle, once per type. */
  unknown(messageType: string, line: number): void {
    if (this.warnedTypes.has(messageType)) return;
    this.warnedTypes.add(messageType);
    this.deps.logger.warn(`skipping messages of unknown type '${messageType}'`, { line });
  }

  /** Seals every open batch (end of input). */
  flushAll(): void {
    for (const [, state] of this.streams) {
      this.flushStream(state);
      for (const [hash, p] of state.parked ?? []) this.flushParked(state, hash, p);
    }
  }

  /** Seals batches older than max_batch_age_seconds (called from a timer). */
  flushStale(now: number): void {
    for (const [, state] of this.streams) {
      const batch = state.batch;
      if (batch && now - batch.startedAt >= this.deps.options.maxBatchAgeMs) this.flushStream(state);
      for (const [hash, p] of state.parked ?? []) if (now - p.batch.startedAt >= this.deps.options.maxBatchAgeMs) this.flushParked(state, hash, p);
    }
  }

  /**
   * A stream's schema: an identical one (same stable hash) changes nothing; a different one starts a new file
   * (each file has one column set). The previous version's file stays open ("parked", at most
   * MAX_PARKED_SCHEMAS per stream) and takes that version's records again if the tap switches back to it.
   */
  schema(message: SchemaMessage, line: number, namespace?: string): void {
    const existing = this.streams.get(message.stream);
    const hash = schemaHash(message);
    if (existing && existing.plan.schemaHash === hash) return;
    const resumed = existing?.parked?.get(hash);
    if (existing && resumed) {
      existing.parked?.delete(hash); // before parking the current one, so the bound never closes the resumed file
      this.park(existing);
      existing.plan = resumed.plan;
      existing.batch = resumed.batch;
      this.deps.logger.info("schema changed back to an earlier version: its open file continues", { stream: message.stream, line });
      return;
    }
    let plan: StreamPlan;
    try {
      plan = buildPlan(message, {
        ...this.deps.options.columns,
        validate: this.deps.options.validate,
        constraints: this.deps.options.validateConstraints !== "ignore",
        cursorFields: this.deps.options.cursorFields,
        reshapeJson: this.deps.options.reshapeJson,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InputError(`the SCHEMA for stream '${message.stream}' cannot be used: ${reason}`, line);
    }
    if (this.deps.template.usesCursor && plan.cursorField === undefined) {
      throw new InputError(
        `key_template uses cursor macros but stream '${message.stream}' has no cursor: set cursor_field {"${message.stream}": "<property>"} or have the tap send bookmark_properties`,
        line,
      );
    }
    if (existing) {
      this.deps.logger.info("schema changed: its records go to a new file", { stream: message.stream, line });
      this.park(existing);
      existing.plan = plan;
    } else {
      this.streams.set(message.stream, { plan, namespace, batch: undefined });
    }
  }

  /** The run's counters and stage timers (the input handlers time parsing). */
  get metrics(): Metrics {
    return this.deps.metrics;
  }

  /** Checks and buffers one record; returns a promise when the caller must wait (back-pressure). */
  record(stream: string, incoming: IncomingRecord, line: number, text: string): Promise<void> | undefined {
    const state = this.streams.get(stream);
    if (!state) {
      throw new InputError(`RECORD for stream '${stream}' arrived before its SCHEMA: the tap must send the stream's SCHEMA message first`, line);
    }
    const { plan } = state;
    if (incoming.version === undefined && this.deps.options.metadata) {
      const version = this.versions.get(stream);
      if (version !== undefined) incoming = { ...incoming, version };
    }
    const metrics = this.deps.metrics;
    const validating = metrics.stageClock();
    const verdict = this.judge(stream, incoming, plan, line);
    metrics.addSampled("validate", validating);
    if (typeof verdict === "string") return this.refuse(stream, line, verdict, text);
    if (verdict) incoming = verdict;

    const cursor = this.deps.template.usesCursor && plan.cursorField !== undefined ? parseCursor(incoming.record[plan.cursorField]) : NULL_CURSOR;
    const partition = this.deps.template.usesCursor ? cursorPartitionId(this.deps.template.cursorNeeds, cursor, this.deps.options.timeZone) : "";
    const batch = (state.batch ??= this.newBatch(state));
    const newFile = !batch.partitions.has(partition);
    const buffering = metrics.stageClock();
    const writing = batch.append(partition, cursor, this.deps.encoder(incoming, line, batch.batchedAtIso, plan.shape, plan.exactText), line);
    metrics.addSampled("buffer", buffering);
    metrics.countRecord(stream);
    const o = this.deps.options;
    if (o.trackCursorRange && plan.cursorField !== undefined) batch.noteCursor(partition, incoming.record[plan.cursorField]);

    if (batch.rows >= o.batchSizeRows || batch.chars >= o.maxFileChars || batch.partitionCount > MAX_OPEN_PARTITIONS) {
      return after(writing, () => {
        this.flushStream(state);
        return this.deps.flusher.room();
      });
    }
    if (++this.recordsSinceHeldCheck >= HELD_CHECK_RECORDS || newFile) {
      this.recordsSinceHeldCheck = 0;
      if (this.closeIdleFiles(line)) return after(writing, () => this.deps.flusher.room());
    }
    return writing;
  }

  /**
   * When the open files together hold more memory than the budget, the batches written to least recently let go
   * of their buffers, then are completed until the rest fits (held-budget.ts); the batch just written to comes
   * last. Returns whether any was completed.
   */
  private closeIdleFiles(line: number): boolean {
    const candidates: OpenBatch[] = [];
    let held = 0;
    for (const state of this.streams.values()) {
      const { batch } = state;
      if (batch) {
        held += batch.heldBytes;
        candidates.push({ batch, close: () => this.flushStream(state) });
      }
      for (const [hash, parked] of state.parked ?? []) {
        held += parked.batch.heldBytes;
        candidates.push({ batch: parked.batch, close: () => this.flushParked(state, hash, parked) });
      }
    }
    const budget = this.deps.options.heldBytesBudget;
    const { released, closed } = fitHeldBudget(candidates, held, budget);
    const fields = { line, budget_mib: Math.round(budget / (1 << 20)) };
    if (released > 0) this.deps.logger.debug("open files of idle streams let go of their buffers", { ...fields, files: released });
    if (closed === 0) return false;
    const log = this.warnedHeld ? this.deps.logger.debug.bind(this.deps.logger) : this.deps.logger.info.bind(this.deps.logger);
    this.warnedHeld = true;
    log("open files of many streams hold too much memory: the least recently written are completed early", { ...fields, files: closed });
    return true;
  }

  /**
   * Undefined: write the record as it is. A string: the record is invalid (the reason), for the policy.
   * An IncomingRecord: the record with its offending fields nulled (invalid_record_policy=nullify).
   * Key properties and type violations follow the policy; constraint violations validate_constraints.
   */
  private judge(stream: string, incoming: IncomingRecord, plan: StreamPlan, line: number): string | IncomingRecord | undefined {
    const { record } = incoming;
    for (const key of plan.keyProperties) {
      // nullify cannot repair a missing key: the record is refused as under skip.
      if (record[key] === undefined || record[key] === null) return `key property '${key}' is missing or null`;
    }
    if (!plan.check) return undefined;
    // nullify cannot repair a duplicate key either (which value was meant?): refused as under skip.
    const duplicate = duplicateKeyOf(incoming);
    if (duplicate)
      return `key '${duplicate.join(".")}' is sent twice in one object (a duplicate key, which JSON readers resolve differently): the tap must send each key once`;
    const sourceOf = (): string | undefined => incoming.rawText ?? (incoming.lineText !== undefined ? rawFieldText(incoming.lineText, "record") : undefined);
    const checked = plan.check(record, sourceOf, incoming.lineText);
    const unicode = loneSurrogates(record, lineTextOf(incoming));
    if (!checked && unicode.length === 0) return undefined;
    const result = { types: [...unicode, ...(checked?.types ?? [])], constraints: checked?.constraints ?? [] };
    const o = this.deps.options;
    const enforce = o.validateConstraints === "enforce";
    const invalid = enforce ? [...result.types, ...result.constraints] : result.types;
    if (invalid.length > 0 && o.invalidRecordPolicy !== "nullify") return reasonOf(invalid, enforce);
    for (const v of enforce ? [] : result.constraints) this.reportField(stream, v, "written", line);
    if (invalid.length === 0) return undefined;
    for (const v of invalid) this.reportField(stream, v, "nullified", line);
    const changes = changesOf(invalid);
    const source = sourceOf() ?? JSON.stringify(record);
    const rawText = nullifyText(
      source,
      changes.map((c) => c.path),
    );
    return {
      ...incoming,
      record: JSON.parse(rawText) as Record<string, unknown>,
      rawText,
      lineText: undefined,
      lineBytes: undefined,
      changes: changesJson(changes),
    };
  }

  /** Counts a kept record's field violation; the first of each stream + property is logged with its line and rule. */
  private reportField(stream: string, v: Violation, action: "written" | "nullified", line: number): void {
    this.deps.metrics.countViolation(stream, v.property, v.rule, v.kind, action, line);
    const id = `${stream}\u0000${v.property}`;
    if (this.warnedFields.has(id)) return;
    this.warnedFields.add(id);
    const what =
      action === "written"
        ? "values that break a schema constraint are written as sent (validate_constraints=warn; enforce to refuse them)"
        : "values that break a schema rule are written as null (invalid_record_policy=nullify)";
    this.deps.logger.warn(what, { stream, property: v.property, rule: v.rule, line, reason: v.message });
  }

  private refuse(stream: string, line: number, problem: string, text: string): Promise<void> | undefined {
    const policy = this.deps.options.invalidRecordPolicy;
    if (policy === "fail") {
      throw new RecordValidationError(
        `record for stream '${stream}' does not match its SCHEMA: ${problem}; fix the tap, or set invalid_record_policy to skip, quarantine or nullify`,
        stream,
        line,
      );
    }
    this.deps.metrics.countSkipped(stream);
    if ((this.deps.metrics.skipped.get(stream) ?? 0) <= 10)
      this.deps.logger.warn(`invalid record ${policy === "quarantine" ? "quarantined" : "skipped"}`, { stream, line, reason: problem });
    return policy === "quarantine" ? this.deps.quarantine(stream, line, problem, text) : undefined;
  }

  private newBatch(state: StreamState): Batch {
    return new Batch(this.deps.ledger, this.deps.openSink({ stream: state.plan.stream, namespace: state.namespace, plan: state.plan }));
  }

  /** Keeps the current schema version's open file aside (closing the oldest parked one beyond the bound). */
  private park(state: StreamState): void {
    const batch = state.batch;
    state.batch = undefined;
    if (!batch || batch.rows === 0) return;
    const parked = (state.parked ??= new Map());
    parked.set(state.plan.schemaHash, { plan: state.plan, batch });
    if (parked.size > MAX_PARKED_SCHEMAS) {
      const [oldestHash, oldest] = parked.entries().next().value as [string, { plan: StreamPlan; batch: Batch }];
      this.flushParked(state, oldestHash, oldest);
    }
  }

  private flushParked(state: StreamState, hash: string, parked: { plan: StreamPlan; batch: Batch }): void {
    state.parked?.delete(hash);
    this.seal(state, parked.plan, parked.batch);
  }

  private flushStream(state: StreamState): void {
    const batch = state.batch;
    state.batch = undefined;
    this.seal(state, state.plan, batch);
  }

  /** Hands a batch to the flusher: its objects are completed in the background. */
  private seal(state: StreamState, plan: StreamPlan, batch: Batch | undefined): void {
    if (!batch || batch.rows === 0) return;
    this.deps.flusher.flush({
      stream: plan.stream,
      namespace: state.namespace,
      schemaHash: plan.schemaHash,
      columns: plan.columns,
      metadata: this.deps.options.metadata,
      batchedAt: batch.batchedAt,
      partitions: [...batch.partitions.values()],
    });
  }
}

/** The path of a key sent twice in one object of the record's source text (duplicate-keys.ts), or undefined. */
function duplicateKeyOf(mapped: IncomingRecord): string[] | undefined {
  // A map rebuilds the record's text from its parsed value, where a duplicate is already resolved.
  const incoming = mapped.unmapped ?? mapped;
  const { rawText, lineText, record } = incoming;
  if (rawText !== undefined) return duplicateKey(rawText, stringCount(record), () => rawText);
  if (lineText === undefined) return undefined;
  // Without the envelope's count (NaN) the count never matches and the record's text is scanned.
  const strings = (incoming.envelopeStrings ?? Number.NaN) + stringCount(record);
  return duplicateKey(lineText, strings, () => rawFieldText(lineText, "record"), incoming.lineBytes);
}

/** The text a lone surrogate escape would be in: the line, or the record's own text. */
function lineTextOf(incoming: IncomingRecord): string {
  return incoming.lineText ?? incoming.rawText ?? "";
}

/** The first violation's sentence (and how many more), with the setting that makes constraints pass. */
function reasonOf(invalid: Violation[], enforce: boolean): string {
  const first = invalid[0]!;
  const more = invalid.length > 1 ? ` (and ${invalid.length - 1} more)` : "";
  const hint = first.kind === "constraint" && enforce ? " [a constraint: validate_constraints=warn writes such values and reports them]" : "";
  return `${first.message}${more}${hint}`;
}

function after(first: Promise<void> | undefined, then: () => Promise<void> | undefined): Promise<void> | undefined {
  return first ? first.then(then) : then();
}
