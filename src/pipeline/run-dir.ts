import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const PREFIX = "target-s3-run-";

/**
 * The run's private folder under temp_dir: spools, converted files and DuckDB's spill. Removed at the end of a
 * run; folders left by a crashed run (its pid no longer alive) are removed at the next start.
 */
export async function createRunDir(tempDir: string): Promise<{ path: string; removed: string[] }> {
  await mkdir(tempDir, { recursive: true });
  const removed = await removeStale(tempDir);
  const path = join(tempDir, `${PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(join(path, "duckdb"), { recursive: true });
  return { path, removed };
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
