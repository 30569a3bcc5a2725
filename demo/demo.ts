/**
 * `npm run demo`: the main job on an embedded default. Starts a local S3-compatible server (s3rver) in-process,
 * pipes the bundled sample tap output through the compiled target-s3 CLI, then lists every object written with
 * its row count (read back with DuckDB) and the STATE lines target-s3 printed.
 */
import { spawn } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { packageRoot } from "../src/config/schema.js";

interface S3rverLike {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const require = createRequire(import.meta.url);
const S3rver = require("s3rver") as new (o: Record<string, unknown>) => S3rverLike;

const BUCKET = "demo-bucket";
// Node 20 is supported; the SDK's notice about its future releases would only clutter the demo's listing.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
const fileType = process.argv[2] ?? "parquet";

async function main(): Promise<void> {
  const root = packageRoot();
  const work = mkdtempSync(join(tmpdir(), "target-s3-demo-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: join(work, "s3"), configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    const config = {
      bucket: `s3://${BUCKET}/demo`,
      aws_endpoint: endpoint,
      aws_access_key_id: "S3RVER",
      aws_secret_access_key: "S3RVER",
      file_type: fileType,
      compression: fileType === "parquet" ? "none" : "gzip",
      date_partition_format: "%Y/%m/%d",
    };
    const configPath = join(work, "config.json");
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const input = join(root, "demo", "sample-tap-output.singer");
    console.log(`local S3 server: ${endpoint}, bucket ${BUCKET}`);
    console.log(`$ target-s3 --config ${configPath} < demo/sample-tap-output.singer`);
    const { code, stdout } = await runTarget(join(root, "dist", "src", "cli.js"), configPath, input);
    console.log(`exit code ${code}; STATE lines printed on stdout:`);
    for (const line of stdout.trim().split("\n").filter(Boolean)) console.log(`  ${line}`);
    await listObjects(endpoint, work);
    if (code !== 0) process.exitCode = code ?? 1;
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function runTarget(cli: string, configPath: string, input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "--config", configPath], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true", LOGLEVEL: process.env["LOGLEVEL"] ?? "warn" },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
    createReadStream(input).pipe(child.stdin);
  });
}

async function listObjects(endpoint: string, work: string): Promise<void> {
  const s3 = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  console.log(`objects in s3://${BUCKET}:`);
  for (const object of listed.Contents ?? []) {
    const key = object.Key ?? "";
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToByteArray();
    const local = join(work, key.replace(/\//g, "_"));
    writeFileSync(local, body ?? new Uint8Array());
    const reader = key.includes(".parquet") ? "read_parquet" : key.includes(".csv") ? "read_csv" : "read_json";
    const rows = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${reader}('${local.replace(/'/g, "''")}')`);
    console.log(`  ${key}  ${object.Size} bytes  ${String(rows.getRows()[0]?.[0])} rows`);
  }
  connection.closeSync();
  db.closeSync();
  s3.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
