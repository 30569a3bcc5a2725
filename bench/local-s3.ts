// The S3 server a bench run writes to: s3rver inside the bench's own process (the quick default), or a throwaway
// Ceph RADOS Gateway (scripts/ceph-s3.sh), a real S3 implementation whose daemons' CPU is read from /proc.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

export interface LocalS3 {
  /** What the log and results call it. */
  name: "s3rver" | "ceph";
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  client: S3Client;
  /** CPU seconds the server has used so far (compare two readings around a run). */
  cpuSeconds(): number;
  close(): Promise<void>;
}

export const BENCH_REGION = "us-east-1";

function clientOf(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint,
    region: BENCH_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function startS3rver(dir: string): Promise<LocalS3> {
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = clientOf(endpoint, "S3RVER", "S3RVER");
  return {
    name: "s3rver",
    endpoint,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    client,
    // s3rver runs in this process, which does nothing else while a target runs.
    cpuSeconds: () => {
      const used = process.cpuUsage();
      return (used.user + used.system) / 1e6;
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

/** Starts a Ceph RADOS Gateway with scripts/ceph-s3.sh (which installs its Debian packages when missing). */
export function startCeph(script: string): LocalS3 {
  const started = spawnSync(script, ["start"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (started.status !== 0) throw new Error(`${script} start failed (exit ${started.status ?? started.signal})`);
  const env = new Map<string, string>();
  for (const line of started.stdout.split("\n")) {
    const m = /^(CEPH_S3_[A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) env.set(m[1], m[2]);
  }
  const [dir, endpoint, accessKeyId, secretAccessKey] = ["DIR", "ENDPOINT", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"].map((k) => env.get(`CEPH_S3_${k}`));
  if (!dir || !endpoint || !accessKeyId || !secretAccessKey) throw new Error(`${script} start printed no CEPH_S3_* lines`);
  const client = clientOf(endpoint, accessKeyId, secretAccessKey);
  const pids = readdirSync(join(dir, "run"))
    .filter((f) => f.endsWith(".pid"))
    .map((f) => Number(readFileSync(join(dir, "run", f), "utf8").trim()));
  return {
    name: "ceph",
    endpoint,
    accessKeyId,
    secretAccessKey,
    client,
    cpuSeconds: () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
    close() {
      client.destroy();
      spawnSync(script, ["stop", dir], { stdio: "inherit" });
      return Promise.resolve();
    },
  };
}

/** utime + stime of a process (and its threads) from /proc/PID/stat, in clock ticks of 1/100 s. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
