import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Tests never use the machine's AWS identity: ambient credentials and profiles are removed here (the forked
// workers inherit this environment), and a test that needs them passes them explicitly (runCli's `env`).
for (const name of [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_ROLE_ARN",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
]) {
  delete process.env[name];
}

const testEnv: Record<string, string> = {
  TZ: "UTC",
  AWS_EC2_METADATA_DISABLED: "true",
  // Shared config/credentials files that do not exist: ~/.aws of the machine is never read.
  AWS_CONFIG_FILE: join(tmpdir(), "target-s3-tests-no-aws-config"),
  AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), "target-s3-tests-no-aws-credentials"),
};
Object.assign(process.env, testEnv);

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // TARGET_S3_TEST_S3=ceph: one Ceph RADOS Gateway for the run, and the no-open-upload check after every test.
    globalSetup: ["test/helpers/ceph-global-setup.ts"],
    setupFiles: ["test/helpers/open-uploads.setup.ts"],
    environment: "node",
    env: testEnv,
    pool: "forks",
    // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider:
    // without this flag every truncated ListObjectsV2 page (more keys than MaxKeys) answers 500 InternalError.
    // Only the test workers (where s3rver runs) get it; the CLI spawned by the tests does not.
    execArgv: ["--openssl-legacy-provider"],
    maxWorkers: 2,
    // Ceph RGW (memstore, three daemons on the same two cores) is slower than in-process s3rver: the 140k-row
    // segment tests took ~90 s per run there under load.
    testTimeout: process.env["TARGET_S3_TEST_S3"] === "ceph" ? 240_000 : 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
