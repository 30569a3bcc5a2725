import { createReadStream } from "node:fs";
import { randomUUID } from "node:crypto";
import { ConfigError, InterruptedError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Settings } from "../config/settings.js";
import { runSinger } from "../pipeline/target.js";
import { clientOptionsOf, createS3Client } from "../s3/client.js";
import { resolveCredentials } from "../s3/credentials.js";

/** `target-s3 --config F [--input F]`: the Singer run with signal handling and stdout care. */
export async function runSingerCommand(settings: Settings, inputPath: string | undefined, logger: Logger): Promise<number> {
  const controller = new AbortController();
  let settled = false;
  const input = inputPath ? createReadStream(inputPath) : process.stdin;
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
  // Keys, profile or default chain; with role_arn the role is assumed (and refreshed) now, before input is read.
  const credentials = await resolveCredentials(settings);
  logger.info("AWS credentials resolved", { source: credentials.description, ...(credentials.account ? { account: credentials.account } : {}) });
  const client = createS3Client(clientOptionsOf(settings, credentials.provider));
  logger.info("target-s3 starting", { file_type: settings.file_type, bucket: settings.bucket, connection_run_id: connectionRunId });
  try {
    const summary = await runSinger(
      { settings, client, logger, connectionRunId, runStart },
      { input, signal: controller.signal, emitState: (value) => void process.stdout.write(value + "\n") },
    );
    logger.info("target-s3 finished", { messages: summary.records, objects: summary.stored.length, states: summary.statesEmitted });
    return 0;
  } catch (error) {
    if (stdoutError) throw new ConfigError(`stdout was closed by the reader (${stdoutError.message}): no further STATE can be delivered`);
    throw error;
  } finally {
    settled = true;
    client.destroy();
    credentials.close();
  }
}
