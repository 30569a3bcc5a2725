#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { aboutJson, aboutMarkdown, aboutText } from "./about.js";
import { loadConfig } from "./config/load-config.js";
import { packageJson, packageRoot } from "./config/schema.js";
import type { Settings } from "./config/settings.js";
import { ConfigError, exitCodeOf, TargetError } from "./errors.js";
import { Logger, parseLogLevel } from "./log.js";
import { runSingerCommand } from "./commands/run-singer.js";
import { writeAirbyteCommand } from "./commands/write-airbyte.js";
import { printConfigFailure, runCheckCommand } from "./commands/check.js";

/** argv → command. Exit 0 ok, 2 usage or configuration, 1 anything else, 130/143 on SIGINT/SIGTERM. */
const USAGE = `usage:
  target-s3 --config FILE [--config FILE2 | --config ENV ...] [--input FILE]   run as a Singer target (stdin by default)
  target-s3 --about [--format json|markdown]                                  describe the target and its settings
  target-s3 --version
  target-s3 spec                                                              print the Airbyte SPEC message
  target-s3 write --config FILE --catalog FILE [--input FILE]                 run as an Airbyte destination (also --write)
  target-s3 check --config FILE                                               test the settings (also --check, --test-connection)`;

interface Parsed {
  command: "run" | "about" | "version" | "spec" | "help" | "write" | "check";
  configs: string[];
  catalog: string | undefined;
  input: string | undefined;
  format: string | undefined;
}

function parse(argv: string[]): Parsed {
  const first = argv[0];
  const positional = first !== undefined && !first.startsWith("-") ? first : undefined;
  const rest = positional ? argv.slice(1) : argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: "string", multiple: true },
      input: { type: "string" },
      about: { type: "boolean" },
      format: { type: "string" },
      version: { type: "boolean" },
      spec: { type: "boolean" },
      write: { type: "boolean" },
      check: { type: "boolean" },
      "test-connection": { type: "boolean" },
      catalog: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (positionals.length > 0) throw new ConfigError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const command =
    positional === "spec" || values.spec
      ? "spec"
      : positional === "write" || values.write
        ? "write"
        : positional === "check" || values.check || values["test-connection"]
          ? "check"
          : values.about
            ? "about"
            : values.version
              ? "version"
              : values.help
                ? "help"
                : "run";
  if (positional !== undefined && !["spec", "write", "check"].includes(positional)) throw new ConfigError(`unknown command '${positional}'\n${USAGE}`);
  return { command, configs: values.config ?? [], catalog: values.catalog, input: values.input, format: values.format };
}

async function main(argv: string[], logger: Logger): Promise<number> {
  const args = parse(argv);
  const version = packageJson().version;
  switch (args.command) {
    case "version":
      process.stdout.write(`target-s3 ${version}\n`);
      return 0;
    case "help":
      process.stdout.write(USAGE + "\n");
      return 0;
    case "about":
      process.stdout.write(about(args.format, version));
      return 0;
    case "spec": {
      const spec = JSON.parse(readFileSync(join(packageRoot(), "spec.json"), "utf8")) as unknown;
      process.stdout.write(JSON.stringify({ type: "SPEC", spec }) + "\n");
      return 0;
    }
    case "run":
      return run(args, logger);
    case "write":
      return writeAirbyteCommand({ configure: () => configure(args, logger), catalogPath: args.catalog, inputPath: args.input }, logger);
    case "check": {
      let settings: Settings;
      try {
        settings = configure(args, logger);
      } catch (error) {
        // Still exactly one CONNECTION_STATUS on stdout; the error itself goes to stderr (exit 2).
        if (error instanceof ConfigError) printConfigFailure(logger.redact(error.message));
        throw error;
      }
      return runCheckCommand(settings, logger);
    }
  }
}

function about(format: string | undefined, version: string): string {
  if (format === undefined || format === "text") return aboutText(version);
  if (format === "json") return JSON.stringify(aboutJson(version), null, 2) + "\n";
  if (format === "markdown") return aboutMarkdown(version);
  throw new ConfigError(`--format must be json or markdown, not '${format}'`);
}

function configure(args: Parsed, logger: Logger): Settings {
  if (args.configs.length === 0) throw new ConfigError(`--config is required\n${USAGE}`);
  const loaded = loadConfig(args.configs, process.env, process.cwd());
  logger.addSecrets(loaded.secrets);
  const level = parseLogLevel(process.env["TARGET_S3_LOGLEVEL"] ?? process.env["LOGLEVEL"]) ?? loaded.settings.log_level;
  logger.configure(level, loaded.settings.log_format);
  for (const warning of loaded.warnings) logger.warn(warning);
  return loaded.settings;
}

async function run(args: Parsed, logger: Logger): Promise<number> {
  const settings = configure(args, logger);
  return runSingerCommand(settings, args.input, logger);
}

// Node 20 is supported; the SDK's notice about future releases would otherwise open every run's stderr.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
const logger = new Logger(parseLogLevel(process.env["TARGET_S3_LOGLEVEL"] ?? process.env["LOGLEVEL"]) ?? "info");
main(process.argv.slice(2), logger).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof TargetError ? error.message : error instanceof Error ? `unexpected error: ${error.stack ?? error.message}` : String(error);
    logger.error(message);
    process.exitCode = exitCodeOf(error);
  },
);
