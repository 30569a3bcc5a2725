// Ceph RADOS Gateway as the tests' S3 (TARGET_S3_TEST_S3=ceph): the cluster scripts/ceph-s3.sh starts once per
// vitest run (ceph-global-setup.ts), described to the workers by CEPH_S3_* environment variables.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export interface CephS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The cluster's folder (its ceph.conf is what radosgw-admin needs). */
  dir: string;
}

export const TEST_S3_ENV = "TARGET_S3_TEST_S3";

/** Which server the suites use: s3rver (the default) or ceph. Anything else is a mistake worth stopping for. */
export function testS3Kind(): "s3rver" | "ceph" {
  const kind = process.env[TEST_S3_ENV] ?? "s3rver";
  if (kind === "" || kind === "s3rver") return "s3rver";
  if (kind === "ceph") return "ceph";
  throw new Error(`${TEST_S3_ENV}=${kind}: use s3rver (the default) or ceph`);
}

export const onCeph = (): boolean => testS3Kind() === "ceph";

/** The running cluster, from the environment ceph-global-setup.ts (or the caller, for a cluster of their own) set. */
export function cephFromEnv(): CephS3 {
  const endpoint = process.env.CEPH_S3_ENDPOINT;
  const accessKeyId = process.env.CEPH_S3_ACCESS_KEY_ID;
  const secretAccessKey = process.env.CEPH_S3_SECRET_ACCESS_KEY;
  const dir = process.env.CEPH_S3_DIR;
  if (!endpoint || !accessKeyId || !secretAccessKey || !dir) {
    throw new Error(
      `${TEST_S3_ENV}=ceph but no cluster is described by CEPH_S3_ENDPOINT/_ACCESS_KEY_ID/_SECRET_ACCESS_KEY/_DIR (vitest's globalSetup starts one)`,
    );
  }
  return { endpoint, accessKeyId, secretAccessKey, dir };
}

/** The user scripts/ceph-s3.sh creates; it owns every bucket the tests make. */
const TEST_UID = "target-s3-test";

/** Gives the test user one more key pair (so it reaches the same buckets), like s3rver's key registry. */
export function cephAddKey(ceph: CephS3, accessKeyId: string, secretAccessKey: string): void {
  execFileSync("radosgw-admin", ["key", "create", `--uid=${TEST_UID}`, "--key-type=s3", `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`], {
    env: { ...process.env, CEPH_CONF: join(ceph.dir, "ceph.conf") },
    stdio: "ignore",
    timeout: 30_000,
  });
}
