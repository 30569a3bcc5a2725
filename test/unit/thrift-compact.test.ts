import { describe, expect, it } from "vitest";
import { decodeStruct, encodeStruct, ThriftError, TType, type TStruct } from "../../src/parquet/thrift-compact.js";

describe("thrift compact protocol", () => {
  const sample: TStruct = {
    fields: [
      { id: 1, type: TType.I32, value: -7 },
      { id: 2, type: TType.True, value: true },
      { id: 3, type: TType.False, value: false },
      { id: 4, type: TType.I64, value: -(2n ** 62n) },
      { id: 5, type: TType.Binary, value: Buffer.from("héllo") },
      { id: 6, type: TType.Byte, value: -3 },
      { id: 7, type: TType.I16, value: 300 },
      { id: 8, type: TType.Double, value: Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]) },
      // A long jump in field id takes the long header form.
      { id: 40, type: TType.List, value: { elemType: TType.I64, items: Array.from({ length: 20 }, (_, i) => BigInt(i) * 1_000_000_007n) } },
      { id: 41, type: TType.List, value: { elemType: TType.True, items: [true, false, true] } },
      { id: 42, type: TType.Map, value: { keyType: TType.Binary, valueType: TType.I32, entries: [[Buffer.from("k"), 1]] } },
      { id: 43, type: TType.Map, value: { keyType: 0, valueType: 0, entries: [] } },
      { id: 44, type: TType.Struct, value: { fields: [{ id: 1, type: TType.Binary, value: Buffer.alloc(0) }] } },
    ],
  };

  it("decodes what it encodes, field for field", () => {
    const bytes = encodeStruct(sample);
    const { struct, end } = decodeStruct(bytes);
    expect(end).toBe(bytes.length);
    expect(struct).toEqual(sample);
    expect(encodeStruct(struct).equals(bytes)).toBe(true);
  });

  it("reads a struct at an offset and stops at its end", () => {
    const bytes = Buffer.concat([Buffer.from([0xaa, 0xbb]), encodeStruct(sample), Buffer.from([0xcc])]);
    const { struct, end } = decodeStruct(bytes, 2);
    expect(struct).toEqual(sample);
    expect(bytes[end]).toBe(0xcc);
  });

  it("fails clearly on truncated or unknown data", () => {
    const bytes = encodeStruct(sample);
    expect(() => decodeStruct(bytes.subarray(0, bytes.length - 3))).toThrow(ThriftError);
    expect(() => decodeStruct(Buffer.from([0x1e, 0x00]))).toThrow(/unknown compact type 14/);
  });
});
