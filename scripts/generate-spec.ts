/**
 * Writes the files generated from `schemas/config.schema.json`: `spec.json` (the Airbyte
 * ConnectorSpecification) and the settings table between the README's settings markers.
 * Run with `npm run gen:spec`; `test/unit/spec-and-docs.test.ts` fails when either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderSettingsMarkdown } from "../src/about.js";
import { configSchema, packageRoot, type ConfigSchema } from "../src/config/schema.js";

export { renderSettingsMarkdown };

export const README_START = "<!-- settings:start -->";
export const README_END = "<!-- settings:end -->";

export interface ConnectorSpecification {
  documentationUrl: string;
  connectionSpecification: Record<string, unknown>;
  supportsIncremental: boolean;
  supportsNormalization: boolean;
  supportsDBT: boolean;
  supported_destination_sync_modes: string[];
}

/**
 * The Airbyte spec for a settings schema: `secret` becomes `airbyte_secret`, properties keep schema order (`order`).
 * The UI annotations come from the schema itself: each setting's `title` and `group`, and the schema's `groups`
 * (the form's cards, in order); a `group` that `groups` does not list is an error here.
 */
export function buildSpec(schema: ConfigSchema): ConnectorSpecification {
  const groups = new Set(Array.isArray(schema["groups"]) ? (schema["groups"] as Array<{ id?: unknown }>).map((g) => g.id) : []);
  for (const [name, setting] of Object.entries(schema.properties)) {
    if (setting["group"] !== undefined && !groups.has(setting["group"])) {
      throw new Error(`schemas/config.schema.json: setting ${name} has group ${JSON.stringify(setting["group"])}, which "groups" does not list`);
    }
  }
  const properties: Record<string, unknown> = {};
  Object.entries(schema.properties).forEach(([name, setting], order) => {
    const { secret, ...rest } = setting;
    properties[name] = { ...structuredClone(rest), ...(secret === true ? { airbyte_secret: true } : {}), order };
  });
  const { $schema: _schema, title: _title, properties: _properties, ...rest } = structuredClone(schema);
  return {
    documentationUrl: "https://github.com/target-s3/target-s3#readme",
    connectionSpecification: {
      $schema: "http://json-schema.org/draft-07/schema#",
      title: "target-s3 destination",
      ...rest,
      properties,
    },
    supportsIncremental: true,
    supportsNormalization: false,
    supportsDBT: false,
    supported_destination_sync_modes: ["append", "overwrite"],
  };
}

/** `spec.json` as written to disk. */
export function specFileText(schema: ConfigSchema): string {
  return `${JSON.stringify(buildSpec(schema), null, 2)}\n`;
}

/** The text between the README markers, or undefined when a marker is missing. */
export function readmeSettingsSection(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + README_START.length, end);
}

/** `readme` with the text between the markers replaced by the rendered settings table. */
export function replaceReadmeSettings(readme: string, schema: ConfigSchema): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) {
    throw new Error(`README.md needs the markers ${README_START} and ${README_END} (in that order) around the settings section`);
  }
  return `${readme.slice(0, start + README_START.length)}\n${renderSettingsMarkdown(schema)}\n${readme.slice(end)}`;
}

function main(): void {
  const root = packageRoot();
  const schema = configSchema();
  writeFileSync(join(root, "spec.json"), specFileText(schema));
  const readmePath = join(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const updated = replaceReadmeSettings(readme, schema);
  if (updated !== readme) writeFileSync(readmePath, updated);
  process.stderr.write(`wrote ${join(root, "spec.json")} and the settings section of ${readmePath}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
