/**
 * Airbyte generations (overwrite and truncate refreshes): every object carries its stream and generation as S3
 * object metadata; at the end of a sync in which a truncating stream ended COMPLETE, the objects under the stream's
 * own prefix that belong to it and have a generation older than `minimum_generation_id` are deleted. Without
 * generation ids in the catalog (older platforms), every object of the stream not written by this run is deleted
 * (the classic overwrite).
 *
 * Chosen over encoding the generation in the key: keys stay the user's `key_template` unchanged; the price is one
 * HEAD per object under the prefix at the end of the sync.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";
import type { CatalogStream } from "../protocol/airbyte.js";
import { NULL_CURSOR } from "../s3/cursor-partition.js";
import { deleteObjects, listKeys, readMetadata } from "../s3/generation-objects.js";
import { KeyTemplate, type Macro } from "../s3/key-template.js";
import { joinKey } from "../s3/safe-key.js";

/**
 * S3 metadata keys (sent as x-amz-meta-…). `ab-generation-id` is the key Airbyte's S3 destination writes and reads;
 * the stream keys follow its naming (values URI-encoded so any name is a valid header value).
 */
export const META_GENERATION = "ab-generation-id";
export const META_SYNC = "ab-sync-id";
export const META_STREAM = "ab-stream-name";
export const META_NAMESPACE = "ab-stream-namespace";
/** The names target-s3 wrote before it followed Airbyte's: still read, so their objects are cleaned up too. */
const OLD_META = { generation: "airbyte-generation-id", stream: "airbyte-stream", namespace: "airbyte-namespace" } as const;

/** Macros that render the same for every object of a stream in every run. */
const STABLE_MACROS = new Set<Macro>(["stream_name", "namespace", "stream_id", "connection_id"]);
const IDENTITY_MACROS = new Set<Macro>(["stream_name", "stream_id"]);

/**
 * Whether older generations of the stream are deleted at the end of a sync (Airbyte's rule): overwrite streams,
 * and any stream whose `minimum_generation_id` equals its (non-zero) `generation_id` (a truncate refresh).
 */
export function truncatesAtEnd(stream: CatalogStream): boolean {
  if (stream.destinationSyncMode === "overwrite") return true;
  return stream.generationId !== undefined && stream.generationId > 0 && stream.minimumGenerationId === stream.generationId;
}

/** The object metadata of a stream's objects. */
export function generationMetadata(stream: CatalogStream): Record<string, string> {
  const meta: Record<string, string> = {
    [META_GENERATION]: String(stream.generationId ?? 0),
    [META_STREAM]: encodeURIComponent(stream.name),
    [META_NAMESPACE]: encodeURIComponent(stream.namespace ?? ""),
  };
  if (stream.syncId !== undefined) meta[META_SYNC] = String(stream.syncId);
  return meta;
}

export interface PrefixContext {
  template: string;
  /** Prefix from the bucket URI and object_key_path, joined in front of the rendered template. */
  basePrefix: string[];
  connectionId: string;
}

/**
 * The folder every object of the stream lies in: the template's leading `/`-segments that render the same for every
 * object of the stream (only {stream_name}, {namespace}, {stream_id}, {connection_id} and literal text), with a
 * trailing `/`. `identified` says whether those segments contain the stream's name or id.
 */
export function streamPrefix(stream: CatalogStream, ctx: PrefixContext): { prefix: string; identified: boolean } {
  const template = KeyTemplate.parse(ctx.template);
  const folders = template.folders();
  let stable = 0;
  let identified = false;
  for (const { macros } of folders) {
    if (!macros.every((m) => STABLE_MACROS.has(m))) break;
    if (macros.some((m) => IDENTITY_MACROS.has(m))) identified = true;
    stable++;
  }
  const rendered =
    stable === 0
      ? ""
      : template.leadingFolders(stable).render({
          streamName: stream.name,
          namespace: stream.namespace,
          connectionId: ctx.connectionId,
          connectionRunId: "",
          runStart: new Date(0),
          timeZone: "UTC",
          extension: "",
          part: 0,
          datePartitionFormat: null,
          cursor: NULL_CURSOR,
        });
  const parts = [...ctx.basePrefix, rendered].filter((p) => p !== "");
  return { prefix: parts.length === 0 ? "" : joinKey(parts, stream.key) + "/", identified };
}

/**
 * Refuses (ConfigError, before any input is read) a truncating stream (overwrite or refresh) whose prefix is not its own: the template
 * gives it no folder named after it, or another catalog stream's folder is the same, inside it, or around it.
 */
