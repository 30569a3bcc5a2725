#!/usr/bin/env node
import { readFileSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { aboutJson, aboutMarkdown, aboutText } from "./about.js";
import { loadConfig } from "./config/load-config.js";
import { packageJson, packageRoot } from "./config/schema.js";
import type { Settings } from "./config/settings.js";
import { ConfigError, exitCodeOf, TargetError, UsageError } from "./errors.js";
import { nearest } from "./edit-distance.js";
import { Logger, parseLogLevel } from "./log.js";

/** argv → command. Exit 0 ok, 2 usage or configuration, 1 anything else, 130/143 on SIGINT/SIGTERM. */
const USAGE = `usage:
  target-s3 --config FILE [--config FILE2 | --config ENV ...] [--input FILE]   run as a Singer target (stdin by default)
  target-s3 --about [--format json|markdown]                                  describe the target and its settings
  target-s3 --version
  target-s3 spec                                                              print the Airbyte SPEC message
  target-s3 write --config FILE --catalog FILE [--input FILE]                 run as an Airbyte destination (also --write)
  target-s3 check --config FILE                                               test the settings (also --check, --test-connection)`;
const USAGE_LINE =
  "usage: target-s3 --config FILE|ENV [--config ...] [--input FILE] | --about | --version | spec | check --config FILE | write --config FILE --catalog FILE";

interface Parsed {
  command: "run" | "about" | "version" | "spec" | "help" | "write" | "check";
  configs: string[];
  catalog: string | undefined;
  input: string | undefined;
  format: string | undefined;
}

const OPTIONS = {
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
} as const;
const COMMANDS = ["spec", "write", "check"];

function parse(argv: string[]): Parsed {
  const first = argv[0];
  const positional = first !== undefined && !first.startsWith("-") ? first : undefined;
  if (positional !== undefined && !COMMANDS.includes(positional)) throw usageError(`unknown command '${positional}'${didYouMean(positional, COMMANDS, "")}`);
  const rest = positional ? argv.slice(1) : argv;
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw usageError(argumentProblem(error, rest));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw usageError(`unexpected argument '${positionals[0] ?? ""}'`);
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
  return { command, configs: values.config ?? [], catalog: values.catalog, input: values.input, format: values.format };
}

/** parseArgs' error as one sentence (its own text suggests `--` and positionals, which is no help here). */
function argumentProblem(error: unknown, args: string[]): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]*)/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return `unknown option '${option}'${didYouMean(option.replace(/^-+/, "").split("=")[0] ?? "", Object.keys(OPTIONS), "--")}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = /'--([a-z-]+)/.exec(message)?.[1] ?? option.replace(/^-+/, "");
    const valueOf = { config: "a config file path or ENV", input: "a file path", catalog: "a catalog file path", format: "json or markdown" }[name];
    if (valueOf !== undefined) return `--${name} needs a value (${valueOf})`;
    return `--${name} takes no value`;
  }
  return `cannot read the arguments ${JSON.stringify(args.join(" "))}: ${message.split(". ")[0] ?? message}`;
}

function didYouMean(name: string, candidates: readonly string[], prefix: string): string {
  const close = nearest(name, candidates);
  return close !== undefined && close.distance <= 2 ? ` (did you mean ${prefix}${close.candidate}?)` : "";
}

function usageError(problem: string): UsageError {
  return new UsageError(`${problem}: see target-s3 --help.\n${USAGE_LINE}`);
}

async function main(argv: string[], logger: Logger): Promise<number> {
  const args = parse(argv);
  const version = packageJson().version;
  switch (args.command) {
    case "version":
      process.stdout.write(`target-s3 v${version}\n`);
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
    case "write": {
      // Commands are imported when used: the AWS SDK and DuckDB cost ~0.6 s of CPU that --version, --about and a
      // configuration error do not need.
      const { writeAirbyteCommand } = await import("./commands/write-airbyte.js");
      return writeAirbyteCommand({ configure: () => configure(args, logger), catalogPath: args.catalog, inputPath: args.input }, logger);
    }
    case "check": {
      let settings: Settings;
      try {
        settings = configure(args, logger);
      } catch (error) {
        // Still exactly one CONNECTION_STATUS on stdout; the error itself goes to stderr (exit 2).
        if (error instanceof ConfigError) (await import("./commands/check.js")).printConfigFailure(logger.redact(error.message));
        throw error;
      }
      return (await import("./commands/check.js")).runCheckCommand(settings, logger);
    }
  }
}

function about(format: string | undefined, version: string): string {
  if (format === undefined || format === "text") return aboutText(version);
  if (format === "json") return JSON.stringify(aboutJson(version), null, 2) + "\n";
  if (format === "markdown") return aboutMarkdown(version);
  throw usageError(`--format must be json or markdown, not '${format}'`);
}

function configure(args: Parsed, logger: Logger): Settings {
  if (args.configs.length === 0) throw usageError("--config is required (a JSON file, or ENV for TARGET_S3_* variables)");
  if (args.input !== undefined) checkInput(args.input);
  const loaded = loadConfig(args.configs, process.env, process.cwd());
  logger.addSecrets(loaded.secrets);
  const level = parseLogLevel(process.env["TARGET_S3_LOGLEVEL"] ?? process.env["LOGLEVEL"]) ?? loaded.settings.log_level;
  logger.configure(level, loaded.settings.log_format);
  for (const warning of loaded.warnings) logger.warn(warning);
  return loaded.settings;
}

/** `--input` must name a readable file; found before any setting is used, so the mistake is a usage error. */
function checkInput(path: string): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(
      code === "ENOENT"
        ? `--input '${path}' does not exist (pass the tap output file, or leave --input out to read stdin)`
        : `--input '${path}' cannot be read (${code ?? String(error)})`,
    );
  }
  if (stats.isDirectory()) throw usageError(`--input '${path}' is a directory (pass the tap output file, or leave --input out to read stdin)`);
}

async function run(args: Parsed, logger: Logger): Promise<number> {
  const settings = configure(args, logger);
  const { runSingerCommand } = await import("./commands/run-singer.js");
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
