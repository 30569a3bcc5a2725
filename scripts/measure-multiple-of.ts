/**
 * Rejection rates of `multipleOf` by the record validator (issue 16): every 2-decimal price 0.00–10,000.00 under
 * multipleOf 0.01, and 100,000 random 4- and 6-decimal values under 0.0001 / 0.000001, plus huge quotients.
 * Run: `npm run build && node dist/scripts/measure-multiple-of.js`. A value's text is its own line's digits.
 */
import { compileValidator } from "../src/schema/validator.js";

function rate(multipleOf: number, texts: string[]): string {
  const check = compileValidator({ type: "object", properties: { v: { type: "number", multipleOf } } });
  let rejected = 0;
  for (const t of texts) if (check(JSON.parse(`{"v":${t}}`) as Record<string, unknown>, `{"v":${t}}`) !== undefined) rejected++;
  return `${rejected} of ${texts.length} rejected (${((100 * rejected) / texts.length).toFixed(2)}%)`;
}

function randomDecimals(scale: number, count: number): string[] {
  const out: string[] = [];
  let seed = 42;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < count; i++) out.push((Math.floor(next() * 1e6) + next()).toFixed(scale));
  return out;
}

const prices: string[] = [];
for (let cents = 0; cents <= 1_000_000; cents++) prices.push(`${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`);
console.log(`2-decimal prices 0.00-10000.00, multipleOf 0.01: ${rate(0.01, prices)}`);
console.log(`4-decimal values, multipleOf 0.0001: ${rate(0.0001, randomDecimals(4, 100_000))}`);
console.log(`6-decimal values, multipleOf 0.000001: ${rate(0.000001, randomDecimals(6, 100_000))}`);
const huge = ["12345678901234567890.12", "99999999999999999999999.99", "1e21", "123456789012345678901234567890"];
console.log(`huge quotients, multipleOf 0.01: ${rate(0.01, huge)}`);
console.log(`huge integers, multipleOf 1: ${rate(1, ["1e21", "123456789012345678901234567890", "9223372036854775808"])}`);
console.log(`1.0000000000000001 (not a multiple), multipleOf 0.01: ${rate(0.01, ["1.0000000000000001"])}`);
