// The source tree's import graph: no cycles (type-only imports included, so no two modules lean on each other), and
// src/s3/ (every S3 call, pure key code) never imports from src/pipeline/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/config/schema.js";

const src = join(packageRoot(), "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of a module, as .ts paths (`./a.js` → `<dir>/a.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms)) {
    out.push(resolve(dirname(file), (m[1] ?? "").replace(/\.js$/, ".ts")));
  }
  return out;
}

const graph = new Map(sourceFiles(src).map((f) => [f, importsOf(f)]));
const name = (f: string): string => relative(src, f);

/** Every cycle found by a depth-first walk, each as the chain of modules that closes it. */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, "open");
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next].map(name));
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe("src import graph", () => {
  it("resolves every relative import to a source file", () => {
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${name(f)} → ${name(d)}`));
    expect(missing).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(cycles().map((c) => c.join(" → "))).toEqual([]);
  });

  it("keeps src/s3 free of src/pipeline imports", () => {
    const bad = [...graph]
      .filter(([f]) => name(f).startsWith("s3/"))
      .flatMap(([f, deps]) => deps.filter((d) => name(d).startsWith("pipeline/")).map((d) => `${name(f)} → ${name(d)}`));
    expect(bad).toEqual([]);
  });
});
