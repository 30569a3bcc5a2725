// Reads an XML object back with fast-xml-parser (an independent parser): checks it is one well-formed document and
// returns each record's children as [decoded name, node] in document order, where a node is a text value, null
// (xsi:nil), a JSON-escaped string (encoding="json"), or nested children.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { decodeXmlName } from "../../src/formats/xml-name.js";

export type XmlNode = { text: string } | { nil: true } | { children: Array<[string, XmlNode]> };

export interface XmlDocument {
  root: string;
  records: Array<Array<[string, XmlNode]>>;
}

type Ordered = Record<string, unknown>;

export function readXml(body: Buffer): XmlDocument {
  const text = body.toString("utf8");
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: false,
  });
  const doc = parser.parse(text) as Ordered[];
  const rootEntry = doc.find((n) => !Object.keys(n).some((k) => k.startsWith("?")) && !("#text" in n));
  if (!rootEntry) throw new Error("no root element");
  const root = Object.keys(rootEntry).find((k) => k !== ":@")!;
  const records = (rootEntry[root] as Ordered[]).filter((n) => "record" in n).map((n) => childrenOf(n["record"] as Ordered[]));
  return { root: decodeXmlName(root), records };
}

function childrenOf(list: Ordered[]): Array<[string, XmlNode]> {
  const out: Array<[string, XmlNode]> = [];
  for (const entry of list) {
    const tag = Object.keys(entry).find((k) => k !== ":@");
    if (tag === undefined || tag === "#text") continue;
    const attrs = (entry[":@"] ?? {}) as Record<string, string>;
    const content = entry[tag] as Ordered[];
    out.push([decodeXmlName(tag), nodeOf(content, attrs)]);
  }
  return out;
}

function nodeOf(content: Ordered[], attrs: Record<string, string>): XmlNode {
  if (attrs["@xsi:nil"] === "true") return { nil: true };
  const elements = content.filter((c) => !("#text" in c));
  const text = content
    .filter((c) => "#text" in c)
    .map((c) => String(c["#text"]))
    .join("");
  if (elements.length > 0) return { children: childrenOf(content) };
  if (attrs["@encoding"] === "json") return { text: JSON.parse(text) as string };
  return { text };
}

/** A record as a plain object: text values as strings, xsi:nil as null, nested elements as objects (<item> lists as arrays). */
export function xmlRecordObject(children: Array<[string, XmlNode]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of children) out[name] = plain(node);
  return out;
}

function plain(node: XmlNode): unknown {
  if ("nil" in node) return null;
  if ("text" in node) return node.text;
  if (node.children.every(([name]) => name === "item")) return node.children.map(([, child]) => plain(child));
  return xmlRecordObject(node.children);
}
