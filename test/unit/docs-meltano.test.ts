// docs/meltano.md's meltano.yml example works as shown: it follows the rules of Meltano's project schema
// (meltano/meltano src/meltano/schemas/meltano.schema.json: loader keys, loader capability names, setting keys and
// non-deprecated kinds), every setting and config key is a real target-s3 setting, every secret is sensitive, kinds
// match the settings' types, and the plugin names the package's executable.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CAPABILITIES } from "../../src/about.js";
import { secretNames } from "../../src/config/secret-names.js";
import { configSchema, packageJson, packageRoot, settingTypes } from "../../src/config/schema.js";

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

/**
 * A small YAML reader for the block style the README uses: nested mappings, block sequences (of mappings or
 * scalars), flow sequences of scalars, plain and quoted scalars, comments. Anything else throws, so the example
 * stays in that style or this reader grows with it.
 */
function parseYaml(text: string): Yaml {
  const lines = text
    .split("\n")
    .map((raw, i) => ({ raw: raw.replace(/\s+#.*$/, "").replace(/^\s*#.*$/, ""), n: i + 1 }))
    .filter((l) => l.raw.trim() !== "")
    .map((l) => ({ indent: l.raw.length - l.raw.trimStart().length, text: l.raw.trim(), n: l.n }));
  let pos = 0;

  function scalar(s: string): Yaml {
    if (/^".*"$/.test(s)) return JSON.parse(s) as string;
    if (/^'.*'$/.test(s)) return s.slice(1, -1).replace(/''/g, "'");
    if (s.startsWith("[") && s.endsWith("]")) {
      const inner = s.slice(1, -1).trim();
      return inner === "" ? [] : inner.split(",").map((x) => scalar(x.trim()));
    }
    if (s === "true" || s === "false") return s === "true";
    if (s === "null" || s === "~") return null;
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    if (/^[&*!|>{%@`]/.test(s)) throw new Error(`unsupported YAML scalar '${s}'`);
    return s;
  }

  function block(indent: number): Yaml {
    const first = lines[pos];
    if (!first || first.indent < indent) return null;
    return first.text.startsWith("- ") || first.text === "-" ? sequence(first.indent) : mapping(first.indent);
  }

  function sequence(indent: number): Yaml[] {
    const out: Yaml[] = [];
    while (pos < lines.length && lines[pos]?.indent === indent && lines[pos]?.text.startsWith("-")) {
      const line = lines[pos];
      if (!line) break;
      const rest = line.text.slice(1).trim();
      if (rest === "") {
        pos++;
        out.push(block(indent + 1));
      } else if (/^[\w.-]+:(\s|$)/.test(rest)) {
        // "- key: value" starts a mapping whose keys sit at indent + 2.
        lines[pos] = { indent: indent + 2, text: rest, n: line.n };
        out.push(mapping(indent + 2));
      } else {
        pos++;
        out.push(scalar(rest));
      }
    }
    return out;
  }

  function mapping(indent: number): { [key: string]: Yaml } {
    const out: { [key: string]: Yaml } = {};
    while (pos < lines.length && lines[pos]?.indent === indent && !lines[pos]?.text.startsWith("- ")) {
      const line = lines[pos];
      if (!line) break;
      const m = /^([\w.-]+):(?:\s+(.*))?$/.exec(line.text);
      if (!m) throw new Error(`line ${line.n}: cannot read '${line.text}'`);
      pos++;
      const key = m[1] ?? "";
      if (key in out) throw new Error(`line ${line.n}: duplicate key '${key}'`);
      const value = m[2];
      if (value !== undefined && value !== "") out[key] = scalar(value);
      else {
        const next = lines[pos];
        // A sequence may sit at the same indent as its key.
        out[key] = next && (next.indent > indent || (next.indent === indent && next.text.startsWith("- "))) ? block(next.indent) : null;
      }
    }
    return out;
  }

  const doc = block(0);
  if (pos < lines.length) throw new Error(`line ${lines[pos]?.n}: unexpected indentation`);
  return doc;
}

function meltanoBlock(): string {
  const doc = readFileSync(join(packageRoot(), "docs", "meltano.md"), "utf8");
  const section = doc.split(/^## /m).find((s) => s.startsWith("meltano.yml"));
  expect(section, "docs/meltano.md has a '## meltano.yml' section").toBeDefined();
  const m = /```yaml\n([\s\S]*?)```/.exec(section ?? "");
  expect(m, "the meltano.yml section has a ```yaml block").not.toBeNull();
  return m?.[1] ?? "";
}

/** From Meltano's project schema ($defs.plugins.loaders and $defs.base_setting). */
const MELTANO = {
  loaderCapabilities: [
    "about",
    "stream-maps",
    "activate-version",
    "batch",
    "soft-delete",
    "hard-delete",
    "datatype-failsafe",
    "schema-flattening",
    "structured-logging",
  ],
  loaderKeys: [
    "annotations",
    "name",
    "description",
    "plugin_type",
    "repo",
    "ext_repo",
    "inherit_from",
    "pip_url",
    "variant",
    "namespace",
    "config",
    "label",
    "logo_url",
    "python",
    "executable",
    "settings",
    "docs",
    "settings_group_validation",
    "commands",
    "requires",
    "requires_meltano",
    "env",
    "capabilities",
    "dialect",
  ],
  settingKeys: [
    "annotations",
    "name",
    "aliases",
    "label",
    "value",
    "placeholder",
    "kind",
    "description",
    "tooltip",
    "documentation",
    "hidden",
    "sensitive",
    "env",
    "value_processor",
    "value_post_processor",
    "oauth",
    "options",
  ],
  /** `hidden` and `password` are listed as deprecated. */
  kinds: ["oauth", "date_iso8601", "file", "email", "integer", "decimal", "options", "object", "array", "boolean", "string"],
};

interface MeltanoSetting {
  name: string;
  kind?: string;
  sensitive?: boolean;
  options?: Array<{ label: string; value: string }>;
}
interface MeltanoLoader {
  name: string;
  namespace: string;
  executable: string;
  pip_url?: string;
  capabilities: string[];
  settings: MeltanoSetting[];
  config: Record<string, Yaml>;
}

describe("docs/meltano.md meltano.yml example", () => {
  const doc = parseYaml(meltanoBlock()) as unknown as { plugins: { loaders: MeltanoLoader[] } };
  const loaders = doc.plugins.loaders;
  const loader = loaders[0] as MeltanoLoader;
  const properties = configSchema().properties;

  it("follows Meltano's project schema: loader keys, loader capability names, setting keys and kinds", () => {
    expect(Object.keys(doc)).toEqual(["plugins"]);
    for (const key of Object.keys(loader)) expect(MELTANO.loaderKeys, `loader key '${key}'`).toContain(key);
    for (const capability of loader.capabilities) expect(MELTANO.loaderCapabilities, `capability '${capability}'`).toContain(capability);
    for (const setting of loader.settings) {
      for (const key of Object.keys(setting)) expect(MELTANO.settingKeys, `setting ${setting.name} key '${key}'`).toContain(key);
      if (setting.kind !== undefined) expect(MELTANO.kinds, `setting ${setting.name} kind '${setting.kind}'`).toContain(setting.kind);
      if (setting.sensitive !== undefined) expect(typeof setting.sensitive).toBe("boolean");
      for (const option of setting.options ?? []) expect(Object.keys(option).sort()).toEqual(["label", "value"]);
    }
  });

  it("declares the target-s3 loader with namespace target_s3, the package's executable and capabilities --about lists", () => {
    expect(loaders).toHaveLength(1);
    expect(loader.name).toBe("target-s3");
    expect(loader.namespace).toBe("target_s3");
    const bin = (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { bin: Record<string, string> }).bin;
    expect(Object.keys(bin)).toContain(loader.executable);
    expect(packageJson().name).toBe(loader.executable);
    expect(loader.pip_url).toBeUndefined(); // an npm package: Meltano runs the executable, it installs nothing
    for (const capability of loader.capabilities) expect(CAPABILITIES as readonly string[]).toContain(capability);
    expect(loader.capabilities).toEqual(expect.arrayContaining(["stream-maps", "batch"]));
  });

  it("names real settings only, each once, and marks every secret sensitive", () => {
    const names = loader.settings.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(Object.keys(properties), `setting '${name}'`).toContain(name);
    for (const secret of secretNames()) {
      const setting = loader.settings.find((s) => s.name === secret);
      expect(setting, `secret '${secret}' is declared`).toBeDefined();
      expect(setting?.sensitive, `secret '${secret}'`).toBe(true);
    }
    for (const setting of loader.settings) if (setting.sensitive === true) expect(secretNames(), setting.name).toContain(setting.name);
    expect(names).toContain("bucket");
    expect(names).toEqual(expect.arrayContaining(["stream_maps", "stream_map_config"]));
  });

  it("gives kinds that match the settings' types, and options that are the schema's enum", () => {
    for (const setting of loader.settings) {
      const schema = properties[setting.name];
      if (!schema) continue;
      const types = settingTypes(schema).filter((t) => t !== "null");
      switch (setting.kind) {
        case undefined:
        case "string":
          expect(types, setting.name).toContain("string");
          break;
        case "boolean":
        case "object":
        case "array":
        case "integer":
          expect(types, setting.name).toEqual([setting.kind]);
          break;
        case "decimal":
          expect(types, setting.name).toEqual(["number"]);
          break;
        case "options":
          expect(setting.options?.map((o) => o.value).sort(), setting.name).toEqual([...(schema.enum ?? [])].filter((v) => v !== null).sort());
          break;
        default:
          throw new Error(`setting '${setting.name}': kind '${setting.kind}' is not checked here`);
      }
    }
  });

  it("has config values that are declared settings and valid for the schema", () => {
    const declared = new Set(loader.settings.map((s) => s.name));
    for (const [name, value] of Object.entries(loader.config)) {
      expect(declared.has(name), `config '${name}' is declared in settings`).toBe(true);
      expect(secretNames(), `no secret in meltano.yml config: ${name}`).not.toContain(name);
      const schema = properties[name];
      if (schema?.enum) expect(schema.enum, name).toContain(value);
      const types = schema ? settingTypes(schema) : [];
      expect(types, name).toContain(
        typeof value === "number" ? (Number.isInteger(value) ? (types.includes("integer") ? "integer" : "number") : "number") : typeof value,
      );
    }
  });

  it("reads the YAML subset it claims to (self-check of the reader)", () => {
    expect(parseYaml('a:\n  - name: x\n    kind: y\n  - name: z\nb: [p, q]\nc: "%Y"\nd:\n- 1\n- true\n')).toEqual({
      a: [{ name: "x", kind: "y" }, { name: "z" }],
      b: ["p", "q"],
      c: "%Y",
      d: [1, true],
    });
    expect(() => parseYaml("a: &anchor x\n")).toThrow(/unsupported/);
  });
});
