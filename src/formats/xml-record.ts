import { skipValue, skipWs } from "../protocol/json-scan.js";
import { objectFields } from "../schema/lossless-json.js";
import { xmlName } from "./xml-name.js";

/**
 * One record as an XML element, from the record's JSON text (values are never re-serialised: numbers are their
 * source text, so 99999999999999999 and 1.10 stay as sent). One child per column in column (SCHEMA) order; a
 * missing or null value is an empty element with xsi:nil="true"; nested objects are nested elements (members in
 * the order sent); arrays are repeated <item> children. A string holding a character XML 1.0 cannot hold (U+0000,
 * other C0 controls but tab/LF/CR, U+FFFE, U+FFFF, lone surrogates) is written as its JSON string literal, quotes
 * included, and the element carries encoding="json" (see docs/xml-and-avro.md). CR is written `&#13;` so parsers
 * do not turn it into LF.
 */
export function xmlRecord(text: string, columns: ReadonlyArray<{ name: string; tag: string }>): string {
  const fields = new Map(objectFields(text) ?? []);
  let out = "<record>";
  for (const column of columns) out += element(column.tag, fields.get(column.name));
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

function element(tag: string, source: string | undefined): string {
  if (source === undefined) return `<${tag} xsi:nil="true"/>`;
  const c = source.charCodeAt(0);
  if (c === 0x22 /* " */) return stringElement(tag, source);
  if (c === 0x7b /* { */) {
    let out = `<${tag}>`;
    for (const [name, value] of new Map(objectFields(source) ?? [])) out += element(xmlName(name), value);
    return out + `</${tag}>`;
  }
  if (c === 0x5b /* [ */) {
    let out = `<${tag}>`;
    for (const item of arrayItems(source)) out += element("item", item);
    return out + `</${tag}>`;
  }
  if (source === "null") return `<${tag} xsi:nil="true"/>`;
  return `<${tag}>${source}</${tag}>`; // a number or true/false, as sent
}

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SPECIAL = /[&<>\r]/;

function stringElement(tag: string, source: string): string {
  const value = source.includes("\\") ? (JSON.parse(source) as string) : source.slice(1, -1);
  if (NOT_XML.test(value)) {
    // JSON.stringify escapes controls and lone surrogates; U+FFFE/U+FFFF it leaves as they are.
    const literal = JSON.stringify(value).replace(/\uFFFE/g, "\\ufffe").replace(/\uFFFF/g, "\\uffff");
    return `<${tag} encoding="json">${escapeText(literal)}</${tag}>`;
  }
  return `<${tag}>${escapeText(value)}</${tag}>`;
}

export function escapeText(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[&<>\r]/g, (ch) => (ch === "&" ? "&amp;" : ch === "<" ? "&lt;" : ch === ">" ? "&gt;" : "&#13;"));
}

/** The source texts of a JSON array's items. */
export function arrayItems(source: string): string[] {
  const items: string[] = [];
  let i = skipWs(source, 1);
  while (i < source.length && source.charCodeAt(i) !== 0x5d /* ] */) {
    const end = skipValue(source, i);
    items.push(source.slice(i, end));
    i = skipWs(source, end);
    if (source.charCodeAt(i) === 0x2c /* , */) i = skipWs(source, i + 1);
  }
  return items;
}
