import { describe, expect, it } from "vitest";
import { XMLValidator } from "fast-xml-parser";
import { decodeXmlName, xmlName } from "../../src/formats/xml-name.js";
import { xmlDocument, xmlRecord } from "../../src/formats/xml-record.js";

describe("xmlName (XmlConvert.EncodeName rule)", () => {
  it("keeps valid names", () => {
    for (const n of ["id", "order_id", "first-name", "a.b", "Ünïcode", "名前", "_x"]) expect(xmlName(n)).toBe(n);
  });
  it("encodes what an XML name cannot hold as _xHHHH_, reversibly", () => {
    const cases: Array<[string, string]> = [
      ["1st", "_x0031_st"],
      ["a b", "a_x0020_b"],
      ["ns:tag", "ns_x003A_tag"],
      ["-x", "_x002D_x"],
      ["", "_x0000_"],
      ["a_x0041_b", "a_x005F_x0041_b"],
      ["$ref", "_x0024_ref"],
      ["😀", "_xD83D__xDE00_"],
    ];
    for (const [name, encoded] of cases) {
      expect(xmlName(name)).toBe(encoded);
      expect(decodeXmlName(encoded)).toBe(name);
      expect(XMLValidator.validate(`<${encoded}/>`)).toBe(true);
    }
  });
});

describe("xmlRecord", () => {
  const columns = ["id", "price", "name", "gone", "tags", "o", "nothing"].map((name) => ({ name, tag: xmlName(name) }));
  it("one child per column in column order, values as sent, nil for null and missing", () => {
    const xml = xmlRecord(`{"o":{"b c":1,"a":null},"id":99999999999999999,"price":1.10,"name":"a<b & c>\\r\\n","tags":["x",2,[]],"nothing":null}`, columns);
    expect(xml).toBe(
      `<record><id>99999999999999999</id><price>1.10</price><name>a&lt;b &amp; c&gt;&#13;\n</name><gone xsi:nil="true"/>` +
        `<tags><item>x</item><item>2</item><item></item></tags><o><b_x0020_c>1</b_x0020_c><a xsi:nil="true"/></o><nothing xsi:nil="true"/></record>\n`,
    );
  });
  it("a string with characters XML 1.0 cannot hold is its JSON literal, marked encoding=json", () => {
    const xml = xmlRecord(`{"name":"a\\u0000b\\ud800\\u001f<"}`, [{ name: "name", tag: "name" }]);
    expect(xml).toBe(`<record><name encoding="json">"a\\u0000b\\ud800\\u001f&lt;"</name></record>\n`);
    const { head, tail } = xmlDocument("my stream");
    expect(XMLValidator.validate(head + xml + tail)).toBe(true);
  });
});
