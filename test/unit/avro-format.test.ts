import { describe, expect, it } from "vitest";
import avro from "avsc";
import { avroName, avroPlanOf, AvroNameError } from "../../src/formats/avro-schema.js";
import { converterOf, epochDays, recordConverter, timeMicros, timestampMicros, twosComplement, AvroValueError } from "../../src/formats/avro-value.js";
import { avroTypeOptions } from "../../src/formats/avro-long.js";
import { parseExact } from "../../src/formats/exact-json.js";
import { columnsOf } from "../../src/schema/columns.js";

const columns = (properties: Record<string, unknown>) =>
  columnsOf(properties, { flatten: false, flattenMaxDepth: 0, nestedTypes: "struct", headerFormat: null });

describe("avroName (the documented sanitising rule)", () => {
  it("keeps valid names and replaces every other character with _", () => {
    expect(avroName("order_id")).toBe("order_id");
    expect(avroName("first-name")).toBe("first_name");
    expect(avroName("a.b c")).toBe("a_b_c");
    expect(avroName("prénom")).toBe("pr_nom");
  });
  it("prefixes _ to a name that starts with a digit or is empty", () => {
    expect(avroName("1st")).toBe("_1st");
    expect(avroName("")).toBe("_");
  });
});

describe("avroPlanOf (Airbyte's JSON Schema → Avro mapping)", () => {
  it("maps every type to a nullable union, with logical types, records, arrays and decimals", () => {
    const plan = avroPlanOf(
      "public-orders",
      columns({
        id: { type: "integer" },
        amount: { type: ["null", "number"], multipleOf: 0.01 },
        ratio: { type: "number" },
        ok: { type: "boolean" },
        name: { type: "string" },
        at: { type: "string", format: "date-time" },
        day: { type: "string", format: "date" },
        clock: { type: "string", format: "time" },
        customer: { type: "object", properties: { "e-mail": { type: "string" } } },
        tags: { type: "array", items: { type: "string" } },
        anything: {},
        mixed: { type: ["string", "integer"] },
      }),
      false,
    );
    const fields = (plan.schema["fields"] as Array<{ name: string; type: unknown }>).map((f) => [f.name, f.type]);
    expect(plan.schema["name"]).toBe("public_orders");
    expect(fields).toEqual([
      ["id", ["null", "long"]],
      ["amount", ["null", { type: "bytes", logicalType: "decimal", precision: 38, scale: 2 }]],
      ["ratio", ["null", "double"]],
      ["ok", ["null", "boolean"]],
      ["name", ["null", "string"]],
      ["at", ["null", { type: "long", logicalType: "timestamp-micros" }]],
      ["day", ["null", { type: "int", logicalType: "date" }]],
      ["clock", ["null", { type: "long", logicalType: "time-micros" }]],
      ["customer", ["null", { type: "record", name: "public_orders.customer", fields: [{ name: "e_mail", type: ["null", "string"], default: null }] }]],
      ["tags", ["null", { type: "array", items: ["null", "string"] }]],
      ["anything", ["null", "string"]],
      ["mixed", ["null", "string"]],
    ]);
    // avsc accepts the schema.
    expect(() => avro.Type.forSchema(plan.schema as avro.Schema, avroTypeOptions())).not.toThrow();
  });

  it("puts the _sdc_ metadata columns first when asked", () => {
    const plan = avroPlanOf("s", columns({ id: { type: "integer" } }), true);
    expect(plan.fields.map((f) => f.name)).toEqual([
      "_sdc_extracted_at",
      "_sdc_received_at",
      "_sdc_batched_at",
      "_sdc_deleted_at",
      "_sdc_sequence",
      "_sdc_table_version",
      "id",
    ]);
  });

  it("refuses two properties that meet after sanitising, naming both", () => {
    expect(() => avroPlanOf("s", columns({ "a-b": { type: "string" }, a_b: { type: "string" } }), false)).toThrow(AvroNameError);
    expect(() => avroPlanOf("s", columns({ "a-b": { type: "string" }, a_b: { type: "string" } }), false)).toThrow(/'a-b' and 'a_b'.*'a_b'/);
    expect(() => avroPlanOf("s", columns({ o: { type: "object", properties: { "x y": {}, x_y: {} } } }), false)).toThrow(/record 's.o'/);
  });
});

