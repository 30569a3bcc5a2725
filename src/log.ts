/**
 * The stderr logger. stdout belongs to committed STATE only, so every line here goes to stderr.
 * Secrets registered with `addSecrets` are replaced by *** in every line, whatever the caller passed.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";
type Fields = Record<string, unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

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
    // Longest first so a secret that contains another is fully masked.
    this.secrets = [...this.secrets, ...values.filter((v) => v.length >= 4)].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join("***");
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
    const body = JSON.stringify({ type, metric, value, tags });
    if (this.format === "json") this.emit(JSON.stringify({ level: "info", time: new Date().toISOString(), message: "METRIC", metric: JSON.parse(body) }));
    else this.log("info", `METRIC: ${body}`);
  }

  private log(level: LogLevel, message: string, fields?: Fields): void {
    if (!this.isEnabled(level)) return;
    if (this.format === "json") {
      this.emit(JSON.stringify({ level, time: new Date().toISOString(), message, ...fields }));
      return;
    }
    const tail = fields && Object.keys(fields).length > 0 ? " " + formatFields(fields) : "";
    this.emit(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${tail}`);
  }

  private emit(line: string): void {
    this.write(this.redact(line) + "\n");
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
