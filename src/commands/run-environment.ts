import { createReadStream, fstatSync } from "node:fs";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { InterruptedError, OutputClosedError, UploadError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Settings } from "../config/settings.js";
import { clientOptionsOf, createS3Client } from "../s3/client.js";
import { resolveCredentials } from "../s3/credentials.js";
import { diskFullError } from "../pipeline/run-dir.js";

/** What a Singer or Airbyte run gets from the process: input, stop signal, S3 client, run identity, stdout. */
export interface RunEnvironment {
  input: Readable;
  signal: AbortSignal;
  client: S3Client;
  connectionRunId: string;
  runStart: Date;
  /** Writes one line to stdout (committed STATE only). */
  emit: (line: string) => void;
}

/** Reads of 1 MiB for files (stdin redirected from a file too): 16× fewer reads than Node's default 64 KiB. */
const FILE_READ_BYTES = 1 << 20;

function openInput(inputPath: string | undefined): Readable {
  if (inputPath) return createReadStream(inputPath, { highWaterMark: FILE_READ_BYTES });
  if (fstatSync(0).isFile()) return createReadStream("", { fd: 0, autoClose: false, highWaterMark: FILE_READ_BYTES });
  return process.stdin;
}

/**
 * Sets up what every run needs and tears it down: SIGTERM/SIGINT stop reading and abort uploads (the process
 * exits within shutdown_timeout_seconds even if a request hangs), a closed stdout ends the run with an error, and
 * credentials (with role_arn: the assumed role, refreshed in long runs) are resolved before any input is read.
 */
export async function withRunEnvironment<T>(
  settings: Settings,
  inputPath: string | undefined,
  logger: Logger,
  body: (env: RunEnvironment) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let settled = false;
  const input = openInput(inputPath);
  const onSignal = (signal: "SIGTERM" | "SIGINT") => (): void => {
    logger.warn(`${signal} received: stopping, aborting in-flight uploads`);
    controller.abort(signal);
    input.destroy();
    // A hung request (a store that stopped answering) keeps its socket and so the process alive after the run has
    // given up on it: exit anyway once the shutdown bound (plus a second to log the error) has passed.
    setTimeout(
      () => {
        if (!settled) logger.error(new InterruptedError(signal).message);
        process.exit(signal === "SIGINT" ? 130 : 143);
      },
      settings.shutdown_timeout_seconds * 1000 + 1000,
    ).unref();
  };
  process.once("SIGTERM", onSignal("SIGTERM"));
  process.once("SIGINT", onSignal("SIGINT"));
  let stdoutError: NodeJS.ErrnoException | undefined;
  const onStdoutError = (error: Error): void => {
    stdoutError ??= error;
    controller.abort("SIGTERM");
    input.destroy();
  };
  process.stdout.on("error", onStdoutError);
  const writes = { pending: 0, settled: (): void => undefined };
  const emit = (line: string): void => {
    writes.pending++;
    process.stdout.write(line + "\n", (error) => {
      if (error) onStdoutError(error);
      if (--writes.pending === 0) writes.settled();
    });
  };

  const runStart = new Date();
  const connectionRunId = settings.connection_run_id ?? randomUUID();
  const credentials = await resolveCredentials(settings);
  logger.info("AWS credentials resolved", { source: credentials.description, ...(credentials.account ? { account: credentials.account } : {}) });
  const client = createS3Client(clientOptionsOf(settings, credentials.provider));
  try {
    const result = await body({ input, signal: controller.signal, client, connectionRunId, runStart, emit });
    // The last STATE may still be on its way out: a run whose STATE never arrived must not exit 0.
    await new Promise<void>((resolve) => (writes.pending === 0 ? resolve() : (writes.settled = resolve)));
    if (stdoutError) throw outputError(stdoutError);
    return result;
  } catch (error) {
    if (stdoutError) throw outputError(stdoutError);
    throw diskFullError(settings.temp_dir, error) ?? withConnectionHint(error, settings);
  } finally {
    settled = true;
    client.destroy();
    credentials.close();
  }
}

function outputError(error: NodeJS.ErrnoException): OutputClosedError {
  const why =
    error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED"
      ? "stdout was closed by its reader (EPIPE)"
      : `stdout cannot be written (${error.code ?? error.message})`;
  return new OutputClosedError(
    `${why}, so committed STATE could not be delivered: the data is stored, but the orchestrator did not get its bookmark; keep stdout open and writable until target-s3 exits`,
  );
}

/** A store that refuses connections or has no address is almost always a wrong aws_endpoint: say so. */
function withConnectionHint(error: unknown, settings: Settings): unknown {
  if (!(error instanceof UploadError) || !/\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)\b/.test(`${error.code ?? ""} ${error.message}`)) return error;
  const fix = settings.aws_endpoint
    ? `nothing answered at aws_endpoint ${settings.aws_endpoint}: check aws_endpoint (host and port) and that the store is running`
    : `S3 in ${settings.aws_region} could not be reached: check the network, aws_region, and aws_endpoint if you use an S3-compatible store`;
  return new UploadError(`${error.message}; ${fix}`, error.bucket, error.key, error.code, { cause: error });
}
