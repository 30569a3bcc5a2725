// Reads an Avro object container file back with avsc's own decoder (exact longs through the same registry) and checks
// the container by hand, independently of the writer: the magic, the header's schema and codec, every block's count
// and size, and that every block ends with the header's sync marker.
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import avro from "avsc";
import * as snappy from "snappyjs";
import { decompress as zstdDecompress } from "fzstd";
import { avroTypeOptions } from "../../src/formats/avro-long.js";

export interface AvroFile {
  schema: Record<string, unknown>;
  codec: string;
  records: Record<string, unknown>[];
  blockCounts: number[];
}

const LONG = avro.Type.forSchema("long");
const META = avro.Type.forSchema({ type: "map", values: "bytes" });

/** Walks the container: header, then blocks; throws on any inconsistency. */
export function checkContainer(body: Buffer): { schema: Record<string, unknown>; codec: string; blockCounts: number[] } {
  if (!body.subarray(0, 4).equals(Buffer.from("Obj\x01", "latin1"))) throw new Error("bad magic");
  const meta = META.decode(body, 4);
  if (meta.offset < 0) throw new Error("truncated header");
  const values = meta.value as Record<string, Buffer>;
  const sync = body.subarray(meta.offset, meta.offset + 16);
  let pos = meta.offset + 16;
  const blockCounts: number[] = [];
  while (pos < body.length) {
    const count = LONG.decode(body, pos);
    const size = LONG.decode(body, count.offset);
    if (count.offset < 0 || size.offset < 0) throw new Error(`truncated block header at ${pos}`);
    const end = size.offset + (size.value as number);
    if (!body.subarray(end, end + 16).equals(sync)) throw new Error(`block at ${pos} does not end with the sync marker`);
    blockCounts.push(count.value as number);
    pos = end + 16;
  }
  if (pos !== body.length) throw new Error("trailing bytes");
  return { schema: JSON.parse(values["avro.schema"]!.toString()) as Record<string, unknown>, codec: values["avro.codec"]?.toString() ?? "null", blockCounts };
}

export async function readAvro(body: Buffer): Promise<AvroFile> {
  const { schema, codec, blockCounts } = checkContainer(body);
  const codecs = {
    null: (buf: Buffer, cb: (e: Error | null, b?: Buffer) => void) => cb(null, buf),
    deflate: (await import("node:zlib")).inflateRaw,
    snappy: (buf: Buffer, cb: (e: Error | null, b?: Buffer) => void) => {
      const out = Buffer.from(snappy.uncompress(buf.subarray(0, buf.length - 4)));
      if (crc32(out) !== buf.readUInt32BE(buf.length - 4)) return cb(new Error("snappy block CRC mismatch"));
      cb(null, out);
    },
    zstandard: (buf: Buffer, cb: (e: Error | null, b?: Buffer) => void) => cb(null, Buffer.from(zstdDecompress(buf))),
  };
  const decoder = new avro.streams.BlockDecoder({
    codecs: codecs,
    parseHook: (s: unknown) => avro.Type.forSchema(s as avro.Schema, avroTypeOptions()),
  });
  const records: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    decoder.on("data", (r: Record<string, unknown>) => records.push(r));
    decoder.on("end", () => resolve());
    decoder.on("error", reject);
    Readable.from([body]).pipe(decoder);
  });
  if (records.length !== blockCounts.reduce((a, b) => a + b, 0)) throw new Error("block counts do not add up to the records read");
  return { schema, codec, records, blockCounts };
}
