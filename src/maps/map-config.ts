/**
 * The `stream_maps` setting read into rules, every problem found before any input is read (the Singer SDK's
 * StreamMapConfigError / MapExpressionError cases, plus what target-s3 refuses: see builtins.ts REFUSED).
 */
import { ConfigError } from "../errors.js";
import { REFUSED } from "./builtins.js";
import { ExpressionSyntaxError, namesIn, parseExpression, type Node } from "./expression-parser.js";

export const ELSE = "__else__";
export const FILTER = "__filter__";
export const SOURCE = "__source__";
export const ALIAS = "__alias__";
export const KEY_PROPERTIES = "__key_properties__";
/** The SDK's spelling of null where a config format has none. */
export const NULL_STRING = "__NULL__";

export interface Expression {
  text: string;
  node: Node;
}

export interface PropertyRule {
  name: string;
  /** undefined: remove the property. */
  expression: Expression | undefined;
}

export interface StreamRule {
  /** Custom map (property rules), or null: the stream is removed. */
  map: CustomMap | null;
}

export interface CustomMap {
  filter: Expression | undefined;
  /** undefined: the source stream's key properties; [] when set to null. */
  keyProperties: string[] | undefined;
  /** `__else__: null`: only key properties and the properties named here are kept. */
  dropUnmentioned: boolean;
  properties: PropertyRule[];
}

/** One entry of stream_maps: which streams it applies to (a name or a glob), under which name it writes. */
export interface MapEntry {
  key: string;
  source: string;
  alias: string;
  /** False for `__source__` entries: they add a stream instead of replacing the source's own. */
  primary: boolean;
  rule: StreamRule;
}

export interface MapsConfig {
  /** Top-level `__else__: null`: streams that no entry names are removed. */
  dropUnmapped: boolean;
  entries: MapEntry[];
}

const isNull = (v: unknown): boolean => v === null || v === NULL_STRING;

/** Reads and checks `stream_maps`; throws one ConfigError listing every problem. */
export function readMapsConfig(streamMaps: Record<string, unknown>): MapsConfig {
  const problems: string[] = [];
  let dropUnmapped = false;
  const entries: MapEntry[] = [];
  for (const [key, value] of Object.entries(streamMaps)) {
    if (key === ELSE) {
      if (isNull(value)) dropUnmapped = true;
      else problems.push(`stream_maps.${ELSE}: only null is supported (remove every stream not named in stream_maps)`);
      continue;
    }
    if (key.startsWith("__")) {
      problems.push(
        `stream_maps.${key}: '${key}' is not a stream map option (the options are ${ELSE} at the top, and ${ALIAS}, ${SOURCE}, ${FILTER}, ${KEY_PROPERTIES}, ${ELSE} inside a stream's map)`,
      );
      continue;
    }
    const entry = readEntry(key, value, problems);
    if (entry) entries.push(entry);
  }
  if (problems.length > 0) throw new ConfigError("Invalid stream_maps", problems);
  return { dropUnmapped, entries };
}

function readEntry(key: string, value: unknown, problems: string[]): MapEntry | undefined {
  const where = `stream_maps.${key}`;
  if (isNull(value)) return { key, source: key, alias: key, primary: true, rule: { map: null } };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${where}: a stream's map must be an object of property rules, or null to remove the stream (got ${JSON.stringify(value)})`);
    return undefined;
  }
  const def = { ...(value as Record<string, unknown>) };
  let source = key;
  let alias = key;
  let primary = true;
  if (SOURCE in def) {
    const s = def[SOURCE];
    if (typeof s !== "string" || s === "") problems.push(`${where}.${SOURCE}: must be the name of the stream to copy`);
    else source = s;
    primary = false;
  } else if (ALIAS in def) {
    const a = def[ALIAS];
    if (typeof a !== "string" || a === "") problems.push(`${where}.${ALIAS}: must be the new stream name`);
    else alias = a;
  }
  delete def[SOURCE];
  delete def[ALIAS];
  return { key, source, alias, primary, rule: { map: readCustomMap(where, def, problems) } };
}

function readCustomMap(where: string, def: Record<string, unknown>, problems: string[]): CustomMap {
  const map: CustomMap = { filter: undefined, keyProperties: undefined, dropUnmentioned: false, properties: [] };
  for (const [name, value] of Object.entries(def)) {
    const at = `${where}.${name}`;
    if (name === FILTER) {
      if (typeof value !== "string") problems.push(`${at}: must be an expression string, e.g. "amount >= 10"`);
      else map.filter = readExpression(at, value, problems);
    } else if (name === KEY_PROPERTIES) {
      if (value === null) map.keyProperties = [];
      else if (Array.isArray(value) && value.every((v) => typeof v === "string")) map.keyProperties = value;
      else problems.push(`${at}: must be a list of property names, or null for none`);
    } else if (name === ELSE) {
      if (isNull(value)) map.dropUnmentioned = true;
      else problems.push(`${at}: only null is supported (drop every property not named here)`);
    } else if (name.startsWith("__") && name.endsWith("__")) {
      problems.push(`${at}: '${name}' is not a stream map option (the options are ${ALIAS}, ${SOURCE}, ${FILTER}, ${KEY_PROPERTIES}, ${ELSE})`);
    } else if (isNull(value)) {
      map.properties.push({ name, expression: undefined });
    } else if (typeof value === "string") {
      const expression = readExpression(at, value, problems);
      if (expression) map.properties.push({ name, expression });
    } else {
      problems.push(
        `${at}: must be an expression string, or null to remove the property (got ${JSON.stringify(value)}; a constant is written as a string, e.g. "5" or "'text'")`,
      );
    }
  }
  return map;
}

function readExpression(at: string, text: string, problems: string[]): Expression | undefined {
  let node: Node;
  try {
    node = parseExpression(text);
  } catch (error) {
    const reason = error instanceof ExpressionSyntaxError ? error.message : String(error);
    problems.push(`${at}: cannot parse expression ${JSON.stringify(text)}: ${reason}`);
    return undefined;
  }
  for (const name of namesIn(node)) {
    const refusal = REFUSED[name];
    if (refusal) {
      problems.push(`${at}: expression ${JSON.stringify(text)}: ${refusal}`);
      return undefined;
    }
  }
  return { text, node };
}

/** fnmatch-style match of a stream name against a stream_maps key (`*`, `?`, `[abc]`), as the SDK does. */
export function streamMatches(stream: string, pattern: string): boolean {
  if (stream === pattern) return true;
  if (!/[*?[]/.test(pattern)) return false;
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) re += "\\[";
      else {
        const body = pattern.slice(i + 1, end);
        re += `[${body.startsWith("!") ? "^" + body.slice(1) : body}]`.replace(/\\/g, "\\\\");
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s").test(stream);
}
