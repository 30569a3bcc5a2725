/**
 * Making object keys safe. Pure: no I/O.
 *
 * ## Values (`safeSegment`)
 * Every value that comes from a name or id (`{stream_name}`, `{namespace}`, `{connection_id}`,
 * `{connection_run_id}`, `{extension}`) becomes exactly one key segment through `safeSegment`:
 *
 * - Kept as is: ASCII letters and digits, `! _ . * ' ( ) = -` (AWS's "safe characters" plus `=` for `key=value`
 *   folders), and non-ASCII letters, marks and digits (Unicode categories L, M, N, e.g. `é`, `日本`, `क्षि`), so
 *   names in any script stay readable.
 * - Everything else is escaped as `~XX` per UTF-8 byte, with `XX` two upper-case hex digits: `/` → `~2F`,
 *   `\` → `~5C`, control characters U+0000–U+001F and U+007F → `~00`…`~1F`, `~7F`, space → `~20`, `:` → `~3A`,
 *   `?` → `~3F`, `%` → `~25`, `+` → `~2B`, emoji → `~F0~9F~98~80`, and `~` itself → `~7E`.
 *   A lone UTF-16 surrogate (which has no UTF-8 form) becomes `~uD800` (`~u` and 4 upper-case hex digits).
 * - A value that is exactly `.` or `..` becomes `~2E` / `~2E~2E`; an empty value stays empty (its segment then
 *   disappears from the key).
 *
 * The mapping is injective (`decodeSegment` inverts it: `~` only ever starts an escape), so two different stream
 * names never map to the same segment, and a value never creates a folder, a `..` segment, a leading `/`, `//`, a
 * control character or a backslash.
 *
 * | value                             | segment                                |
 * |-----------------------------------|----------------------------------------|
 * | `sales_summary_daily`             | `sales_summary_daily`                  |
 * | `../../x`                         | `..~2F..~2Fx`                          |
 * | `/abs`                            | `~2Fabs`                               |
 * | `a\u0001b`                        | `a~01b`                                |
 * | `test:SpecialChars!in?attributes` | `test~3ASpecialChars!in~3Fattributes`  |
 * | `.` / `..`                        | `~2E` / `~2E~2E`                       |
 * | `a b`                             | `a~20b`                                |
 * | `a\b`                             | `a~5Cb`                                |
 * | `50%~off`                         | `50~25~7Eoff`                          |
 * | `public.users`                    | `public.users`                         |
 * | `café` / `日本`                   | `café` / `日本`                        |
 * | `😀`                              | `~F0~9F~98~80`                         |
 *
 * ## Keys (`joinKey`)
 * The key is `[prefix from the bucket URI]/[object_key_path]/[rendered key_template]`. Literal `/` in those parts
 * create folders; empty segments are dropped (no leading `/`, no `//`, no trailing `/`); a segment that is exactly
 * `.` or `..` becomes `~2E` / `~2E~2E`; control characters and backslashes in the literal parts are escaped as
 * `~XX` (config validation should reject them earlier). A key longer than 1024 UTF-8 bytes (S3's limit) is a
 * ConfigError naming the stream and asking to shorten the template or prefix.
 */
import { ConfigError } from "../errors.js";

/** S3's maximum key length in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const ALL_SAFE_ASCII = /^[A-Za-z0-9!_.*'()=-]*$/;
const SAFE_NON_ASCII = /^[\p{L}\p{M}\p{N}]$/u;
const HEX = "0123456789ABCDEF";

function isSafeAscii(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x21 || // !
    code === 0x5f || // _
    code === 0x2e || // .
    code === 0x2a || // *
    code === 0x27 || // '
    code === 0x28 || // (
    code === 0x29 || // )
    code === 0x3d || // =
    code === 0x2d // -
  );
}

function escapeByte(b: number): string {
  return `~${HEX[b >> 4]}${HEX[b & 15]}`;
}

function escapeCodePoint(cp: number): string {
  if (cp < 0x80) return escapeByte(cp);
  if (cp < 0x800) return escapeByte(0xc0 | (cp >> 6)) + escapeByte(0x80 | (cp & 63));
  if (cp < 0x10000) {
    return escapeByte(0xe0 | (cp >> 12)) + escapeByte(0x80 | ((cp >> 6) & 63)) + escapeByte(0x80 | (cp & 63));
  }
  return escapeByte(0xf0 | (cp >> 18)) + escapeByte(0x80 | ((cp >> 12) & 63)) + escapeByte(0x80 | ((cp >> 6) & 63)) + escapeByte(0x80 | (cp & 63));
}

/**
 * One value → one safe key segment (see the module doc for the rules and the table). Injective; never contains
 * `/`, `\`, control characters, and is never `.` or `..`.
 */
