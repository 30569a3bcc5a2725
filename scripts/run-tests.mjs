#!/usr/bin/env node
// Runs the whole vitest suite (extra arguments are passed to `vitest run`), then prints, as the very last line,
// `N passed, N failed` (plus `, N skipped` when some were skipped). Failures counted: failed tests, every suite
// (file or describe block) with an error of its own (a file that cannot be imported, a failing beforeAll/afterAll:
// 0 failed tests but a failed suite), every unhandled error, and a vitest exit that is non-zero with none of these.
// Exit code: 0 only when nothing failed and at least one test passed.
//
// This file is also the vitest reporter that does the counting (vitest imports it with --reporter=<this file>; it
// then only exports the class). The JSON report (--reporter=json) is kept as a fallback.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const selfPath = fileURLToPath(import.meta.url);
const root = join(dirname(selfPath), "..");
const COUNTS_ENV = "TARGET_S3_TEST_COUNTS_FILE";

/** Counts tests and suite-level failures from vitest's task tree; writes them to $TARGET_S3_TEST_COUNTS_FILE. */
export default class CountingReporter {
  onTestRunEnd(testModules, unhandledErrors = [], reason) {
    const counts = { passed: 0, failed: 0, skipped: 0, suiteFailures: [], unhandled: unhandledErrors.length, reason };
    const walk = (task, path) => {
      if (task.type === "test") {
        const state = task.result?.state;
        if (state === "pass") counts.passed += 1;
        else if (state === "fail") counts.failed += 1;
        else counts.skipped += 1;
        return;
      }
      const here = [...path, task.name];
      const own = task.result?.errors ?? [];
      if (own.length > 0) {
        counts.failed += 1;
        counts.suiteFailures.push(`${here.join(" > ")}: ${String(own[0]?.message ?? "error").split("\n")[0]}`);
      }
      for (const child of task.tasks ?? []) walk(child, here);
    };
    for (const mod of testModules) walk(mod.task, []);
    counts.failed += counts.unhandled;
    const out = process.env[COUNTS_ENV];
    if (out) writeFileSync(out, JSON.stringify(counts));
  }
}

function countsFromJsonReport(report) {
  const counts = { passed: 0, failed: 0, skipped: 0, suiteFailures: [], unhandled: 0 };
  for (const file of report.testResults ?? []) {
    let fileFailed = 0;
    for (const test of file.assertionResults ?? []) {
      if (test.status === "passed") counts.passed += 1;
      else if (test.status === "failed") {
        counts.failed += 1;
        fileFailed += 1;
      } else counts.skipped += 1;
    }
    if (file.status === "failed" && fileFailed === 0) {
      counts.failed += 1;
      counts.suiteFailures.push(`${relative(root, file.name ?? "")}: ${String(file.message ?? "").split("\n")[0]}`);
    }
  }
  return counts;
}

async function main() {
  const vitestBin = join(root, "node_modules", "vitest", "vitest.mjs");
  const workDir = mkdtempSync(join(tmpdir(), "target-s3-vitest-"));
  const reportFile = join(workDir, "report.json");
  const countsFile = join(workDir, "counts.json");

  // The local vitest entry point, run with this Node: same as `npx vitest`, without npx's lookup or prompts.
  const args = [vitestBin, "run", "--reporter=default", "--reporter=json", `--outputFile=${reportFile}`, `--reporter=${selfPath}`, ...process.argv.slice(2)];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, TZ: "UTC", AWS_EC2_METADATA_DISABLED: "true", [COUNTS_ENV]: countsFile },
  });
  const forward = (signal) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);

  const [code, signal] = await new Promise((done) => {
    child.on("error", (err) => {
      console.error(`run-tests: could not start vitest (${vitestBin}): ${err.message}`);
      done([null, null]);
    });
    child.on("exit", (c, s) => done([c, s]));
  });

  const notes = [];
  let counts;
  try {
    if (existsSync(countsFile)) counts = JSON.parse(readFileSync(countsFile, "utf8"));
    else if (existsSync(reportFile)) {
      counts = countsFromJsonReport(JSON.parse(readFileSync(reportFile, "utf8")));
      notes.push("counted from the JSON report (the counting reporter wrote nothing)");
    }
  } catch (err) {
    notes.push(`could not read the test counts: ${err.message}`);
  }
  rmSync(workDir, { recursive: true, force: true });
  counts ??= { passed: 0, failed: 0, skipped: 0, suiteFailures: [], unhandled: 0 };
  if (!existsSync(vitestBin)) notes.push(`vitest is not installed (${vitestBin}): run npm ci`);

  for (const f of counts.suiteFailures) notes.push(`failed suite: ${f}`);
  if (counts.unhandled > 0) notes.push(`${counts.unhandled} unhandled error(s) during the run (each counted as a failure)`);
  let { passed, failed } = counts;
  const { skipped } = counts;
  if (code !== 0 && failed === 0) {
    failed = 1;
    notes.push(`vitest exited with ${signal ? `signal ${signal}` : `code ${code}`} although no test or suite failed`);
  }
  if (passed + failed === 0) notes.push("no test ran");

  for (const note of notes) console.log(`run-tests: ${note}`);
  console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(resolve(process.argv[1])) === realpathSync(selfPath);
  } catch {
    return false;
  }
})();
if (invokedDirectly) await main();
