import { valueRange } from "../protocol/json-value-range.js";
import { decimalOfNumber, parseDecimal, type Decimal } from "./exact-decimal.js";

/**
 * A number with 16 or more digits (a dot may sit among them): the only kind whose double's shortest text can
 * differ from the digits sent (1.0000000000000001 → 1, 9007199254740993 → 9007199254740992). A run of digits and
 * dots (no backtracking); it matches inside strings too and 15 digits with a dot, which only adds harmless candidates.
 */
const LONG_NUMBER = /-?[\d.]{16,}(?:[eE][+-]?\d+)?/g;
const NONE: ReadonlySet<number> = new Set();
const HAS_LONG_NUMBER = /[\d.]{16}/;

/**
 * The source text of the record being validated, for the keywords that judge a number by its digits. The line
 * is scanned once for long numbers (only when it has one); a value whose double is not one of theirs was sent
 * with at most 15 significant digits, so the double's shortest text is its exact decimal value. Otherwise its
 * source text is looked up along its path (only then is the record's text needed).
 */
export class RecordSource {
  private given: string | (() => string | undefined) | undefined;
  private raw: string | undefined;
  private resolved = false;
  private scanText: string | undefined;
  private long: ReadonlySet<number> | undefined;

  get hasText(): boolean {
    return this.scanText !== undefined || this.text() !== undefined;
  }

  /**
   * `raw`: the record's source text, or a function finding it (called only when a long number needs it).
   * `scan`: text holding the record (the input line), searched for long numbers; the record's text by default.
   */
  reset(raw: string | (() => string | undefined) | undefined, scan?: string): void {
    this.given = raw;
    this.raw = undefined;
    this.resolved = false;
    this.scanText = scan;
    this.long = undefined;
  }

  /** Whether `data` may come from a long number (its shortest text may not be the digits sent). */
  isLong(data: number): boolean {
    return this.longNumbers().has(data);
  }

  /** The decimal value of the number at `instancePath` (a JSON Pointer), `data` being what JSON.parse made of it. */
  decimalAt(instancePath: string, data: number): Decimal | undefined {
    if (!this.longNumbers().has(data)) return decimalOfNumber(data);
    const text = this.textAt(instancePath);
    return text === undefined ? decimalOfNumber(data) : parseDecimal(text);
  }

  /** The number's source text at `instancePath`, or undefined (no source, or not a number there). */
  textAt(instancePath: string): string | undefined {
    const raw = this.text();
    if (raw === undefined) return undefined;
    const path =
      instancePath === ""
        ? []
        : instancePath
            .slice(1)
            .split("/")
            .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const range = valueRange(raw, path);
    if (!range) return undefined;
    const text = raw.slice(range.start, range.end);
    return /^-?\d/.test(text) ? text : undefined;
  }

  /** Whether a number could have been rounded to 0 (an exponent of -100 or below somewhere in the text). */
  mayUnderflow(): boolean {
    const scan = this.scanText ?? this.text();
    return scan !== undefined && /[eE]-\d{3}/.test(scan);
  }

  /** The doubles of the long numbers in the scanned text (empty when it has none). */
  private longNumbers(): ReadonlySet<number> {
    if (this.long) return this.long;
    const scan = this.scanText ?? this.text();
    this.long = NONE;
    // One test per line; the numbers are collected only from the rare line that has one.
    if (scan === undefined || !HAS_LONG_NUMBER.test(scan)) return this.long;
    const found = new Set<number>();
    for (const m of scan.matchAll(LONG_NUMBER)) found.add(Number(m[0]));
    return (this.long = found);
  }

  private text(): string | undefined {
    if (!this.resolved) {
      this.resolved = true;
      this.raw = typeof this.given === "function" ? this.given() : this.given;
    }
    return this.raw;
  }
}
