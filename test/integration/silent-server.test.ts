// An S3 (or STS) endpoint that accepts connections and requests and never answers: each request is given up after
// s3_request_timeout_seconds without an answer, retried under max_retries, and the run then fails with a sentence
// naming the endpoint and the setting, without a STATE (issue 15, item 1).
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";

let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", () => undefined); // read everything, answer nothing
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const INPUT =
  [
    { type: "SCHEMA", stream: "orders", schema: { type: "object", properties: { id: { type: "integer" } } }, key_properties: ["id"] },
    { type: "RECORD", stream: "orders", record: { id: 1 } },
    { type: "STATE", value: { at: 1 } },
  ]
    .map((m) => JSON.stringify(m))
    .join("\n") + "\n";

describe("a silent endpoint", () => {
  it("S3: the run fails within a minute, naming the endpoint and s3_request_timeout_seconds, with no STATE", { timeout: 90_000 }, async () => {
    const config = writeConfig(s3Config({ endpoint }, "silent-bucket", { s3_request_timeout_seconds: 5, max_retries: 1 }));
    const started = Date.now();
    const result = await runCli(["--config", config], { input: INPUT, timeoutMs: 60_000 });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.stateLines).toEqual([]);
    expect(result.stderr).toContain(endpoint);
    expect(result.stderr).toContain("s3_request_timeout_seconds");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("STS: assuming a role at a silent sts_endpoint fails within a minute, naming the endpoint", { timeout: 90_000 }, async () => {
    const config = writeConfig(
      s3Config({ endpoint }, "silent-bucket", {
        role_arn: "arn:aws:iam::123456789012:role/writer",
        sts_endpoint: endpoint,
        s3_request_timeout_seconds: 5,
        max_retries: 1,
      }),
    );
    const started = Date.now();
    const result = await runCli(["--config", config], { input: INPUT, timeoutMs: 60_000 });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.stateLines).toEqual([]);
    expect(result.stderr).toContain(endpoint);
    expect(result.stderr).toContain("s3_request_timeout_seconds");
  });
});
