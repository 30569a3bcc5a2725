// The README and the docs/ pages link only to files and headings that exist, and the README stays short (the
// detail lives in docs/).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/config/schema.js";

const root = packageRoot();

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** GitHub's heading anchors: lower case, punctuation removed, spaces to hyphens. */
function anchors(text: string): Set<string> {
  const out = new Set<string>();
  let inCode = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) inCode = !inCode;
    const m = inCode ? null : /^#{1,6} (.*)$/.exec(line);
    if (m)
      out.add(
        (m[1] ?? "")
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, "")
          .replace(/ /g, "-"),
      );
  }
  return out;
}

const pages = [join(root, "README.md"), ...markdownFiles(join(root, "docs"))];

describe("documentation links", () => {
  for (const page of pages) {
    it(`${relative(root, page)} links only to what exists`, () => {
      const text = readFileSync(page, "utf8");
      const broken: string[] = [];
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/.test(target)) continue;
        const [file, anchor] = target.split("#") as [string, string | undefined];
        const path = file === "" ? page : join(dirname(page), file);
        if (!existsSync(path)) broken.push(target);
        else if (anchor && statSync(path).isFile() && !anchors(readFileSync(path, "utf8")).has(anchor)) broken.push(target);
      }
      expect(broken).toEqual([]);
    });
  }

  it("keeps the README within 12 KB", () => {
    expect(readFileSync(join(root, "README.md")).length).toBeLessThanOrEqual(12 * 1024);
  });

  it("has the topic pages the README links", () => {
    expect(pages.length).toBeGreaterThanOrEqual(6);
  });
});
