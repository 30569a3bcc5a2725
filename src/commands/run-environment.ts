import { createReadStream, fstatSync } from "node:fs";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { InterruptedError, OutputClosedError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Settings } from "../config/settings.js";
import { clientOptionsOf, createS3Client } from "../s3/client.js";
import { resolveCredentials } from "../s3/credentials.js";

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
    setTimeout(() => {
      if (!settled) logger.error(new InterruptedError(signal).message);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }, settings.shutdown_timeout_seconds * 1000 + 1000).unref();
  };
  process.once("SIGTERM", onSignal("SIGTERM"));
  process.once("SIGINT", onSignal("SIGINT"));
  let stdoutError: Error | undefined;
  process.stdout.on("error", (error) => {
    stdoutError ??= error;
    controller.abort("SIGTERM");
    input.destroy();
  });

  const runStart = new Date();
  const connectionRunId = settings.connection_run_id ?? randomUUID();
  const credentials = await resolveCredentials(settings);
  logger.info("AWS credentials resolved", { source: credentials.description, ...(credentials.account ? { account: credentials.account } : {}) });
  const client = createS3Client(clientOptionsOf(settings, credentials.provider));
  try {
    return await body({ input, signal: controller.signal, client, connectionRunId, runStart, emit: (line) => void process.stdout.write(line + "\n") });
  } catch (error) {
    if (stdoutError) throw new OutputClosedError(`stdout was closed by the reader (${stdoutError.message}): no further STATE can be delivered`);
    throw error;
  } finally {
    settled = true;
    client.destroy();
    credentials.close();
  }
}
