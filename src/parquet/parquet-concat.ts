import { open } from "node:fs/promises";
import { millisAsUtc } from "./utc-millis.js";
import { decodeStruct, encodeStruct, field, TType, type TList, type TStruct, ThriftError } from "./thrift-compact.js";

const MAGIC = Buffer.from("PAR1", "latin1");

/** One Parquet file written by DuckDB, to be joined with others: where its row data ends, and its footer. */
export interface ParquetPiece {
  path: string;
  /** Byte offset where the footer starts: row groups (and bloom filters) are bytes 4 to bodyEnd. */
  bodyEnd: number;
  meta: TStruct;
}

export class ParquetConcatError extends Error {}

/** Reads a Parquet file's footer (FileMetaData). */
export async function readPiece(path: string): Promise<ParquetPiece> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(8);
    if (size < 12) throw new ParquetConcatError(`${path} is not a Parquet file (${size} bytes)`);
    await handle.read(tail, 0, 8, size - 8);
    const footerLength = tail.readUInt32LE(0);
    if (!tail.subarray(4).equals(MAGIC) || footerLength + 12 > size) throw new ParquetConcatError(`${path} has no Parquet footer`);
    const footer = Buffer.alloc(footerLength);
    await handle.read(footer, 0, footerLength, size - 8 - footerLength);
    return { path, bodyEnd: size - 8 - footerLength, meta: decodeStruct(footer).struct };
  } finally {
    await handle.close();
  }
}

// FileMetaData, RowGroup, ColumnChunk and ColumnMetaData field ids (parquet.thrift).
const FILE = { schema: 2, numRows: 3, rowGroups: 4, encryption: 8, signingKey: 9 };
const ROW_GROUP = { columns: 1, fileOffset: 5, ordinal: 7 };
const CHUNK = { fileOffset: 2, metaData: 3, pageIndexFirst: 4, pageIndexLast: 7 };
const META_OFFSETS = [9, 10, 11, 14]; // data, index and dictionary page offsets, bloom filter offset

/**
 * Joins Parquet files with the same schema into one without decoding a value: the output is "PAR1", each piece's
 * row-group bytes in order, and one footer listing every row group with its offsets moved to where its bytes now
 * are. Lets a large file be written by DuckDB in slices while records still arrive and be uploaded as a stream.
 * Page indexes (absolute offsets inside separate structures) are left out; DuckDB does not write them.
 */
export class ParquetConcat {
  /** Bytes of the output so far: "PAR1" and the bodies added. */
  private written = MAGIC.length;
  private readonly rowGroups: TStruct[] = [];
  private numRows = 0n;
  private first: TStruct | undefined;
  private schema: Buffer | undefined;

  /** The bytes that start the output. */
  header(): Buffer {
    return MAGIC;
  }

  /** Registers the next piece; its bytes 4 to bodyEnd must follow in the output. Returns that range. */
  add(piece: ParquetPiece): { start: number; end: number } {
    const meta = piece.meta;
    if (field(meta, FILE.encryption) || field(meta, FILE.signingKey)) throw new ParquetConcatError(`${piece.path}: encrypted Parquet cannot be joined`);
    const schema = encodeStruct({ fields: [field(meta, FILE.schema) ?? missing(piece.path, "schema")] });
    if (this.schema && !this.schema.equals(schema)) throw new ParquetConcatError(`${piece.path}: its schema differs from the first piece's`);
    this.schema ??= schema;
    this.first ??= meta;
    const shift = BigInt(this.written - MAGIC.length);
    for (const group of listOf(meta, FILE.rowGroups, piece.path)) this.rowGroups.push(shiftRowGroup(group as TStruct, shift, this.rowGroups.length));
    this.numRows += field(meta, FILE.numRows)?.value as bigint;
    this.written += piece.bodyEnd - MAGIC.length;
    return { start: MAGIC.length, end: piece.bodyEnd };
  }

  /** The footer: FileMetaData of every row group, its length and the closing "PAR1". */
  footer(): Buffer {
    if (!this.first) throw new ParquetConcatError("no Parquet piece was added");
    const fields = this.first.fields.map((f) => {
      if (f.id === FILE.numRows) return { ...f, value: this.numRows };
      if (f.id === FILE.rowGroups) return { ...f, value: { elemType: TType.Struct, items: this.rowGroups } satisfies TList };
      if (f.id === FILE.schema) return millisAsUtc(f);
      return f;
    });
    const meta = encodeStruct({ fields });
    const length = Buffer.alloc(4);
    length.writeUInt32LE(meta.length);
    return Buffer.concat([meta, length, MAGIC]);
  }
}

function shiftRowGroup(group: TStruct, shift: bigint, ordinal: number): TStruct {
  const fields = group.fields.flatMap((f) => {
    if (f.id === ROW_GROUP.fileOffset && f.type === TType.I64) return [{ ...f, value: (f.value as bigint) + shift }];
    if (f.id === ROW_GROUP.ordinal) return ordinal <= 0x7fff ? [{ ...f, value: ordinal }] : [];
    if (f.id === ROW_GROUP.columns) {
      const list = f.value as TList;
      return [{ ...f, value: { ...list, items: list.items.map((c) => shiftChunk(c as TStruct, shift)) } }];
    }
    return [f];
  });
  return { fields };
}

function shiftChunk(chunk: TStruct, shift: bigint): TStruct {
  const fields = chunk.fields.flatMap((f) => {
    if (f.id >= CHUNK.pageIndexFirst && f.id <= CHUNK.pageIndexLast) return [];
    if (f.id === CHUNK.fileOffset && f.type === TType.I64) return [{ ...f, value: (f.value as bigint) + shift }];
    if (f.id === CHUNK.metaData && f.type === TType.Struct) return [{ ...f, value: shiftMeta(f.value as TStruct, shift) }];
    return [f];
  });
  return { fields };
}

function shiftMeta(meta: TStruct, shift: bigint): TStruct {
  return {
    fields: meta.fields.map((f) => (META_OFFSETS.includes(f.id) && f.type === TType.I64 ? { ...f, value: (f.value as bigint) + shift } : f)),
  };
}

function listOf(struct: TStruct, id: number, path: string): TList["items"] {
  const f = field(struct, id);
  if (!f || (f.type !== TType.List && f.type !== TType.Set)) missing(path, `field ${id}`);
  return (f.value as TList).items;
}

function missing(path: string, what: string): never {
  throw new ThriftError(`${path}: Parquet footer has no ${what}`);
}
