// SLOW, NEEDS THE NPM REGISTRY (about a minute): replays the Dockerfile without a Docker engine, so the image
// cannot rot unnoticed. The Dockerfile is parsed and every instruction of every stage is carried out in a temp
// directory that stands for the stage's `/`: COPY copies the listed paths (and fails when .dockerignore would
// keep them out of the build context), RUN runs the commands (only those this file knows: a new one fails the
// test until it is taught here), ENV sets the environment, ENTRYPOINT is what gets run.
// One substitution: the build stage's full `npm ci` links the repository's node_modules (same lockfile) instead
// of downloading every dev dependency again; the runtime stage's `npm ci --omit=dev` is real, into an empty
// folder outside the repository, so the image's production dependencies alone must be enough.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readObjectRows } from "../helpers/read-back.js";
import { makeTempDir, REPO_ROOT, s3Config } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  image: string;
  name: string;
  steps: Instruction[];
}

/** Instructions with continuation lines joined, comments dropped; global ARG defaults substituted into FROM. */
function parseDockerfile(text: string): { stages: Stage[]; globalArgs: Record<string, string> } {
  const instructions: Instruction[] = [];
  let pending = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) return;
    if (pending === "") start = i + 1;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      return;
    }
    const full = (pending + line).trim();
    pending = "";
    const m = /^(\w+)\s+(.*)$/s.exec(full);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse '${full}'`);
    instructions.push({ op: (m[1] ?? "").toUpperCase(), args: (m[2] ?? "").trim(), line: start });
  });
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot parse FROM ${ins.args}`);
      const image = (m[1] ?? "").replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globalArgs[a ?? b ?? ""] ?? "");
      stages.push({ image, name: m[2] ?? String(stages.length), steps: [] });
    } else if (stages.length === 0) {
      if (ins.op !== "ARG") throw new Error(`Dockerfile line ${ins.line}: ${ins.op} before FROM`);
      const [k, v] = ins.args.split("=", 2);
      globalArgs[k ?? ""] = v ?? "";
    } else stages.at(-1)?.steps.push(ins);
  }
  return { stages, globalArgs };
}

/** .dockerignore semantics for the patterns we use: last matching pattern wins, `!` re-includes. */
function ignoredByDockerignore(path: string, patterns: string[]): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, "");
    const re = new RegExp(
      "^" +
        pattern
          .split("**")
          .map((part) =>
            part
              .replace(/[.+^${}()|[\]\\]/g, "\\$&")
              .replace(/\*/g, "[^/]*")
              .replace(/\?/g, "[^/]"),
          )
          .join(".*") +
        "(/.*)?$",
    );
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}

/** ENV `K=V K2="V 2"` or `K V`. */
function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!args.includes("=")) {
    const [k, ...rest] = args.split(/\s+/);
    out[k ?? ""] = rest.join(" ");
    return out;
  }
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) out[m[1] ?? ""] = m[3] ?? m[2] ?? "";
  return out;
}

