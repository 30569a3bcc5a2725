import type { Settings } from "../config/settings.js";
import type { Logger } from "../log.js";
import { connectionStatusOf, formatStep, runCheck, type CheckResult } from "../s3/check.js";

/**
 * `target-s3 check --config F` and `target-s3 --config F --test-connection`: one line per step on stderr, exactly one
 * CONNECTION_STATUS message on stdout; exit 0 when every step passed, 1 otherwise. Secrets are masked by the logger.
 */
export async function runCheckCommand(settings: Settings, logger: Logger): Promise<number> {
  const result: CheckResult = await runCheck(settings, {
    onStep: (step) => process.stderr.write(logger.redact(formatStep(step)) + "\n"),
  });
  const status = connectionStatusOf(result);
  status.connectionStatus.message = logger.redact(status.connectionStatus.message);
  process.stdout.write(JSON.stringify(status) + "\n");
  return result.ok ? 0 : 1;
}

/** A CONNECTION_STATUS for a configuration that could not even be loaded. */
export function printConfigFailure(message: string): void {
  const status = { type: "CONNECTION_STATUS", connectionStatus: { status: "FAILED", message } };
  process.stdout.write(JSON.stringify(status) + "\n");
}
