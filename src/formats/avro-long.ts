import avro from "avsc";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** avsc packs the 8 bytes into a varint at once: one buffer serves every call. */
const scratch = Buffer.alloc(8);

/**
 * Avro `long` over the whole int64 range: a JS number while it is a safe integer, a BigInt beyond (avsc's own
 * long refuses anything past 2^53, and 99999999999999999 must be written exactly). Used as avsc's `long` through
 * the `registry` option, for writing and for reading back.
 */
export const exactLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): number | bigint => {
    const v = buf.readBigInt64LE(0);
    return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
  },
  toBuffer: (v: number | bigint): Buffer => {
    scratch.writeBigInt64LE(typeof v === "bigint" ? v : BigInt(v), 0);
    return scratch;
  },
  fromJSON: (v: number | string): number | bigint => (typeof v === "number" ? v : BigInt(v)),
  toJSON: (v: number | bigint): number | string => (typeof v === "number" ? v : v.toString()),
  isValid: (v: unknown): boolean => (typeof v === "number" && Number.isSafeInteger(v)) || (typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX),
  compare: (a: number | bigint, b: number | bigint): number => (a < b ? -1 : a > b ? 1 : 0),
});

/** avsc options that make `long` exact (writer and reader alike). */
export function avroTypeOptions(): { registry: Record<string, avro.Type> } {
  return { registry: { long: exactLong } };
}