export function checkCleanupPrefixes(catalog: readonly CatalogStream[], ctx: PrefixContext): Map<string, string> {
  const prefixes = new Map(catalog.map((s) => [s.key, streamPrefix(s, ctx)]));
  const problems: string[] = [];
  for (const stream of catalog) {
    if (!truncatesAtEnd(stream)) continue;
    const own = prefixes.get(stream.key)!;
    if (!own.identified) {
      problems.push(
        `stream '${stream.key}': key_template "${ctx.template}" gives it no folder of its own ("${own.prefix}"), so deleting its older generations could delete other data: start key_template with {namespace}/{stream_name}/`,
      );
      continue;
    }
    for (const other of catalog) {
      if (other.key === stream.key) continue;
      const theirs = prefixes.get(other.key)!.prefix;
      if (theirs.startsWith(own.prefix) || own.prefix.startsWith(theirs)) {
        problems.push(
          `stream '${stream.key}' (${stream.destinationSyncMode === "overwrite" ? "overwrite" : "truncate refresh"}) and stream '${other.key}' share the prefix "${own.prefix.length <= theirs.length ? own.prefix : theirs}": give each stream its own folder in key_template (e.g. {namespace}/{stream_name}/) or rename a stream`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError("overwrite and refreshed streams need a prefix per stream", problems);
  return new Map([...prefixes].map(([k, v]) => [k, v.prefix]));
}

export interface CleanupResult {
  stream: string;
  deleted: string[];
  kept: number;
}

export interface SyncOutcome {
  client: S3Client;
  bucket: string;
  catalog: readonly CatalogStream[];
  /** Each stream's own prefix (checkCleanupPrefixes). */
  prefixes: ReadonlyMap<string, string>;
  /** The last stream status each stream reported. */
  statuses: ReadonlyMap<string, string>;
  writtenThisRun: ReadonlySet<string>;
}

/**
 * At the end of a successful sync: deletes the older generations of each truncating stream that ended COMPLETE;
 * for the others (INCOMPLETE, or no COMPLETE status) keeps them and says so, so a partial copy never replaces
 * the previous one.
 */
export async function cleanUpGenerations(outcome: SyncOutcome, logger: Logger): Promise<void> {
  for (const stream of outcome.catalog) {
    if (!truncatesAtEnd(stream)) continue;
    const status = outcome.statuses.get(stream.key);
    if (status !== "COMPLETE") {
      logger.warn(keptMessage(stream.key, status), {
        stream: stream.key,
        generation_id: stream.generationId,
        minimum_generation_id: stream.minimumGenerationId,
      });
      continue;
    }
    await deleteOlderGenerations(outcome.client, outcome.bucket, stream, outcome.prefixes.get(stream.key)!, outcome.writtenThisRun, logger);
  }
}

function keptMessage(stream: string, status: string | undefined): string {
  const why =
    status === undefined ? "sent no COMPLETE stream status" : status === "INCOMPLETE" ? "ended INCOMPLETE" : `sent no COMPLETE stream status (last: ${status})`;
  return `stream '${stream}' ${why}: its older generations are kept (they are deleted only after a sync in which the stream ends COMPLETE)`;
}

/**
 * Deletes the objects of one truncating stream under its prefix whose generation is older than
 * `minimum_generation_id`: never one written by this run, never one that names another stream, never one without
 * a generation. Objects with Airbyte's `ab-generation-id` but no stream name were written by Airbyte's own S3
 * destination, which names no stream: under the stream's own prefix they count as the stream's, as there.
 */
export async function deleteOlderGenerations(
  client: S3Client,
  bucket: string,
  stream: CatalogStream,
  prefix: string,
  writtenThisRun: ReadonlySet<string>,
  logger: Logger,
): Promise<CleanupResult> {
  const result: CleanupResult = { stream: stream.key, deleted: [], kept: 0 };
  const candidates = (await listKeys(client, bucket, prefix)).filter((key) => !writtenThisRun.has(key));
  const metadata = await readMetadata(client, bucket, candidates);
  result.deleted = candidates.filter((key) => isOlderGenerationOf(stream, metadata.get(key) ?? {})).sort();
  result.kept = candidates.length - result.deleted.length;
  await deleteObjects(client, bucket, result.deleted);
  logger.info("older generations deleted", {
    stream: stream.key,
    prefix,
    deleted: result.deleted.length,
    kept: result.kept,
    minimum_generation_id: stream.minimumGenerationId,
  });
  return result;
}

/** Whether an object with this metadata is the stream's and older than its minimum generation. */
export function isOlderGenerationOf(stream: CatalogStream, meta: Record<string, string>): boolean {
  const name = meta[META_STREAM] ?? meta[OLD_META.stream];
  const generationText = meta[META_GENERATION] ?? meta[OLD_META.generation];
  if (name === undefined && meta[META_GENERATION] === undefined) return false; // not written by an Airbyte destination
  if (name !== undefined) {
    const namespace = meta[META_NAMESPACE] ?? meta[OLD_META.namespace] ?? "";
    if (name !== encodeURIComponent(stream.name) || namespace !== encodeURIComponent(stream.namespace ?? "")) return false;
  }
  if (stream.generationId === undefined || stream.minimumGenerationId === undefined) return true;
  const generation = Number(generationText);
  return generationText !== undefined && Number.isFinite(generation) && generation < stream.minimumGenerationId;
}
