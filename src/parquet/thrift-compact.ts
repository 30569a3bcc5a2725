/**
 * Thrift's compact protocol, decoded into a tree that keeps every wire type, so that a structure read and written
 * back is byte-identical apart from what was deliberately changed. Enough for Parquet's footer (FileMetaData).
 */

export const enum TType {
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12,
}

export type TValue = boolean | number | bigint | Buffer | TList | TMap | TStruct;

export interface TField {
  id: number;
  /** Wire type; for booleans True or False as read (a written field follows its value). */
  type: number;
  value: TValue;
}

export interface TStruct {
  fields: TField[];
}

export interface TList {
  elemType: number;
  items: TValue[];
}

export interface TMap {
  keyType: number;
  valueType: number;
  entries: Array<[TValue, TValue]>;
}

export class ThriftError extends Error {}

export function decodeStruct(bytes: Buffer, start = 0): { struct: TStruct; end: number } {
  const reader = new Reader(bytes, start);
  const struct = reader.struct();
  return { struct, end: reader.pos };
}

export function encodeStruct(struct: TStruct): Buffer {
  const writer = new Writer();
  writer.struct(struct);
  return writer.finish();
}

export function field(struct: TStruct, id: number): TField | undefined {
  return struct.fields.find((f) => f.id === id);
}

class Reader {
  constructor(
    private readonly b: Buffer,
    public pos: number,
  ) {}

  struct(): TStruct {
    const fields: TField[] = [];
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return { fields };
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag32() : last + delta;
      last = id;
      const value = type === TType.True ? true : type === TType.False ? false : this.value(type);
      fields.push({ id, type, value });
    }
  }

  private value(type: number): TValue {
    switch (type) {
      case TType.Byte:
        return this.b.readInt8(this.advance(1));
      case TType.I16:
      case TType.I32:
        return this.zigzag32();
      case TType.I64:
        return this.zigzag64();
      case TType.Double:
        return Buffer.from(this.b.subarray(this.advance(8), this.pos));
      case TType.Binary: {
        const length = this.varint32();
        return Buffer.from(this.b.subarray(this.advance(length), this.pos));
      }
      case TType.List:
      case TType.Set:
        return this.list();
      case TType.Map:
        return this.map();
      case TType.Struct:
        return this.struct();
      default:
        throw new ThriftError(`unknown compact type ${type} at byte ${this.pos}`);
    }
  }

  private list(): TList {
    const header = this.byte();
    const elemType = header & 0x0f;
    const size = header >> 4 === 0x0f ? this.varint32() : header >> 4;
    const items: TValue[] = [];
    // Booleans inside a collection are one byte each (1 = true), not folded into a header.
    for (let i = 0; i < size; i++) items.push(elemType === TType.True || elemType === TType.False ? this.byte() === 1 : this.value(elemType));
    return { elemType, items };
  }

  private map(): TMap {
    const size = this.varint32();
    if (size === 0) return { keyType: 0, valueType: 0, entries: [] };
    const types = this.byte();
    const keyType = types >> 4;
    const valueType = types & 0x0f;
    const entries: Array<[TValue, TValue]> = [];
    for (let i = 0; i < size; i++) entries.push([this.value(keyType), this.value(valueType)]);
    return { keyType, valueType, entries };
  }

  private advance(n: number): number {
    const at = this.pos;
    if (at + n > this.b.length) throw new ThriftError(`truncated thrift data at byte ${at}`);
    this.pos += n;
    return at;
  }

  private byte(): number {
    return this.b[this.advance(1)] as number;
  }

  private varint32(): number {
    return Number(this.varint());
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.byte();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ThriftError(`varint too long at byte ${this.pos}`);
    }
  }

  private zigzag32(): number {
    const n = this.varint32();
    return (n >>> 1) ^ -(n & 1);
  }

  private zigzag64(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }
}

class Writer {
  private chunks: number[] = [];
  private parts: Buffer[] = [];

  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.parts);
  }

  struct(struct: TStruct): void {
    let last = 0;
    for (const f of struct.fields) {
      const type = typeof f.value === "boolean" ? (f.value ? TType.True : TType.False) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) this.chunks.push((delta << 4) | type);
      else {
        this.chunks.push(type);
        this.zigzag32(f.id);
      }
      last = f.id;
      if (typeof f.value !== "boolean") this.value(type, f.value);
    }
    this.chunks.push(0);
  }

  private value(type: number, value: TValue): void {
    switch (type) {
      case TType.Byte:
        this.chunks.push((value as number) & 0xff);
        return;
      case TType.I16:
      case TType.I32:
        this.zigzag32(value as number);
        return;
      case TType.I64:
        this.zigzag64(value as bigint);
        return;
      case TType.Double:
        this.bytes(value as Buffer);
        return;
      case TType.Binary:
        this.varint(BigInt((value as Buffer).length));
        this.bytes(value as Buffer);
        return;
      case TType.List:
      case TType.Set:
        this.list(value as TList);
        return;
      case TType.Map:
        this.map(value as TMap);
        return;
      case TType.Struct:
        this.struct(value as TStruct);
        return;
      default:
        throw new ThriftError(`unknown compact type ${type}`);
    }
  }

  private list(list: TList): void {
    const size = list.items.length;
    if (size < 15) this.chunks.push((size << 4) | list.elemType);
    else {
      this.chunks.push(0xf0 | list.elemType);
      this.varint(BigInt(size));
    }
    for (const item of list.items) {
      if (list.elemType === TType.True || list.elemType === TType.False) this.chunks.push(item === true ? 1 : 0);
      else this.value(list.elemType, item);
    }
  }

  private map(map: TMap): void {
    this.varint(BigInt(map.entries.length));
    if (map.entries.length === 0) return;
    this.chunks.push((map.keyType << 4) | map.valueType);
    for (const [k, v] of map.entries) {
      this.value(map.keyType, k);
      this.value(map.valueType, v);
    }
  }

  private bytes(data: Buffer): void {
    this.flush();
    this.parts.push(data);
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    this.parts.push(Buffer.from(this.chunks));
    this.chunks = [];
  }

  private varint(n: bigint): void {
    let rest = BigInt.asUintN(64, n);
    while (rest >= 0x80n) {
      this.chunks.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.chunks.push(Number(rest));
  }

  private zigzag32(n: number): void {
    this.varint(BigInt(((n << 1) ^ (n >> 31)) >>> 0));
  }

  private zigzag64(n: bigint): void {
    this.varint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
  }
}
