import { parseLossless } from "../schema/lossless-json.js";
import type { Names } from "./evaluate.js";
import { PyDict, fromLossless, type PyValue } from "./py-value.js";

/**
 * The names one record's expressions see, converted only when read: a map of a few properties does not pay for
 * converting the whole record. `record` / `_` (the whole record) are built on first use. Precedence as in the
 * SDK: `self`, then `_`, `record`, `config`, then the record's properties.
 */
export class RecordNames implements Names {
  private readonly converted = new Map<string, PyValue>();
  private whole: PyDict | undefined;
  private self: { value: PyValue } | undefined;

  constructor(
    /** The record's members as source text (last occurrence of a repeated name wins). */
    readonly fields: ReadonlyMap<string, string>,
    private readonly config: PyValue,
  ) {}

  has(name: string): boolean {
    return (name === "self" && this.self !== undefined) || name === "_" || name === "record" || name === "config" || this.fields.has(name);
  }

  get(name: string): PyValue | undefined {
    if (name === "self" && this.self) return this.self.value;
    if (name === "_" || name === "record") return this.record();
    if (name === "config") return this.config;
    return this.property(name);
  }

  /** Sets `self` to a property's value while its expression runs (only when the record has that property). */
  withSelf<T>(property: string | undefined, run: () => T): T {
    if (property === undefined || !this.fields.has(property)) return run();
    this.self = { value: this.property(property) ?? null };
    try {
      return run();
    } finally {
      this.self = undefined;
    }
  }

  private property(name: string): PyValue | undefined {
    if (this.converted.has(name)) return this.converted.get(name);
    const text = this.fields.get(name);
    if (text === undefined) return undefined;
    const value = fromLossless(parseLossless(text));
    this.converted.set(name, value);
    return value;
  }

  private record(): PyDict {
    if (!this.whole) {
      const map = new Map<string, PyValue>();
      for (const name of this.fields.keys()) map.set(name, this.property(name) ?? null);
      this.whole = new PyDict(map);
    }
    return this.whole;
  }
}
