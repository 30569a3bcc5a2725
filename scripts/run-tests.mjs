#!/usr/bin/env node
// Runs the whole vitest suite (extra arguments are passed to `vitest run`), then prints, as the very last line,
// `N passed, N failed` (plus `, N skipped` when some were skipped). A suite that fails without a failing test
// (a file that cannot be imported, a failing beforeAll/afterAll) counts as one failure per test file, and so does
// a vitest run that exits non-zero with no failure in its report (unhandled errors, a crashed worker).
// Exit code: 0 only when nothing failed and at least one test passed.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vitestBin = join(root, "node_modules", "vitest", "vitest.mjs");
const reportDir = mkdtempSync(join(tmpdir(), "target-s3-vitest-"));
const reportFile = join(reportDir, "report.json");

// The local vitest entry point, run with this Node: same as `npx vitest`, without npx's lookup or prompts.
const args = [vitestBin, "run", "--reporter=default", "--reporter=json", `--outputFile=${reportFile}`, ...process.argv.slice(2)];
const child = spawn(process.execPath, args, {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, TZ: "UTC", AWS_EC2_METADATA_DISABLED: "true" },
});

const forward = (signal) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);

const [code, signal] = await new Promise((resolve) => {
  child.on("error", (err) => {
    console.error(`run-tests: could not start vitest (${vitestBin}): ${err.message}`);
    resolve([null, null]);
  });
  child.on("exit", (c, s) => resolve([c, s]));
});

let passed = 0;
let failed = 0;
let skipped = 0;
const notes = [];

if (existsSync(reportFile)) {
  let report;
  try {
    report = JSON.parse(readFileSync(reportFile, "utf8"));
  } catch (err) {
    notes.push(`the vitest JSON report could not be parsed: ${err.message}`);
  }
  if (report) {
    for (const file of report.testResults ?? []) {
      const results = file.assertionResults ?? [];
      let fileFailedTests = 0;
      for (const test of results) {
        if (test.status === "passed") passed += 1;
        else if (test.status === "failed") {
          failed += 1;
          fileFailedTests += 1;
        } else skipped += 1;
      }
      if (file.status === "failed" && fileFailedTests === 0) {
        failed += 1;
        notes.push(`failed suite (no failing test): ${relative(root, file.name)}${file.message ? ` — ${file.message.split("\n")[0]}` : ""}`);
      }
    }
  }
} else {
  notes.push("vitest wrote no JSON report");
}
rmSync(reportDir, { recursive: true, force: true });

if (code !== 0 && failed === 0) {
  failed += 1;
  notes.push(`vitest exited with ${signal ? `signal ${signal}` : `code ${code}`} although its report lists no failure (unhandled error or crashed worker)`);
}
if (passed + failed === 0) notes.push("no test ran");

for (const note of notes) console.log(`run-tests: ${note}`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
