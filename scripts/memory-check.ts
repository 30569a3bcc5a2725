// Memory check (not in the default suite): a large generated input through the real CLI with memory_limit 128MB
// into the local S3 server; prints the target process's peak RSS (VmHWM) per size.
//   npx tsx scripts/memory-check.ts              1M and 3M records, parquet
//   RECORDS=200000 FILE_TYPE=csv npx tsx scripts/memory-check.ts
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateToFile } from "../bench/generate.js";
import { startS3Server } from "../test/helpers/s3-server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli.js");
const sizes = (process.env["RECORDS"] ?? "1000000,3000000").split(",").map(Number);
const fileType = process.env["FILE_TYPE"] ?? "parquet";
/** The documented bound: peak RSS of the target with memory_limit 128MB. */
const BOUND_MB = Number(process.env["BOUND_MB"] ?? 512);

function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const dir = mkdtempSync(join(tmpdir(), "target-s3-memory-"));
const s3 = await startS3Server();
let failed = false;
try {
  for (const records of sizes) {
    const input = join(dir, `in-${records}.jsonl`);
    const summary = generateToFile(records, input);
    const bucket = await s3.createBucket();
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        bucket,
        aws_endpoint: s3.endpoint,
        force_path_style: true,
        aws_access_key_id: "S3RVER",
        aws_secret_access_key: "S3RVER",
        file_type: fileType,
        memory_limit: "128MB",
        temp_dir: join(dir, "tmp"),
      }),
    );
    const started = Date.now();
    const child = spawn(process.execPath, [cli, "--config", config], {
      stdio: ["pipe", "ignore", "pipe"],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true" },
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!) ?? 0)), 200);
    createReadStream(input).pipe(child.stdin);
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    clearInterval(poll);
    const mb = peak / 1024 / 1024;
    const ok = code === 0 && mb < BOUND_MB;
    failed ||= !ok;
    console.log(
      `${records} records (${(summary.bytes / 1e6).toFixed(0)} MB, ${fileType}): exit ${code}, peak RSS ${mb.toFixed(0)} MB (bound ${BOUND_MB} MB), ${((Date.now() - started) / 1000).toFixed(1)} s${ok ? "" : " FAILED\n" + stderr}`,
    );
    rmSync(input, { force: true });
  }
} finally {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
