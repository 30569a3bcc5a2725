/**
 * The stderr logger. stdout belongs to committed STATE only, so every line here goes to stderr.
 * Secrets registered with `addSecrets` are replaced by *** in every message and field, whatever the caller passed.
 */
import type { LogFormat, LogLevel } from "./config/settings.js";

export type { LogFormat, LogLevel } from "./config/settings.js";
type Fields = Record<string, unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const APP_NAME = "target-s3";
export const REDACTED = "***";

export class Logger {
  private secrets: string[] = [];

  constructor(
    private level: LogLevel = "info",
    private format: LogFormat = "text",
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  configure(level: LogLevel, format: LogFormat): void {
    this.level = level;
    this.format = format;
  }

  addSecrets(values: readonly string[]): void {
    // Also each secret's JSON-escaped text, for messages that quote a value as JSON (an echoed request, say).
    const forms = values.filter((v) => v.length >= 4).flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    // Longest first so a secret that contains another is fully masked.
    this.secrets = [...new Set([...this.secrets, ...forms])].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    return out;
  }

  debug(message: string, fields?: Fields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: Fields): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: Fields): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: Fields): void {
    this.log("error", message, fields);
  }

  isEnabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.level];
  }

  /**
   * A Singer-style metric, logged as the SDK does (an info line whose message is
   * `METRIC: {"type":"counter","metric":"record_count","value":3,"tags":{...}}`).
   * Metrics are info lines: a log level of warn or error silences them.
   */
  metric(type: "counter" | "timer" | "gauge", metric: string, value: number, tags: Fields = {}): void {
    if (!this.isEnabled("info")) return;
    const point = this.masked({ type, metric, value, tags });
    if (this.format === "json") this.emit(JSON.stringify({ ...this.envelope("info", undefined), message: "METRIC", metric_info: point }));
    else this.log("info", `METRIC: ${JSON.stringify(point)}`);
  }

  private log(level: LogLevel, message: string, fields?: Fields): void {
    if (!this.isEnabled(level)) return;
    // Masked before serialising: once JSON-escaped, a secret holding `"` or `\` no longer matches its own text.
    const text = this.redact(message);
    const safe = fields === undefined ? {} : this.masked(fields);
    if (this.format === "json") {
      const { stream, ...extra } = safe;
      this.emit(JSON.stringify({ ...this.envelope(level, stream), message: text, extra }));
      return;
    }
    const tail = Object.keys(safe).length > 0 ? " " + formatFields(safe) : "";
    this.emit(this.redact(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}${tail}`));
  }

  /** The Singer SDK's structured-log keys (singer_sdk.logging.StructuredFormatter). */
  private envelope(level: LogLevel, stream: unknown): Fields {
    return {
      level,
      pid: process.pid,
      logger_name: APP_NAME,
      ts: Date.now() / 1000,
      thread_name: "MainThread",
      app_name: APP_NAME,
      stream_name: typeof stream === "string" ? stream : null,
    };
  }

  /** A deep copy with every string (keys too) redacted. */
  private masked(fields: Fields): Fields {
    const walk = (value: unknown): unknown => {
      if (typeof value === "string") return this.redact(value);
      if (Array.isArray(value)) return value.map(walk);
      if (value instanceof Error) return this.redact(value.message);
      if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.redact(k), walk(v)]));
      }
      return value;
    };
    return walk(fields) as Fields;
  }

  private emit(line: string): void {
    this.write(line + "\n");
  }
}

function formatFields(fields: Fields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(" ");
}

export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  const v = value?.toLowerCase();
  if (v === "warning") return "warn";
  return v === "debug" || v === "info" || v === "warn" || v === "error" ? v : undefined;
}
