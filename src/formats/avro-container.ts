import { promisify } from "node:util";
import { crc32, deflateRaw } from "node:zlib";
import { randomBytes } from "node:crypto";
import avro from "avsc";
import * as snappy from "snappyjs";
import { compress as zstdCompress, init as zstdInit } from "@bokuweb/zstd-wasm";

/**
 * The framing of an Avro object container file (Avro spec, "Object Container Files"): a header (magic `Obj\x01`,
 * the metadata map with avro.schema and avro.codec, a 16-byte sync marker), then blocks: record count, byte size,
 * the records' binary encoding compressed by the codec, the sync marker. avsc encodes the header and the values.
 */

export type AvroCodec = "null" | "deflate" | "snappy" | "zstandard";

const HEADER = avro.Type.forSchema({
  type: "record",
  name: "org.apache.avro.file.Header",
  fields: [
    { name: "magic", type: { type: "fixed", name: "Magic", size: 4 } },
    { name: "meta", type: { type: "map", values: "bytes" } },
    { name: "sync", type: { type: "fixed", name: "Sync", size: 16 } },
  ],
});
const LONG = avro.Type.forSchema("long");
export const AVRO_MAGIC = Buffer.from("Obj\x01", "latin1");

export function containerHeader(schema: unknown, codec: AvroCodec, sync: Buffer): Buffer {
  return HEADER.toBuffer({ magic: AVRO_MAGIC, meta: { "avro.schema": Buffer.from(JSON.stringify(schema)), "avro.codec": Buffer.from(codec) }, sync });
}

export function newSyncMarker(): Buffer {
  return randomBytes(16);
}

/** One block: count, size, data, sync. */
export function containerBlock(count: number, data: Buffer, sync: Buffer): Buffer {
  return Buffer.concat([LONG.toBuffer(count), LONG.toBuffer(data.length), data, sync]);
}

const deflate = promisify(deflateRaw);
let zstdReady: Promise<void> | undefined;

/** Compresses one block's bytes. deflate runs in Node's thread pool; snappy (JS) and zstandard (WebAssembly) here. */
export async function compressBlock(codec: AvroCodec, raw: Buffer): Promise<Buffer> {
  switch (codec) {
    case "null":
      return raw;
    case "deflate":
      return deflate(raw);
    case "snappy": {
      // Avro's snappy blocks end with the big-endian CRC-32 of the uncompressed bytes.
      const body = snappy.compress(raw);
      const out = Buffer.allocUnsafe(body.length + 4);
      out.set(body, 0);
      out.writeUInt32BE(crc32(raw), body.length);
      return out;
    }
    case "zstandard":
      await (zstdReady ??= zstdInit());
      return Buffer.from(zstdCompress(raw, 3));
  }
}
