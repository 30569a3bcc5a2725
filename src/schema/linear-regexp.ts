import { RE2JS } from "re2js";

/**
 * The regular-expression engine of record validation (`pattern`, `patternProperties`): RE2 semantics, linear time
 * in the input whatever the pattern, so `^(a+)+$` against "aaaa…!" cannot spin (ReDoS). re2js is a pure
 * JavaScript port of RE2: no native build, no install script, nothing downloaded. A pattern RE2 cannot run
 * (backreferences, lookahead) is refused when the SCHEMA arrives, with the sentence below.
 */
export class UnsupportedPatternError extends Error {}

export interface LinearRegExp {
  test(text: string): boolean;
}

/** ajv's `code.regExp` engine: `(pattern, flags) → { test }`. JSON Schema patterns are unanchored searches. */
export function linearRegExp(pattern: string, flags?: string): LinearRegExp {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), flags?.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnsupportedPatternError(
      `pattern ${JSON.stringify(pattern)} cannot be run in linear time by RE2 (${reason}; backreferences and lookaround are not supported): simplify the pattern in the schema, or set validate_constraints to ignore`,
    );
  }
  return { test: (text) => compiled.test(text) };
}
linearRegExp.code = 'require("re2js").linearRegExp';
