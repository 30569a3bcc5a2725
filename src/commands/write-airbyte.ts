import { readFileSync } from "node:fs";
import { ConfigError, CredentialsError, UploadError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Settings } from "../config/settings.js";
import { parseCatalog, traceError, type CatalogStream, type FailureType, type TraceErrorText } from "../protocol/airbyte.js";
import { airbyteHandler, catalogSchema, type CatalogSchemaOptions } from "../pipeline/airbyte-input.js";
import { checkCleanupPrefixes, cleanUpGenerations, generationMetadata, truncatesAtEnd } from "../pipeline/generation-cleanup.js";
import type { Router } from "../pipeline/router.js";
import { runTarget } from "../pipeline/target.js";
import { parseBucket } from "../s3/bucket-uri.js";
import { DEFAULT_KEY_TEMPLATE, KeyTemplate } from "../s3/key-template.js";
import { withRunEnvironment } from "./run-environment.js";

export interface WriteAirbyteArgs {
  /** Loads the settings (inside, so that a configuration error also goes out as a TRACE). */
  configure: () => Settings;
  catalogPath: string | undefined;
  inputPath: string | undefined;
}

/** S3 error codes that mean the settings or the permissions are wrong (Airbyte failure_type config_error). */
const CONFIG_CODES = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "NoSuchBucket",
  "InvalidBucketName",
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
  "KMS.NotFoundException",
  "InvalidArgument",
]);

export function failureTypeOf(error: unknown): FailureType {
  if (error instanceof ConfigError || error instanceof CredentialsError) return "config_error";
  if (error instanceof UploadError && error.code !== undefined && CONFIG_CODES.has(error.code)) return "config_error";
  return "system_error";
}

/**
 * `target-s3 write --config F --catalog F`: the Airbyte destination. Reads AirbyteMessages, echoes each STATE (whole
 * message, `destinationStats` added) once its records are stored, deletes older generations of overwrite streams
 * after a successful sync, and reports a failure as a TRACE error message on stdout before exiting non-zero.
 */
export async function writeAirbyteCommand(args: WriteAirbyteArgs, logger: Logger): Promise<number> {
  try {
    return await write(args, logger);
  } catch (error) {
    process.stdout.write(traceError(traceText(error, logger)) + "\n");
    throw error;
  }
}

/** The TRACE error fields of a failure: the sentence, `Class (code): sentence` and the stack, secrets redacted. */
export function traceText(error: unknown, logger: Pick<Logger, "redact">): TraceErrorText {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof UploadError && error.code ? ` (${error.code})` : "";
  const internal = error instanceof Error ? `${error.name}${code}: ${error.message}` : message;
  // The stack goes only to the platform (stack_trace, shown with the failure's details), never to stderr.
  const stack = error instanceof Error ? error.stack : undefined;
  return {
    message: logger.redact(message),
    internalMessage: logger.redact(internal),
    stackTrace: stack === undefined ? undefined : logger.redact(stack),
    failureType: failureTypeOf(error),
  };
}

async function write(args: WriteAirbyteArgs, logger: Logger): Promise<number> {
  const loaded = args.configure();
  if (args.catalogPath === undefined) throw new ConfigError("write needs --catalog FILE (the ConfiguredAirbyteCatalog)");
  const catalog = readCatalog(args.catalogPath);
  const settings = airbyteSettings(loaded, catalog);
  const { bucket, prefix } = parseBucket(settings.bucket);
  const prefixes = checkCleanupPrefixes(catalog, {
    template: settings.key_template,
    basePrefix: [prefix, settings.object_key_path],
    connectionId: settings.connection_id,
  });
  const byKey = new Map(catalog.map((s) => [s.key, s]));
  const statuses = new Map<string, string>();

  return withRunEnvironment(settings, args.inputPath, logger, async ({ input, signal, client, connectionRunId, runStart, emit }) => {
    logger.info("target-s3 write (Airbyte) starting", {
      file_type: settings.file_type,
      bucket: settings.bucket,
      streams: catalog.length,
      connection_run_id: connectionRunId,
    });
    const summary = await runTarget(
      { settings, client, logger, connectionRunId, runStart },
      { input, signal, emitState: emit },
      {
        emitEachState: true,
        handlerFor: (router) => {
          const handle = airbyteHandler(router, catalog, logger, { metadataColumns: settings.airbyte_metadata_columns, statuses });
          let declared = false;
          return (text, line) => {
            // The catalog's schemas are declared with the first line, inside the run's error handling.
            if (!declared) {
              declared = true;
              declareCatalog(router, catalog, { metadataColumns: settings.airbyte_metadata_columns, flattening: settings.flattening_enabled });
            }
            return handle(text, line);
          };
        },
        streamName: (stream) => byKey.get(stream)?.name ?? stream,
        objectMetadata: (stream) => {
          const s = byKey.get(stream);
          return s ? generationMetadata(s) : undefined;
        },
      },
    ).catch((error: unknown) => {
      const kept = catalog.filter(truncatesAtEnd).map((s) => s.key);
      if (kept.length > 0) logger.warn("the sync failed: older generations of its overwrite and refreshed streams are kept", { streams: kept.join(",") });
      throw error;
    });
    // Only after a successful sync: every record stored, every STATE out.
    await cleanUpGenerations({ client, bucket, catalog, prefixes, statuses, writtenThisRun: new Set(summary.stored.map((o) => o.key)) }, logger);
    logger.info("target-s3 write finished", { messages: summary.records, objects: summary.stored.length, states: summary.statesEmitted });
    return 0;
  });
}

function declareCatalog(router: Router, catalog: readonly CatalogStream[], options: CatalogSchemaOptions): void {
  for (const stream of catalog) {
    try {
      router.schema(catalogSchema(stream, options), 0, stream.namespace);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^line 0: /, "") : String(error);
      throw new ConfigError(`the catalog's json_schema for stream '${stream.key}' cannot be used (${reason}): fix the source's schema or the catalog`);
    }
  }
}

function readCatalog(path: string): CatalogStream[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(
      `the catalog file ${path} cannot be read as JSON (${error instanceof Error ? error.message : String(error)}): pass the ConfiguredAirbyteCatalog with --catalog`,
    );
  }
  return parseCatalog(raw, path);
}

/**
 * Settings for an Airbyte run: with the default key_template, each namespace gets its own folder (`{namespace}/`
 * in front; empty namespaces leave no folder). Streams of the same name in different namespaces need a template
 * that tells them apart.
 */
export function airbyteSettings(settings: Settings, catalog: readonly CatalogStream[]): Settings {
  const template = settings.key_template === DEFAULT_KEY_TEMPLATE ? `{namespace}/${DEFAULT_KEY_TEMPLATE}` : settings.key_template;
  // The parsed macros, not the text: `{{namespace}}` is the literal "{namespace}", which keeps nothing apart.
  const apart = KeyTemplate.parse(template).macros.some((m) => m === "namespace" || m === "stream_id" || m === "stream_run_id");
  const names = new Map<string, string>();
  for (const stream of catalog) {
    const other = names.get(stream.name);
    if (other !== undefined && !apart) {
      throw new ConfigError(
        `streams '${other}' and '${stream.key}' have the same name in different namespaces but key_template "${template}" does not use {namespace}: add {namespace}/ to key_template so their objects stay apart`,
      );
    }
    names.set(stream.name, stream.key);
  }
  return { ...settings, key_template: template };
}
