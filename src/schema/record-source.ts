import { decimalOfNumber, parseDecimal, type Decimal } from "./exact-decimal.js";
import { LosslessNumber, parseLossless, type LosslessValue } from "./lossless-json.js";

/**
 * A number with 16 or more significant digits (a dot may sit among them): the only kind whose double's shortest
 * text can differ from the digits sent (1.0000000000000001 → 1, 9007199254740993 → 9007199254740992).
 */
const LONG_NUMBER = /\d(?:\.?\d){15}/;

/**
 * The source text of the record being validated, for the keywords that judge a number by its digits. A value's
 * text is looked up (one lossless parse per record) only when the record has a long number; otherwise the
 * double's shortest text is the number's own decimal value.
 */
export class RecordSource {
  private given: string | (() => string | undefined) | undefined;
  private raw: string | undefined;
  private resolved = false;
  private long: boolean | undefined;
  private parsed: LosslessValue | undefined;

  get hasText(): boolean {
    return this.text() !== undefined;
  }

  /** The record's source text, or a function finding it (called only when a long number needs it). */
  reset(raw: string | (() => string | undefined) | undefined): void {
    this.given = raw;
    this.raw = undefined;
    this.resolved = false;
    this.long = undefined;
    this.parsed = undefined;
  }

  /** The decimal value of the number at `instancePath` (a JSON Pointer), `data` being what JSON.parse made of it. */
  decimalAt(instancePath: string, data: number): Decimal | undefined {
    const raw = this.text();
    if (raw === undefined || !(this.long ??= LONG_NUMBER.test(raw))) return decimalOfNumber(data);
    const text = this.textAt(instancePath);
    return text === undefined ? decimalOfNumber(data) : parseDecimal(text);
  }

  /** The number's source text at `instancePath`, or undefined (no source, or not a number there). */
  textAt(instancePath: string): string | undefined {
    const raw = this.text();
    if (raw === undefined) return undefined;
    let at: LosslessValue | undefined = (this.parsed ??= parseLossless(raw));
    if (instancePath !== "") {
      for (const encoded of instancePath.slice(1).split("/")) {
        const part = encoded.replace(/~1/g, "/").replace(/~0/g, "~");
        if (Array.isArray(at)) at = at[Number(part)];
        else if (at !== null && typeof at === "object" && !(at instanceof LosslessNumber)) at = Object.prototype.hasOwnProperty.call(at, part) ? at[part] : undefined;
        else return undefined;
      }
    }
    return at instanceof LosslessNumber ? at.text : undefined;
  }

  private text(): string | undefined {
    if (!this.resolved) {
      this.resolved = true;
      this.raw = typeof this.given === "function" ? this.given() : this.given;
    }
    return this.raw;
  }
}
