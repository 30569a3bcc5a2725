/**
 * Writes the files generated from `schemas/config.schema.json`: `spec.json` (the Airbyte
 * ConnectorSpecification) and the settings table of docs/settings.md (between its markers).
 * Run with `npm run gen:spec`; `test/unit/spec-and-docs.test.ts` fails when either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderSettingsMarkdown } from "../src/about.js";
import { configSchema, packageRoot, type ConfigSchema } from "../src/config/schema.js";

export { renderSettingsMarkdown };

/** The settings page, whose table between the markers is generated from the schema. */
export const SETTINGS_DOC = "docs/settings.md";
export const SETTINGS_START = "<!-- settings:start -->";
export const SETTINGS_END = "<!-- settings:end -->";

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

/** The text between the settings markers, or undefined when a marker is missing. */
export function settingsTableOf(page: string): string | undefined {
  const start = page.indexOf(SETTINGS_START);
  const end = page.indexOf(SETTINGS_END);
  if (start < 0 || end < start) return undefined;
  return page.slice(start + SETTINGS_START.length, end);
}

/** `page` with the text between the markers replaced by the rendered settings table. */
export function replaceSettingsTable(page: string, schema: ConfigSchema): string {
  const start = page.indexOf(SETTINGS_START);
  const end = page.indexOf(SETTINGS_END);
  if (start < 0 || end < start) {
    throw new Error(`${SETTINGS_DOC} needs the markers ${SETTINGS_START} and ${SETTINGS_END} (in that order) around the settings section`);
  }
  return `${page.slice(0, start + SETTINGS_START.length)}\n${renderSettingsMarkdown(schema)}\n${page.slice(end)}`;
}

function main(): void {
  const root = packageRoot();
  const schema = configSchema();
  writeFileSync(join(root, "spec.json"), specFileText(schema));
  const settingsPath = join(root, SETTINGS_DOC);
  const page = readFileSync(settingsPath, "utf8");
  const updated = replaceSettingsTable(page, schema);
  if (updated !== page) writeFileSync(settingsPath, updated);
  process.stderr.write(`wrote ${join(root, "spec.json")} and the settings table of ${settingsPath}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
