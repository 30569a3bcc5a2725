// The long reliability soak: the full counts of the fault and crash tests (CI runs fewer).
//   npx tsx scripts/soak.ts            20 fault runs × 50k records, 20 + 20 crash seeds
//   FAULT_RUNS=50 npx tsx scripts/soak.ts
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const env = {
  ...process.env,
  FAULT_RUNS: process.env["FAULT_RUNS"] ?? "20",
  CRASH_SEEDS: process.env["CRASH_SEEDS"] ?? "20",
  CRASH_DETERMINISTIC_SEEDS: process.env["CRASH_DETERMINISTIC_SEEDS"] ?? "20",
  TZ: "UTC",
  AWS_EC2_METADATA_DISABLED: "true",
};
const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit", env });
if (build.status !== 0) process.exit(build.status ?? 1);
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const run = spawnSync(process.execPath, [vitest, "run", "test/integration/faults.test.ts", "test/integration/crash.test.ts", "--testTimeout=600000"], {
  cwd: root,
  stdio: "inherit",
  env,
});
process.exit(run.status ?? 1);
