import { ENV_PREFIX } from "./config/config-sources.js";
import { configSchema, packageJson, settingTypes, type ConfigSchema, type SettingSchema } from "./config/schema.js";

/**
 * Singer SDK capability names this target implements (`batch`: it reads the SDK's BATCH messages). Meltano's
 * project schema accepts all but `validate-records` for loaders (docs/meltano.md lists the others).
 */
export const CAPABILITIES = ["about", "stream-maps", "batch", "validate-records", "schema-flattening"] as const;

export interface AboutInfo {
  name: "target-s3";
  description: string;
  version: string;
  sdk_version: null;
  supported_python_versions: null;
  capabilities: string[];
  settings: ConfigSchema;
}

/** `--about --format json`: the Meltano Singer SDK's shape, settings as the JSON Schema. */
export function aboutJson(version: string): AboutInfo {
  return {
    name: "target-s3",
    description: packageJson().description,
    version,
    sdk_version: null,
    supported_python_versions: null,
    capabilities: [...CAPABILITIES],
    settings: structuredClone(configSchema()),
  };
}

/** `--about --format markdown`: like the Singer SDK's, with the settings table. */
export function aboutMarkdown(version: string): string {
  const about = aboutJson(version);
  return [
    `# \`${about.name}\``,
    "",
    about.description,
    "",
    `Version: ${version}`,
    "",
    "## Capabilities",
    "",
    ...about.capabilities.map((capability) => `* \`${capability}\``),
    "",
    "## Settings",
    "",
    renderSettingsMarkdown(about.settings),
    "",
    `A full list of supported settings and capabilities is available by running: \`${about.name} --about\``,
    "",
  ].join("\n");
}

/** `--about` without `--format`: the Singer SDK's plain-text listing. */
export function aboutText(version: string): string {
  const about = aboutJson(version);
  const lines = [
    `Name: ${about.name}`,
    `Description: ${about.description}`,
    `Version: ${version}`,
    "SDK Version: None",
    "Capabilities:",
    ...about.capabilities.map((capability) => `  - ${capability}`),
    "Settings:",
  ];
  for (const [name, setting] of Object.entries(about.settings.properties)) {
    lines.push(`  - Name: ${name}`);
    lines.push(`    Type: ${settingTypes(setting).join(" | ")}`);
    lines.push(`    Environment Variable: ${ENV_PREFIX}${name.toUpperCase()}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The settings table (Setting | Required | Default | Description) rendered from the schema; the
 * README's settings section is exactly this text. Secrets never show a value.
 */
export function renderSettingsMarkdown(schema: ConfigSchema): string {
  const required = new Set(schema.required);
  const rows = Object.entries(schema.properties).map(([name, setting]) =>
    [`\`${name}\``, required.has(name) ? "yes" : "no", defaultCell(setting), descriptionCell(setting)].join(" | "),
  );
  return [
    `Every setting can also come from the environment as \`${ENV_PREFIX}<SETTING>\` (upper case) with \`--config ENV\`; later \`--config\` sources override earlier ones.`,
    "",
    "| Setting | Required | Default | Description |",
    "|:--------|:--------:|:--------|:------------|",
    ...rows.map((row) => `| ${row} |`),
  ].join("\n");
}

function defaultCell(setting: SettingSchema): string {
  if (setting.secret === true || !("default" in setting)) return "";
  return code(JSON.stringify(setting.default));
}

function descriptionCell(setting: SettingSchema): string {
  let text = prose(setting.description ?? "");
  if (setting.enum !== undefined) {
    text += ` One of: ${setting.enum.map((value) => code(value === null ? "null" : String(value))).join(", ")}.`;
  }
  if (setting.secret === true) text += " Secret: never logged or shown.";
  return text;
}

function code(text: string): string {
  return `\`${cell(text)}\``;
}

/** Plain text that renders as written in Markdown: no emphasis from * or a word-initial _, no HTML tags. */
function prose(text: string): string {
  return cell(text)
    .replace(/\*/g, "\\*")
    .replace(/(^|[^A-Za-z0-9_\\])_/g, "$1\\_")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** Text safe inside a GitHub-flavoured Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}
