/**
 * XML element names from JSON property names, by the rule of .NET's XmlConvert.EncodeName (also used by SQL Server):
 * a character that may not stand at its place in an XML name becomes `_xHHHH_` (its UTF-16 code unit, four upper-case
 * hex digits; a character beyond U+FFFF becomes two such escapes), and an `_` that would start such a sequence is
 * itself written `_x005F_`, so the rule is reversible and two different names never meet. `:` is encoded too (it
 * would make a namespace prefix); an empty name becomes `_x0000_`. Names are cached: a stream has few of them.
 */

// XML's NameStartChar and NameChar ranges, which include the joiners and combining marks on purpose.
const START =
  // eslint-disable-next-line no-misleading-character-class
  /[A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
// eslint-disable-next-line no-misleading-character-class
const PART = /[-.0-9\u00B7\u0300-\u036F\u203F\u2040]/;
/** Names that need no work at all (almost every property name a tap sends). */
const PLAIN = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const ESCAPE_LIKE = /^_x[0-9A-Fa-f]{4}_/;

const cache = new Map<string, string>();

export function xmlName(name: string): string {
  if (PLAIN.test(name) && !name.includes("_x")) return name;
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const encoded = encode(name);
  if (cache.size < 10_000) cache.set(name, encoded);
  return encoded;
}

function hex(code: number): string {
  return `_x${code.toString(16).toUpperCase().padStart(4, "0")}_`;
}

function encode(name: string): string {
  if (name === "") return "_x0000_";
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const code = name.charCodeAt(i);
    if (ch === "_" && ESCAPE_LIKE.test(name.slice(i))) out += hex(code);
    else if (code >= 0xd800 && code <= 0xdfff)
      out += hex(code); // surrogate halves: each encoded
    else if (START.test(ch) || (i > 0 && PART.test(ch))) out += ch;
    else out += hex(code);
  }
  return out;
}

/** The JSON property name back from an element name (the inverse of xmlName; readers and tests use it). */
export function decodeXmlName(name: string): string {
  if (name === "_x0000_") return "";
  return name.replace(/_x([0-9A-F]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