export function safeSegment(value: string): string {
  if (ALL_SAFE_ASCII.test(value)) {
    if (value === ".") return "~2E";
    if (value === "..") return "~2E~2E";
    return value;
  }
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) {
      out += isSafeAscii(code) ? value[i] : escapeByte(code);
      continue;
    }
    let cp = code;
    let len = 1;
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = value.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        len = 2;
      } else {
        out += `~u${code.toString(16).toUpperCase()}`;
        continue;
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      out += `~u${code.toString(16).toUpperCase()}`;
      continue;
    }
    const ch = len === 2 ? value.slice(i, i + 2) : (value[i] as string);
    out += SAFE_NON_ASCII.test(ch) ? ch : escapeCodePoint(cp);
    i += len - 1;
  }
  return out;
}

/**
 * The inverse of `safeSegment` (for tests and tooling): `decodeSegment(safeSegment(v)) === v` for every string.
 * Throws on text `safeSegment` cannot produce.
 */
export function decodeSegment(segment: string): string {
  if (!segment.includes("~")) return segment;
  let out = "";
  const bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) {
      out += new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
      bytes.length = 0;
    }
  };
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch !== "~") {
      flush();
      out += ch;
      continue;
    }
    if (segment[i + 1] === "u") {
      flush();
      const hex = segment.slice(i + 2, i + 6);
      if (!/^[0-9A-F]{4}$/.test(hex)) throw new Error(`bad escape at ${i} in "${segment}"`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
      continue;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) throw new Error(`bad escape at ${i} in "${segment}"`);
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  flush();
  return out;
}

// eslint-disable-next-line no-control-regex
const UNSAFE_LITERAL = /[\u0000-\u001f\u007f\\]/g;

/**
 * A literal (config) path segment made safe: control characters and `\` escaped as `~XX`, `.`/`..` → `~2E`/`~2E~2E`.
 * Other characters are kept: literal text is the user's choice. Not injective (not needed for config text).
 */
export function safeLiteralSegment(segment: string): string {
  const s = segment.replace(UNSAFE_LITERAL, (c) => escapeByte(c.charCodeAt(0)));
  if (s === ".") return "~2E";
  if (s === "..") return "~2E~2E";
  return s;
}

/** Problems with literal key text from config (prefix, object_key_path, template text): [] when fine. */
export function validateKeyLiteral(what: string, text: string): string[] {
  const problems: string[] = [];
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) problems.push(`${what}: contains a control character`);
  if (text.includes("\\")) problems.push(`${what}: contains a backslash (use "/" for folders)`);
  for (const seg of text.split("/")) {
    if (seg === "." || seg === "..") problems.push(`${what}: contains a "${seg}" path segment`);
  }
  return problems;
}

const encoder = new TextEncoder();

/** UTF-8 byte length without allocating for ASCII-only strings. */
export function utf8Length(s: string): number {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : encoder.encode(s).length;
}

/**
 * Joins key parts (prefix from the bucket URI, `object_key_path`, the rendered template) into the full key:
 * splits every part on `/`, drops empty segments, makes each segment safe with `safeLiteralSegment` and joins with
 * `/`. Throws ConfigError when the key exceeds 1024 UTF-8 bytes, naming `streamName` when given.
 */
export function joinKey(parts: readonly string[], streamName?: string): string {
  const segments: string[] = [];
  for (const part of parts) {
    for (const seg of part.split("/")) {
      if (seg !== "") segments.push(safeLiteralSegment(seg));
    }
  }
  const key = segments.join("/");
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES) {
    const who = streamName === undefined ? "an object" : `stream "${streamName}"`;
    throw new ConfigError(
      `the object key for ${who} is ${bytes} UTF-8 bytes, over S3's limit of ${MAX_KEY_BYTES}: shorten key_template, object_key_path or the bucket URI prefix`,
      [`key starts with "${key.slice(0, 120)}…"`],
    );
  }
  if (key === "")
    throw new ConfigError(`the object key${streamName === undefined ? "" : ` for stream "${streamName}"`} is empty: key_template must render to a file name`);
  return key;
}
