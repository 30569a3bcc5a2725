/**
 * `destination_sync_mode: overwrite` (Airbyte): every object carries the stream's identity and generation as S3
 * object metadata; after a successful sync, objects under the stream's own prefix that belong to the stream and
 * have a generation older than `minimum_generation_id` are deleted. Without generation ids in the catalog (older
 * platforms), every object of the stream not written by this run is deleted (the classic overwrite).
 *
 * Chosen over encoding the generation in the key: keys stay the user's `key_template` unchanged; the price is one
 * HEAD per object under the prefix at the end of the sync.
 */
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { ConfigError, UploadError } from "../errors.js";
import type { Logger } from "../log.js";
import type { CatalogStream } from "../protocol/airbyte.js";
import { NULL_CURSOR } from "../s3/cursor-partition.js";
import { KeyTemplate } from "../s3/key-template.js";
import { joinKey } from "../s3/safe-key.js";

/** S3 metadata keys (sent as x-amz-meta-…; values URI-encoded so any name is a valid header value). */
export const META_STREAM = "airbyte-stream";
export const META_NAMESPACE = "airbyte-namespace";
export const META_GENERATION = "airbyte-generation-id";
export const META_SYNC = "airbyte-sync-id";

/** Macros that render the same for every object of a stream in every run. */
const STABLE_MACROS = new Set(["stream_name", "namespace", "stream_id", "connection_id"]);
const IDENTITY_MACROS = new Set(["stream_name", "stream_id"]);

/** The object metadata of a stream's objects. */
export function generationMetadata(stream: CatalogStream): Record<string, string> {
  const meta: Record<string, string> = {
    [META_STREAM]: encodeURIComponent(stream.name),
    [META_NAMESPACE]: encodeURIComponent(stream.namespace ?? ""),
    [META_GENERATION]: String(stream.generationId ?? 0),
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
  const segments = ctx.template.split("/");
  const stable: string[] = [];
  let identified = false;
  for (const segment of segments.slice(0, -1)) {
    const macros = [...segment.replace(/\{\{|\}\}/g, "").matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
    if (!macros.every((m) => STABLE_MACROS.has(m))) break;
    if (macros.some((m) => IDENTITY_MACROS.has(m))) identified = true;
    stable.push(segment);
  }
  const rendered =
    stable.length === 0
      ? ""
      : KeyTemplate.parse(stable.join("/")).render({
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
 * Refuses (ConfigError, before any input is read) an overwrite stream whose prefix is not its own: the template
 * gives it no folder named after it, or another catalog stream's folder is the same, inside it, or around it.
 */
export function checkOverwritePrefixes(catalog: readonly CatalogStream[], ctx: PrefixContext): Map<string, string> {
  const prefixes = new Map(catalog.map((s) => [s.key, streamPrefix(s, ctx)]));
  const problems: string[] = [];
  for (const stream of catalog) {
    if (stream.destinationSyncMode !== "overwrite") continue;
    const own = prefixes.get(stream.key)!;
    if (!own.identified) {
      problems.push(
        `stream '${stream.key}': key_template "${ctx.template}" gives it no folder of its own ("${own.prefix}"), so overwrite could delete other data: start key_template with {namespace}/{stream_name}/`,
      );
      continue;
    }
    for (const other of catalog) {
      if (other.key === stream.key) continue;
      const theirs = prefixes.get(other.key)!.prefix;
      if (theirs.startsWith(own.prefix) || own.prefix.startsWith(theirs)) {
        problems.push(
          `stream '${stream.key}' (overwrite) and stream '${other.key}' share the prefix "${own.prefix.length <= theirs.length ? own.prefix : theirs}": give each stream its own folder in key_template (e.g. {namespace}/{stream_name}/) or rename a stream`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError("destination_sync_mode overwrite needs a prefix per stream", problems);
  return new Map([...prefixes].map(([k, v]) => [k, v.prefix]));
}

export interface CleanupResult {
  stream: string;
  deleted: string[];
  kept: number;
}

/**
 * Deletes the objects of one overwrite stream under its prefix whose generation is older than
 * `minimum_generation_id` (never one written by this run, never one without this stream's metadata).
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
  const candidates: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3Call(bucket, prefix, "list", () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined && !writtenThisRun.has(o.Key)) candidates.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  const minimum = stream.minimumGenerationId;
  const wanted = encodeURIComponent(stream.name);
  const wantedNs = encodeURIComponent(stream.namespace ?? "");
  await forEachLimited(candidates, 8, async (key) => {
    const head = await s3Call(bucket, key, "head", () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    const meta = head.Metadata ?? {};
    const ours = meta[META_STREAM] === wanted && (meta[META_NAMESPACE] ?? "") === wantedNs;
    const generation = Number(meta[META_GENERATION]);
    const older = stream.generationId === undefined || minimum === undefined ? true : Number.isFinite(generation) && generation < minimum;
    if (!ours || !older) {
      result.kept++;
      return;
    }
    await s3Call(bucket, key, "delete", () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    result.deleted.push(key);
  });
  result.deleted.sort();
  logger.info("overwrite: older generations deleted", { stream: stream.key, prefix, deleted: result.deleted.length, kept: result.kept, minimum_generation_id: minimum });
  return result;
}

async function s3Call<T>(bucket: string, key: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as { name?: string; Code?: string; message?: string };
    const code = e.Code ?? e.name;
    const hint = code === "AccessDenied" ? ` (grant s3:${what === "list" ? "ListBucket" : what === "head" ? "GetObject" : "DeleteObject"} for overwrite streams)` : "";
    throw new UploadError(`overwrite cleanup: ${what} of s3://${bucket}/${key} failed: ${code ?? "error"}: ${e.message ?? String(error)}${hint}`, bucket, key, code, { cause: error });
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
