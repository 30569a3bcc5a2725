// docs/object-keys.md stays true: every macro in MACROS has a row in its macro table (and no row
// names a macro that does not exist), every example in that table is what the code renders for the documented
// example run, the safe-key table is what safeSegment does, and the default template and the UUIDv5 namespace are
// the ones in force.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema, packageRoot } from "../../src/config/schema.js";
import { parseCursor } from "../../src/s3/cursor-partition.js";
import { KeyTemplate, MACROS, STREAM_ID_NAMESPACE, type KeyContext } from "../../src/s3/key-template.js";
import { safeSegment } from "../../src/s3/safe-key.js";

const page = readFileSync(join(packageRoot(), "docs", "object-keys.md"), "utf8");

/** The page from its "## title" heading to the next one of that level (the whole page for its "# " title). */
function section(title: string): string {
  if (page.startsWith(`# ${title}\n`)) return page;
  const start = page.indexOf(`\n## ${title}\n`);
  expect(start, `docs/object-keys.md has a "## ${title}" section`).toBeGreaterThanOrEqual(0);
  const end = page.indexOf("\n## ", start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

/** The table rows (cells trimmed) of the markdown table lines in text, without the header and separator rows. */
function tableRows(text: string): string[][] {
  const lines = text.split("\n").filter((l) => l.startsWith("|"));
  return lines.slice(2).map((l) =>
    l
      .slice(1, -1)
      .split("|")
      .map((c) => c.trim()),
  );
}

/** The code spans of a cell, in order: "`a` / `b`" → ["a", "b"]. */
const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1] ?? "");

const keys = section("Object keys");
const macroTable = (() => {
  const start = keys.indexOf("<!-- macros:start -->");
  const end = keys.indexOf("<!-- macros:end -->");
  expect(start, "the macro table is marked with <!-- macros:start --> … <!-- macros:end -->").toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return tableRows(keys.slice(start, end));
})();
const documented = new Map(macroTable.map((row) => [codeSpans(row[0] ?? "")[0] ?? "", row]));

describe("docs/object-keys.md", () => {
  it("documents every macro in MACROS with a value and an example", () => {
    const missing = MACROS.filter((m) => !documented.has(`{${m}}`));
    expect(missing, `macros missing from the README's macro table: ${missing.join(", ")}`).toEqual([]);
    for (const m of MACROS) {
      const row = documented.get(`{${m}}`) ?? [];
      expect(row, `{${m}}`).toHaveLength(4);
      expect(row[1], `{${m}} has a value description`).not.toBe("");
      expect(codeSpans(row[2] ?? ""), `{${m}} has an example`).not.toEqual([]);
    }
  });

  it("documents no macro that does not exist", () => {
    const valid = new Set(MACROS.map((m) => `{${m}}`));
    expect([...documented.keys()].filter((m) => !valid.has(m))).toEqual([]);
  });

  it("shows, for every macro, what the code renders for the documented example run (UTC and America/New_York)", () => {
    const base: KeyContext = {
      streamName: "sales_summary_daily",
      namespace: undefined,
      connectionId: "f52c7268-2359-467a-a5e8-83c536cb4de8",
      connectionRunId: "fad1983d-7446-45c4-bb46-4578affe02d5",
      runStart: new Date("2025-04-14T11:23:45Z"),
      timeZone: "UTC",
      extension: "csv.gz",
      part: 1,
      datePartitionFormat: "%Y%m%d",
      cursor: parseCursor("2025-04-14T11:23:45Z"),
    };
    for (const m of MACROS) {
      const row = documented.get(`{${m}}`) ?? [];
      const template = KeyTemplate.parse(`{${m}}`);
      const ctx = m === "namespace" ? { ...base, namespace: "public" } : base;
      const utc = codeSpans(row[2] ?? "")[0];
      expect(template.macroValue(m, ctx), `{${m}} UTC example`).toBe(utc);
      const nyCell = row[3] ?? "";
      const ny = nyCell === "same" ? utc : codeSpans(nyCell)[0];
      expect(template.macroValue(m, { ...ctx, timeZone: "America/New_York" }), `{${m}} America/New_York example`).toBe(ny);
    }
  });

  it("the safe-key table is what safeSegment does, and no two names share a segment", () => {
    const start = keys.indexOf("\n## Safe keys");
    expect(start).toBeGreaterThan(0);
    const rows = tableRows(keys.slice(start));
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const names: string[] = [];
    for (const [nameCell, segmentCell] of rows) {
      // `\uXXXX` in the table stands for that character (a control character cannot be shown).
      const values = codeSpans(nameCell ?? "").map((s) => s.replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
      const segments = codeSpans(segmentCell ?? "");
      expect(values.length, nameCell).toBe(segments.length);
      values.forEach((v, i) => expect(safeSegment(v), JSON.stringify(v)).toBe(segments[i]));
      names.push(...values);
    }
    for (const hostile of ["../../x", "/abs", "a\u0001b", "test:SpecialChars!in?attributes", "a/b", ".."]) expect(names).toContain(hostile);
    expect(new Set(names.map(safeSegment)).size).toBe(new Set(names).size);
  });

  it("shows the default key_template and the UUIDv5 namespace in force", () => {
    const schemaDefault = configSchema().properties["key_template"]?.default;
    expect(typeof schemaDefault).toBe("string");
    expect(keys).toContain(`\n${String(schemaDefault)}\n`);
    expect(keys).toContain(STREAM_ID_NAMESPACE);
    expect(keys).toContain("__null__");
    expect(keys).toContain("1024 UTF-8");
  });

  it("is linked from the README", () => {
    const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");
    expect(readme).toContain("(docs/object-keys.md)");
  });
});
