import { describe, expect, it } from "vitest";
import { secretNames } from "../../src/config/secret-names.js";
import { Logger } from "../../src/log.js";

/** Every character JSON.stringify escapes: quote, backslash, the C0 controls, and a lone surrogate. */
const ESCAPED = ['"', "\\", ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)), "\ud83d"];

function capture(format: "text" | "json"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger("debug", format, (line) => lines.push(line));
  return { logger, lines };
}

describe("Logger masks secrets before serialising", () => {
  for (const format of ["json", "text"] as const) {
    it(`every secret setting with every character JSON escapes (${format})`, () => {
      const names = secretNames();
      expect(names.length).toBeGreaterThanOrEqual(4);
      for (const name of names) {
        for (const ch of ESCAPED) {
          const secret = `Sx${ch}${name}-${ch}9`;
          const { logger, lines } = capture(format);
          logger.addSecrets([secret]);
          logger.error(`STS said: ValidationError for ${secret}`, { stream: secret, detail: { echoed: secret, list: [secret] } });
          logger.warn(`quoted ${JSON.stringify(secret)}`);
          logger.metric("counter", "record_count", 1, { stream: secret });
          const escaped = JSON.stringify(secret).slice(1, -1);
          for (const line of lines) {
            const where = `${name} ${JSON.stringify(ch)}: ${line}`;
            expect(line.includes(secret), where).toBe(false);
            expect(line.includes(escaped), where).toBe(false);
            if (format === "json") expect(JSON.stringify(JSON.parse(line)).includes(escaped), where).toBe(false);
          }
        }
      }
    });
  }

  it("json lines carry the Singer SDK's structured keys", () => {
    const { logger, lines } = capture("json");
    logger.info("object stored", { stream: "users", key: "a/b.csv" });
    logger.metric("counter", "record_count", 3, { stream: "users" });
    const [line, metric] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({
      level: "info",
      pid: process.pid,
      logger_name: "target-s3",
      thread_name: "MainThread",
      app_name: "target-s3",
      stream_name: "users",
      message: "object stored",
      extra: { key: "a/b.csv" },
    });
    expect(typeof line?.["ts"]).toBe("number");
    expect(metric).toMatchObject({ message: "METRIC", metric_info: { type: "counter", metric: "record_count", value: 3, tags: { stream: "users" } } });
  });
});
