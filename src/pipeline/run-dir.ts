import { access, constants, mkdir, readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { ConfigError, FileWriteError } from "../errors.js";

const PREFIX = "target-s3-run-";

/**
 * The run's private folder under temp_dir: spools, converted files and DuckDB's spill. Removed at the end of a
 * run; folders left by a crashed run (its pid no longer alive) are removed at the next start.
 */
export async function createRunDir(tempDir: string): Promise<{ path: string; removed: string[] }> {
  try {
    await makeDirs(tempDir);
    const removed = await removeStale(tempDir);
    const path = join(tempDir, `${PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
    await makeDirs(join(path, "duckdb"));
    return { path, removed };
  } catch (error) {
    throw await unusableTempDir(tempDir, error);
  }
}

/**
 * `mkdir -p`. Not `mkdir(path, { recursive: true })`: Node's loops forever when a folder that exists refuses new
 * entries with ENOENT (a temp_dir under /proc hung the run).
 */
async function makeDirs(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && (await stat(path)).isDirectory()) return;
    const parent = dirname(path);
    if (
      code !== "ENOENT" ||
      parent === path ||
      (await stat(parent).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      throw error;
    await makeDirs(parent);
    await mkdir(path);
  }
}

/** Why temp_dir cannot hold the run's folder, as one sentence (recursive mkdir says ENOENT on a read-only disk). */
async function unusableTempDir(tempDir: string, error: unknown): Promise<Error> {
  const code = (error as NodeJS.ErrnoException).code;
  const shown = JSON.stringify(tempDir);
  if (code === "ENOSPC" || code === "EDQUOT") return diskFullError(tempDir, error) ?? (error as Error);
  const isDirectory = await stat(tempDir).then(
    (s) => s.isDirectory(),
    () => undefined,
  );
  if (code === "EEXIST" || code === "ENOTDIR" || isDirectory === false) {
    return new ConfigError(`temp_dir ${shown} is not a folder (a file is in the way): set temp_dir to a writable folder, or remove the file`);
  }
  if (isDirectory === undefined) {
    return new ConfigError(
      `temp_dir ${shown} cannot be created (${code ?? String(error)}): set temp_dir to a writable folder with room for the buffered files`,
    );
  }
  const writable = await access(tempDir, constants.W_OK).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e.code,
  );
  const why = writable === "EROFS" ? "is on a read-only file system" : `is not writable (${writable ?? code ?? String(error)})`;
  return new ConfigError(`temp_dir ${shown} ${why}: set temp_dir to a writable folder with room for the buffered files`);
}

/**
 * A write that failed because the disk under temp_dir is full, as one sentence naming temp_dir; undefined for any
 * other error. DuckDB reports it in its own words.
 */
export function diskFullError(tempDir: string, error: unknown): FileWriteError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code !== "ENOSPC" && code !== "EDQUOT" && !/no space left on device|disk quota exceeded/i.test(message)) return undefined;
  return new FileWriteError(
    `temp_dir ${JSON.stringify(tempDir)} is full (${code ?? "no space left on device"}): free space there, point temp_dir at a larger disk, or lower max_file_bytes and batch_size_rows so less is buffered`,
    { cause: error },
  );
}

export async function removeRunDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

async function removeStale(tempDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tempDir).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(tempDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
