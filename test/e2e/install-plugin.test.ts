// target-s3 installs as a Meltano plugin would use it: `npm pack`, then `npm install -g <tarball>` into a temporary
// prefix, then the installed `target-s3 --about`. The pack skips the prepare build (the suite runs on a fresh
// `npm run build`, so dist/ is current) and the install reuses npm's cache: the test stays fast in CI.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTempDir, REPO_ROOT } from "../helpers/run-cli.js";

const npm = (args: string[], cwd: string): string =>
  execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" },
  });

describe("installable plugin", () => {
  it("has a prepare script that builds dist/ in a checkout or git install, and ships only what runs", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
      files: string[];
      bin: Record<string, string>;
    };
    expect(pkg.scripts["prepare"]).toContain("npm run build");
    // Without sources or the compiler (Docker's `npm ci` before COPY src, a production install) it does nothing.
    expect(pkg.scripts["prepare"]).toContain("existsSync('src/cli.ts')");
    expect(pkg.scripts["prepare"]).toContain("existsSync('node_modules/typescript')");
    expect(pkg.bin).toEqual({ "target-s3": "dist/src/cli.js" });
    expect(pkg.files).toContain("dist/src/");
  });

  it("packs, installs globally into a prefix and runs target-s3 --about", { timeout: 240_000 }, () => {
    const dir = makeTempDir("target-s3-install-");
    const packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], REPO_ROOT)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    expect(files).toContain("dist/src/cli.js");
    expect(files).toContain("schemas/config.schema.json");
    expect(files.some((f) => f.startsWith("src/") || f.startsWith("test/") || f.startsWith("dist/test/"))).toBe(false);
    const tarball = join(dir, packed[0]?.filename ?? "");
    const prefix = join(dir, "prefix");
    npm(["install", "-g", "--prefix", prefix, "--prefer-offline", tarball], dir);
    const bin = join(prefix, "bin", "target-s3");
    expect(existsSync(bin), readdirSync(prefix).join(",")).toBe(true);
    const about = JSON.parse(execFileSync(bin, ["--about", "--format", "json"], { encoding: "utf8" })) as {
      name: string;
      version: string;
      capabilities: string[];
    };
    expect(about.name).toBe("target-s3");
    expect(about.version).toBe((JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version);
    expect(about.capabilities).toEqual(expect.arrayContaining(["about", "stream-maps", "batch", "schema-flattening"]));
  });
});
