// vitest globalSetup: with TARGET_S3_TEST_S3=ceph, starts one throwaway Ceph RADOS Gateway for the whole run
// (scripts/ceph-s3.sh; ~3 s once the packages are installed) unless CEPH_S3_ENDPOINT already names one, and stops it
// at the end. The workers inherit its CEPH_S3_* variables.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testS3Kind } from "./ceph-s3.js";

const script = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "scripts", "ceph-s3.sh");

export default function setup(): (() => void) | undefined {
  if (testS3Kind() !== "ceph" || process.env.CEPH_S3_ENDPOINT) return undefined;
  const started = spawnSync(script, ["start"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (started.status !== 0) throw new Error(`scripts/ceph-s3.sh start failed (exit ${started.status ?? started.signal})`);
  for (const line of started.stdout.split("\n")) {
    const m = /^(CEPH_S3_[A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) process.env[m[1]] = m[2];
  }
  const dir = process.env.CEPH_S3_DIR;
  return () => {
    if (dir) spawnSync(script, ["stop", dir], { stdio: "inherit" });
    for (const name of ["CEPH_S3_DIR", "CEPH_S3_ENDPOINT", "CEPH_S3_ACCESS_KEY_ID", "CEPH_S3_SECRET_ACCESS_KEY"]) delete process.env[name];
  };
}
