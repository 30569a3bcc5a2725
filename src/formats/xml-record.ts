import { isNumber, numberText, parseExact, type ExactValue } from "./exact-json.js";
import { xmlName } from "./xml-name.js";

/**
 * One record as an XML element, from the record's JSON text, parsed exactly (exact-json.ts: a number is written as
 * its text as sent, so 99999999999999999 and 1.10 stay as they are). One child per column in column (SCHEMA)
 * order; a missing or null value is an empty element with xsi:nil="true"; nested objects are nested elements;
 * arrays are repeated <item> children. A string holding a character XML 1.0 cannot hold (U+0000, other C0 controls
 * but tab/LF/CR, U+FFFE, U+FFFF, lone surrogates) is written as its JSON string literal, quotes included, and the
 * element carries encoding="json" (see docs/xml-and-avro.md). CR is written `&#13;` so parsers keep it.
 */
export function xmlRecord(text: string, columns: ReadonlyArray<{ name: string; tag: string }>): string {
  const record = parseExact(text) as { [key: string]: ExactValue };
  // Such characters can only come from a \u escape, or be U+FFFE/U+FFFF as they are: most records need no check.
  const check = text.includes("\\") || MAYBE_NOT_XML.test(text);
  let out = "<record>";
  for (const column of columns) out += element(column.tag, Object.hasOwn(record, column.name) ? record[column.name] : undefined, check);
  return out + "</record>\n";
}

/** The root element's start and end: the stream name, with the xsi namespace nil needs. */
export function xmlDocument(stream: string): { head: string; tail: string } {
  const root = xmlName(stream);
  return {
    head: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n`,
    tail: `</${root}>\n`,
  };
}

function element(tag: string, v: ExactValue | undefined, check: boolean): string {
  if (v === undefined || v === null) return `<${tag} xsi:nil="true"/>`;
  if (typeof v === "string") return stringElement(tag, v, check);
  if (typeof v === "boolean") return `<${tag}>${v}</${tag}>`;
  if (isNumber(v)) return `<${tag}>${numberText(v)}</${tag}>`;
  let out = `<${tag}>`;
  if (Array.isArray(v)) for (const item of v) out += element("item", item, check);
  else for (const name of Object.keys(v)) out += element(xmlName(name), v[name], check);
  return out + `</${tag}>`;
}

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAYBE_NOT_XML = /[\uFFFE\uFFFF]/;
const SPECIAL = /[&<>\r]/;

function stringElement(tag: string, value: string, check: boolean): string {
  if (check && NOT_XML.test(value)) {
    // JSON.stringify escapes controls and lone surrogates; U+FFFE/U+FFFF it leaves as they are.
    const literal = JSON.stringify(value)
      .replace(/\uFFFE/g, "\\ufffe")
      .replace(/\uFFFF/g, "\\uffff");
    return `<${tag} encoding="json">${escapeText(literal)}</${tag}>`;
  }
  return `<${tag}>${escapeText(value)}</${tag}>`;
}

export function escapeText(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[&<>\r]/g, (ch) => (ch === "&" ? "&amp;" : ch === "<" ? "&lt;" : ch === ">" ? "&gt;" : "&#13;"));
}
