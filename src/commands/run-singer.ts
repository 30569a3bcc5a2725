import type { Logger } from "../log.js";
import type { Settings } from "../config/settings.js";
import { runTarget } from "../pipeline/target.js";
import { readMapsConfig } from "../maps/map-config.js";
import { withRunEnvironment } from "./run-environment.js";

/** `target-s3 --config F [--input F]`: the Singer run. */
export async function runSingerCommand(settings: Settings, inputPath: string | undefined, logger: Logger): Promise<number> {
  readMapsConfig(settings.stream_maps); // a bad stream map stops the run before credentials or input
  return withRunEnvironment(settings, inputPath, logger, async (env) => {
    logger.info("target-s3 starting", { file_type: settings.file_type, bucket: settings.bucket, connection_run_id: env.connectionRunId });
    const summary = await runTarget(
      { settings, client: env.client, logger, connectionRunId: env.connectionRunId, runStart: env.runStart },
      { input: env.input, signal: env.signal, emitState: env.emit },
    );
    logger.info("target-s3 finished", { messages: summary.records, objects: summary.stored.length, states: summary.statesEmitted });
    return 0;
  });
}
