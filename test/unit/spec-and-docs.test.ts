import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aboutJson, aboutMarkdown, aboutText, CAPABILITIES } from "../../src/about.js";
import { secretNames } from "../../src/config/secret-names.js";
import { configSchema, packageRoot } from "../../src/config/schema.js";
import { buildSpec, SETTINGS_DOC, settingsTableOf, renderSettingsMarkdown, replaceSettingsTable, specFileText } from "../../scripts/generate-spec.js";

const STALE = "is stale: run `npm run gen:spec` and commit the result";
const root = packageRoot();

describe("spec.json", () => {
  it("equals buildSpec(schema)", () => {
    const text = readFileSync(join(root, "spec.json"), "utf8");
    expect(JSON.parse(text), `spec.json ${STALE}`).toEqual(buildSpec(configSchema()));
    expect(text, `spec.json ${STALE}`).toBe(specFileText(configSchema()));
  });

  it("is an Airbyte ConnectorSpecification with secrets marked airbyte_secret", () => {
    const spec = buildSpec(configSchema());
    expect(spec).toMatchObject({
      documentationUrl: "https://github.com/target-s3/target-s3#readme",
      supportsIncremental: true,
      supportsNormalization: false,
      supportsDBT: false,
      supported_destination_sync_modes: ["append", "overwrite"],
    });
    const connection = spec.connectionSpecification as {
      $schema: string;
      title: string;
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    };
    expect(connection.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(connection.title).toBe("target-s3 destination");
    expect(connection.required).toEqual(["bucket"]);
    expect(Object.keys(connection.properties)).toEqual(Object.keys(configSchema().properties));
    expect(JSON.stringify(spec)).not.toContain('"secret"');
    for (const [name, property] of Object.entries(connection.properties)) {
      expect(property.airbyte_secret === true, name).toBe(secretNames().includes(name));
    }
  });

  it("does not change the schema it is built from", () => {
    const before = JSON.stringify(configSchema());
    buildSpec(configSchema());
    expect(JSON.stringify(configSchema())).toBe(before);
  });
});

describe("docs/settings.md settings table", () => {
  it("equals renderSettingsMarkdown(schema)", () => {
    const page = readFileSync(join(root, SETTINGS_DOC), "utf8");
    const section = settingsTableOf(page);
    expect(section, `${SETTINGS_DOC} lacks the <!-- settings:start --> / <!-- settings:end --> markers`).toBeDefined();
    expect(section?.trim(), `${SETTINGS_DOC}'s settings table ${STALE}`).toBe(renderSettingsMarkdown(configSchema()).trim());
  });

  it("is replaced only between the markers", () => {
    const readme = "# T\n\nintro\n<!-- settings:start -->\nold table\n<!-- settings:end -->\n\n## After\ntext\n";
    const updated = replaceSettingsTable(readme, configSchema());
    expect(updated.startsWith("# T\n\nintro\n<!-- settings:start -->\n")).toBe(true);
    expect(updated.endsWith("\n<!-- settings:end -->\n\n## After\ntext\n")).toBe(true);
    expect(updated).not.toContain("old table");
    expect(replaceSettingsTable(updated, configSchema())).toBe(updated);
    expect(() => replaceSettingsTable("no markers", configSchema())).toThrow(/markers/);
  });

  it("has one row per setting with its default", () => {
    const table = renderSettingsMarkdown(configSchema());
    for (const [name, setting] of Object.entries(configSchema().properties)) {
      const row = table.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      if ("default" in setting) expect(row).toContain(`\`${JSON.stringify(setting.default)}\``);
    }
    expect(table).toContain("| `bucket` | yes |");
    expect(table).toContain("One of: `csv`, `parquet`, `jsonl`, `json`, `avro`, `xml`.");
  });
});

describe("--about", () => {
  it("has the Singer SDK's JSON shape", () => {
    const about = aboutJson("1.2.3");
    expect(Object.keys(about)).toEqual(["name", "description", "version", "sdk_version", "supported_python_versions", "capabilities", "settings"]);
    expect(about).toMatchObject({ name: "target-s3", version: "1.2.3", sdk_version: null, supported_python_versions: null });
    expect(about.description.length).toBeGreaterThan(20);
    expect(about.capabilities).toEqual(["about", "stream-maps", "batch", "validate-records", "schema-flattening"]);
    expect(about.capabilities).toEqual([...CAPABILITIES]);
    expect(about.settings).toEqual(configSchema());
    expect(JSON.parse(JSON.stringify(about))).toEqual(about);
  });

  it("markdown lists capabilities and the settings table, and never a secret value", () => {
    const secrets = ["AKIA-about-test", "about-secret-value", "about-session-token", "about-external-id"];
    process.env.TARGET_S3_AWS_ACCESS_KEY_ID = secrets[0];
    process.env.TARGET_S3_AWS_SECRET_ACCESS_KEY = secrets[1];
    try {
      const markdown = aboutMarkdown("1.2.3");
      expect(markdown).toContain("# `target-s3`");
      expect(markdown).toContain("* `schema-flattening`");
      expect(markdown).toContain(renderSettingsMarkdown(configSchema()));
      for (const secret of secrets) expect(markdown).not.toContain(secret);
      for (const name of secretNames()) {
        const row = markdown.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
        expect(row?.split(" | ")[2], `${name} must not show a default`).toBe("");
        expect(row).toContain("Secret");
      }
    } finally {
      delete process.env.TARGET_S3_AWS_ACCESS_KEY_ID;
      delete process.env.TARGET_S3_AWS_SECRET_ACCESS_KEY;
    }
  });

  it("text lists every setting with its environment variable", () => {
    const text = aboutText("1.2.3");
    expect(text).toMatch(/^Name: target-s3\nDescription: .+\nVersion: 1\.2\.3\n/);
    expect(text).toContain("Capabilities:\n  - about\n  - stream-maps\n  - batch\n  - validate-records\n  - schema-flattening\nSettings:\n");
    for (const name of Object.keys(configSchema().properties)) {
      expect(text).toContain(`  - Name: ${name}\n`);
      expect(text).toContain(`    Environment Variable: TARGET_S3_${name.toUpperCase()}\n`);
    }
  });
});