interface Replayed {
  roots: Map<string, string>;
  runtime: Stage;
  runtimeRoot: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  entrypoint: string[];
  log: string[];
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: string[]): void {
  log.push(`$ (${cwd}) ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`'${cmd} ${args.join(" ")}' failed (${r.status ?? r.signal}): ${r.stderr}\n${r.stdout}`);
}

function replay(dockerfile: string, dockerignore: string[], tmp: string): Replayed {
  const { stages } = parseDockerfile(dockerfile);
  const roots = new Map<string, string>();
  const log: string[] = [];
  const nodeDir = dirname(process.execPath);
  let last: Omit<Replayed, "roots" | "log" | "runtime" | "runtimeRoot"> | undefined;
  for (const stage of stages) {
    const root = join(tmp, `stage-${stage.name}`);
    mkdirSync(root, { recursive: true });
    roots.set(stage.name, root);
    const at = (path: string, cwd: string): string => (path.startsWith("/") ? join(root, path) : join(cwd, path));
    let workdir = "/";
    let user: string | undefined;
    let entrypoint: string[] = [];
    const env: Record<string, string> = {};
    for (const step of stage.steps) {
      const cwd = join(root, workdir);
      const where = `Dockerfile line ${step.line} (${step.op} ${step.args})`;
      switch (step.op) {
        case "WORKDIR":
          workdir = step.args.startsWith("/") ? step.args : join(workdir, step.args);
          mkdirSync(join(root, workdir), { recursive: true });
          break;
        case "ENV":
          Object.assign(env, parseEnv(step.args));
          break;
        case "ARG":
        case "LABEL":
          break;
        case "USER":
          user = step.args;
          break;
        case "ENTRYPOINT":
          entrypoint = JSON.parse(step.args) as string[];
          break;
        case "COPY": {
          const words = step.args.split(/\s+/);
          const from = words[0]?.startsWith("--from=") ? words.shift()?.slice("--from=".length) : undefined;
          if (words.some((w) => w.startsWith("--"))) throw new Error(`${where}: COPY flag not replayed here`);
          const dest = words.pop() ?? "";
          for (const src of words) {
            let source: string;
            if (from !== undefined) {
              const fromRoot = roots.get(from);
              if (fromRoot === undefined) throw new Error(`${where}: no earlier stage '${from}'`);
              source = join(fromRoot, src);
            } else {
              expect(ignoredByDockerignore(src.replace(/^\.\//, ""), dockerignore), `${where}: .dockerignore keeps '${src}' out of the build context`).toBe(
                false,
              );
              source = join(REPO_ROOT, src);
            }
            expect(existsSync(source), `${where}: '${src}' does not exist`).toBe(true);
            const target = dest.endsWith("/") || words.length > 1 ? join(at(dest, cwd), src.split("/").pop() ?? src) : at(dest, cwd);
            mkdirSync(dirname(target), { recursive: true });
            cpSync(source, target, { recursive: true, dereference: false });
          }
          break;
        }
        case "RUN":
          for (const command of step.args.split("&&").map((c) => c.trim())) {
            const argv = command.split(/\s+/);
            const childEnv = {
              ...process.env,
              ...env,
              PATH: `${join(root, "usr/local/bin")}${delimiter}${nodeDir}${delimiter}${process.env["PATH"] ?? ""}`,
              npm_config_prefer_offline: "true",
              npm_config_fund: "false",
              npm_config_audit: "false",
              npm_config_update_notifier: "false",
            };
            if (command === "npm ci") {
              // Substitution (see the header): the same lockfile's full install is the repository's node_modules.
              symlinkSync(join(REPO_ROOT, "node_modules"), join(cwd, "node_modules"), "dir");
              log.push(`(npm ci: linked ${join(REPO_ROOT, "node_modules")})`);
            } else if (/^npm ci --omit=dev$/.test(command)) {
              run("npm", argv.slice(1), cwd, childEnv, log);
            } else if (command === "npm run build") {
              run("npm", ["run", "build", "--silent"], cwd, childEnv, log);
            } else if (command === "npm cache clean --force") {
              log.push("(npm cache clean: skipped, it would empty this machine's cache)");
            } else if (argv[0] === "chmod" && argv.length === 3) {
              chmodSync(at(argv[2] ?? "", cwd), parseInt(argv[1] ?? "", 8));
            } else if (argv[0] === "ln" && argv[1] === "-s" && argv.length === 4) {
              const link = at(argv[3] ?? "", cwd);
              mkdirSync(dirname(link), { recursive: true });
              symlinkSync(at(argv[2] ?? "", cwd), link);
            } else {
              throw new Error(`${where}: the docker-steps test does not know how to replay '${command}': teach it in test/e2e/docker-steps.test.ts`);
            }
          }
          break;
        default:
          throw new Error(`${where}: instruction not replayed by test/e2e/docker-steps.test.ts`);
      }
    }
    last = { workdir, env, user, entrypoint };
  }
  const runtime = stages.at(-1);
  if (!runtime || !last) throw new Error("the Dockerfile has no stage");
  return { ...last, roots, runtime, runtimeRoot: roots.get(runtime.name) ?? "", log };
}

const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

describe("Dockerfile (static)", () => {
  const { stages } = parseDockerfile(dockerfile);

  it("is multi-stage on a Node 22 or 24 bookworm-slim base, installs production dependencies only and runs as a non-root user", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:(22|24)(\.\d+)*-bookworm-slim$/);
    const runtime = stages.at(-1);
    const runs = runtime?.steps.filter((s) => s.op === "RUN").map((s) => s.args) ?? [];
    expect(runs.some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
    for (const command of runs.flatMap((r) => r.split("&&"))) {
      if (/\bnpm (ci|install|i)\b/.test(command)) expect(command, "every install in the runtime stage omits dev dependencies").toContain("--omit=dev");
    }
    const users = runtime?.steps.filter((s) => s.op === "USER").map((s) => s.args) ?? [];
    expect(users.at(-1)).toBeDefined();
    expect(["root", "0"]).not.toContain(users.at(-1));
    expect(runtime?.steps.find((s) => s.op === "ENTRYPOINT")?.args).toBe('["target-s3"]');
    expect(runtime?.steps.some((s) => s.op === "COPY" && s.args.startsWith("--from=build"))).toBe(true);
  });

  it("is labelled and set up as Airbyte expects: io.airbyte.name/version, OCI labels, AIRBYTE_ENTRYPOINT, a base pinned to a patch release", () => {
    const { globalArgs } = parseDockerfile(dockerfile);
    expect(globalArgs["NODE_VERSION"]).toMatch(/^(22|24)\.\d+\.\d+$/);
    const runtime = stages.at(-1)!;
    const labels = parseEnv(
      runtime.steps
        .filter((s) => s.op === "LABEL")
        .map((s) => s.args)
        .join(" ")
        .replace(/\b([\w.-]+)=/g, (_, k: string) => `${k.replace(/[.-]/g, "_")}=`),
    );
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string; license: string };
    expect(labels["io_airbyte_name"]).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(labels["io_airbyte_version"]).toBe(pkg.version);
    expect(labels["org_opencontainers_image_version"]).toBe(pkg.version);
    expect(labels["org_opencontainers_image_licenses"]).toBe(pkg.license);
    for (const k of ["title", "description", "source"]) expect(labels[`org_opencontainers_image_${k}`], k).toBeTruthy();
    const env = parseEnv(
      runtime.steps
        .filter((s) => s.op === "ENV")
        .map((s) => s.args)
        .join(" "),
    );
    expect(env["AIRBYTE_ENTRYPOINT"]).toBe("target-s3");
  });

  it("keeps secrets and local build output out of the build context", () => {
    for (const path of [".env", "node_modules", "dist", ".git", "test", "config.json"]) {
      expect(ignoredByDockerignore(path, dockerignore), path).toBe(true);
    }
  });
});

describe("Dockerfile (replayed: npm ci --omit=dev from the registry, then the entrypoint)", () => {
  let s3: S3TestServer;
  let image: Replayed;
  const tmp = makeTempDir("target-s3-docker-steps-");

  beforeAll(async () => {
    s3 = await startS3Server();
    image = replay(dockerfile, dockerignore, tmp);
  }, 600_000);
  afterAll(async () => {
    await s3?.close();
  });

  /**
   * Runs the image's ENTRYPOINT with `args`, as `docker run -i image args < input` would. Asynchronous: the local
   * S3 server lives in this process and must keep answering while the child runs.
   */
  async function dockerRun(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const [command, ...entryArgs] = image.entrypoint;
    const binDirs = ["usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin"].map((d) => join(image.runtimeRoot, d));
    const executable = command?.includes("/") ? join(image.runtimeRoot, command) : binDirs.map((d) => join(d, command ?? "")).find((p) => existsSync(p));
    expect(executable, `ENTRYPOINT ${command} not found in the image's PATH`).toBeDefined();
    const env: NodeJS.ProcessEnv = {
      // What the node image provides: node on PATH, HOME, a writable /tmp.
      PATH: [...binDirs, dirname(process.execPath)].join(delimiter),
      HOME: makeTempDir("target-s3-docker-home-"),
      TZ: "UTC",
      AWS_EC2_METADATA_DISABLED: "true",
      ...image.env,
    };
    const child = spawn(executable ?? "", [...entryArgs, ...args], { cwd: join(image.runtimeRoot, image.workdir), env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    }).finally(() => clearTimeout(timer));
    return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
  }

  it("has the compiled CLI, its production dependencies only, the schema and spec; the entrypoint is executable", () => {
    const app = join(image.runtimeRoot, image.workdir);
    expect(relative(image.runtimeRoot, app)).toBe("app");
    for (const path of [
      "dist/src/cli.js",
      "schemas/config.schema.json",
      "spec.json",
      "package.json",
      "node_modules/@duckdb/node-api",
      "node_modules/@aws-sdk/lib-storage",
    ]) {
      expect(existsSync(join(app, path)), path).toBe(true);
    }
    for (const devOnly of ["typescript", "vitest", "s3rver", "hyparquet"]) expect(existsSync(join(app, "node_modules", devOnly)), devOnly).toBe(false);
    expect(existsSync(join(app, "src")), "TypeScript sources stay in the build stage").toBe(false);
    expect(statSync(join(app, "dist/src/cli.js")).mode & 0o111).not.toBe(0);
  });

  it("answers --about --format json and --version", async () => {
    const about = await dockerRun(["--about", "--format", "json"]);
    expect(about.code, about.stderr).toBe(0);
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
    expect(JSON.parse(about.stdout)).toMatchObject({ name: "target-s3", version, capabilities: expect.arrayContaining(["about"]) as unknown });
    const v = await dockerRun(["--version"]);
    expect(v.stdout.trim()).toBe(`target-s3 v${version}`);
  });

  it("runs `docker run -i image --config /cfg.json < input`: the parquet object reads back, STATE on stdout", async () => {
    const bucket = await s3.createBucket();
    // The config mounted at /cfg.json.
    const cfg = join(image.runtimeRoot, "cfg.json");
    writeFileSync(cfg, JSON.stringify(s3Config(s3, bucket, { file_type: "parquet", object_key_path: "docker" })));
    const lines = [
      {
        type: "SCHEMA",
        stream: "items",
        schema: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } },
        key_properties: ["id"],
      },
      { type: "RECORD", stream: "items", record: { id: 1, name: "one" } },
      { type: "RECORD", stream: "items", record: { id: 2, name: "zwei" } },
      { type: "STATE", value: { bookmarks: { items: 2 } } },
    ];
    const result = await dockerRun(["--config", cfg], lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    expect(result.code, result.stderr).toBe(0);
    expect(
      result.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ bookmarks: { items: 2 } }]);
    const objects = await s3.listObjects(bucket);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.key).toMatch(/^docker\/items\/.*\.parquet$/);
    const rows = await readObjectRows(s3, bucket, objects[0]?.key ?? "");
    expect(rows.map((r) => ({ id: Number(r["id"]), name: r["name"] }))).toEqual([
      { id: 1, name: "one" },
      { id: 2, name: "zwei" },
    ]);
  });
});