describe("Avro values from JSON source text", () => {
  it("integers are exact over the whole int64 range; 2^63 is refused", () => {
    const toLong = converterOf({ kind: "integer" }, "id");
    const long = (text: string): unknown => toLong(parseExact(text));
    expect(long("42")).toBe(42);
    expect(long("99999999999999999")).toBe(99999999999999999n);
    expect(long("9007199254740993")).toBe(9007199254740993n);
    expect(long("-9223372036854775808")).toBe(-9223372036854775808n);
    expect(long("1.0")).toBe(1);
    expect(long("1e3")).toBe(1000);
    expect(() => long("9223372036854775808")).toThrow(AvroValueError);
    expect(() => long("1.5")).toThrow(/field 'id': expected an integer/);
  });

  it("decimals are exact two's complement, never rounded", () => {
    const toDec = converterOf({ kind: "decimal", precision: 38, scale: 2 }, "amount");
    const dec = (text: string): unknown => toDec(parseExact(text));
    expect(dec("12345678901234567.89")).toEqual(twosComplement(1234567890123456789n));
    expect(dec("302.28")).toEqual(twosComplement(30228n));
    expect(dec("0.07")).toEqual(Buffer.from([7]));
    expect(dec("-1.1")).toEqual(twosComplement(-110n));
    expect(dec("1e2")).toEqual(twosComplement(10000n));
    expect(() => dec("0.001")).toThrow(/more than 2 decimals/);
    expect(twosComplement(-1n)).toEqual(Buffer.from([0xff]));
    expect(twosComplement(128n)).toEqual(Buffer.from([0x00, 0x80]));
    expect(twosComplement(-129n)).toEqual(Buffer.from([0xff, 0x7f]));
  });

  it("parseExact keeps every number's text: JSON.parse when all print back as sent, the lossless parser otherwise", () => {
    expect(parseExact(`{"a":302.28,"b":[1,2]}`)).toEqual({ a: 302.28, b: [1, 2] });
    expect(JSON.stringify(parseExact(`{"a":1.10,"s":"x:1.10,"}`))).toBe(`{"a":"1.10","s":"x:1.10,"}`);
    expect(String(parseExact("99999999999999999"))).not.toBe("100000000000000000");
  });

  it("doubles are the nearest double of the text", () => {
    const toNum = converterOf({ kind: "number" }, "x");
    const num = (text: string): unknown => toNum(parseExact(text));
    expect(num("1e-7")).toBe(1e-7);
    expect(num("19.99")).toBe(19.99);
  });

  it("date-times become UTC microseconds (offsets applied, no offset = UTC, digits past micros cut)", () => {
    expect(timestampMicros("2024-03-01T12:00:00Z")).toBe(Date.UTC(2024, 2, 1, 12) * 1000);
    expect(timestampMicros("2024-03-01T14:00:00.123456+02:00")).toBe(Date.UTC(2024, 2, 1, 12) * 1000 + 123456);
    expect(timestampMicros("2024-03-01 12:00:00.1234567")).toBe(Date.UTC(2024, 2, 1, 12) * 1000 + 123456);
    expect(timestampMicros("0001-01-01T00:00:00Z")).toBe(-62135596800000000n);
    expect(timestampMicros("9999-12-31T23:59:59.999999Z")).toBe(253402300799999999n);
    expect(() => timestampMicros("2023-02-30T00:00:00Z")).toThrow(AvroValueError);
    expect(() => timestampMicros("yesterday")).toThrow(AvroValueError);
  });

  it("dates become days since 1970-01-01, times microseconds after midnight (offset dropped, as for Parquet)", () => {
    expect(epochDays("1970-01-02")).toBe(1);
    expect(epochDays("1969-12-31")).toBe(-1);
    expect(epochDays("2024-03-01T23:00:00Z")).toBe(19783);
    expect(timeMicros("12:30:15.5")).toBe((12 * 3600 + 30 * 60 + 15) * 1e6 + 500000);
    expect(timeMicros("01:00:00+02:00")).toBe(3600 * 1e6);
  });

  it("a record: fields by Avro name, nested records and arrays, missing and null → null, JSON text for untyped", () => {
    const plan = avroPlanOf(
      "s",
      columns({
        "first-name": { type: "string" },
        o: { type: "object", properties: { n: { type: "integer" } } },
        l: { type: "array", items: { type: "number" } },
        j: {},
        gone: { type: "string" },
      }),
      false,
    );
    const convert = recordConverter(plan.fields);
    expect(convert(`{"first-name":"Zoë","o":{"n":99999999999999999},"l":[1.1,null],"j":{"a":1.10}}`)).toEqual({
      first_name: "Zoë",
      o: { n: 99999999999999999n },
      l: [1.1, null],
      j: `{"a":1.10}`, // the JSON text, every digit as sent
      gone: null,
    });
    const type = avro.Type.forSchema(plan.schema as avro.Schema, avroTypeOptions());
    const value = convert(`{"first-name":"a","o":{"n":99999999999999999},"l":[],"j":"x"}`);
    expect(type.fromBuffer(type.toBuffer(value))).toEqual({ ...value });
  });
});
