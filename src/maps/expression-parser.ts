/**
 * A parser for the Python expression subset that Singer SDK stream maps accept (the SDK evaluates them with
 * simpleeval): literals, names, `record[...]`, attribute access, calls, arithmetic, comparisons (chained),
 * `and`/`or`/`not`, `in`/`not in`, `is`/`is not`, conditional `a if c else b`, list and dict literals, slices.
 * Precedence climbing over Python's operator table; nothing is ever handed to eval or Function.
 */

export type Node =
  | { k: "lit"; v: null | boolean | string | bigint | number }
  | { k: "name"; id: string }
  | { k: "list"; items: Node[] }
  | { k: "dict"; entries: Array<[Node, Node]> }
  | { k: "attr"; obj: Node; name: string }
  | { k: "index"; obj: Node; index: Node }
  | { k: "slice"; obj: Node; lo: Node | undefined; hi: Node | undefined; step: Node | undefined }
  | { k: "call"; fn: Node; args: Node[] }
  | { k: "unary"; op: "-" | "+"; x: Node }
  | { k: "not"; x: Node }
  | { k: "bin"; op: BinOp; l: Node; r: Node }
  | { k: "bool"; op: "and" | "or"; l: Node; r: Node }
  | { k: "cmp"; first: Node; rest: Array<{ op: CmpOp; r: Node }> }
  | { k: "cond"; test: Node; then: Node; else: Node };

export type BinOp = "+" | "-" | "*" | "/" | "//" | "%" | "**";
export type CmpOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not";

/** A syntax error in an expression: `at` is the character offset. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(`${message} at character ${at + 1}`);
  }
}

type Token =
  | { t: "num"; v: bigint | number; at: number }
  | { t: "str"; v: string; at: number }
  | { t: "name"; v: string; at: number }
  | { t: "op"; v: string; at: number }
  | { t: "end"; at: number };

const KEYWORDS = new Set(["and", "or", "not", "in", "is", "if", "else", "True", "False", "None", "lambda", "for"]);
const OPERATORS = ["**", "//", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}", ",", ".", ":"];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    const num = /^(?:\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num) {
      const text = num[0].replace(/_/g, "");
      out.push({ t: "num", v: /^\d+$/.test(text) ? BigInt(text) : Number(text), at });
      i += num[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const [value, end] = readString(src, i);
      out.push({ t: "str", v: value, at });
      i = end;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      out.push({ t: "name", v: name[0], at });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionSyntaxError(`unexpected character '${c}'`, i);
    out.push({ t: "op", v: op, at });
    i += op.length;
  }
  out.push({ t: "end", at: src.length });
  return out;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

function readString(src: string, start: number): [string, number] {
  const quote = src[start];
  let out = "";
  let i = start + 1;
  while (i < src.length && src[i] !== quote) {
    if (src[i] === "\\") {
      const e = src[i + 1] ?? "";
      if (e === "x" || e === "u") {
        const len = e === "x" ? 2 : 4;
        const hex = src.slice(i + 2, i + 2 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new ExpressionSyntaxError("bad escape in string", i);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2 + len;
        continue;
      }
      out += ESCAPES[e] ?? `\\${e}`;
      i += 2;
      continue;
    }
    out += src[i];
    i++;
  }
  if (i >= src.length) throw new ExpressionSyntaxError("unterminated string", start);
  return [out, i + 1];
}

/** Parses one expression; throws ExpressionSyntaxError. */
export function parseExpression(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token => tokens[pos] ?? { t: "end", at: src.length };
  const isOp = (v: string): boolean => {
    const t = peek();
    return t.t === "op" && t.v === v;
  };
  const isKw = (v: string): boolean => {
    const t = peek();
    return t.t === "name" && t.v === v;
  };
  const expect = (v: string): void => {
    if (!isOp(v)) throw new ExpressionSyntaxError(`expected '${v}'`, peek().at);
    pos++;
  };

  function conditional(): Node {
    const then = orExpr();
    if (!isKw("if")) return then;
    pos++;
    const test = orExpr();
    if (!isKw("else")) throw new ExpressionSyntaxError("expected 'else'", peek().at);
    pos++;
    return { k: "cond", test, then, else: conditional() };
  }
  function orExpr(): Node {
    let l = andExpr();
    while (isKw("or")) {
      pos++;
      l = { k: "bool", op: "or", l, r: andExpr() };
    }
    return l;
  }
  function andExpr(): Node {
    let l = notExpr();
    while (isKw("and")) {
      pos++;
      l = { k: "bool", op: "and", l, r: notExpr() };
    }
    return l;
  }
  function notExpr(): Node {
    if (isKw("not")) {
      pos++;
      return { k: "not", x: notExpr() };
    }
    return comparison();
  }
  function cmpOp(): CmpOp | undefined {
    const t = peek();
    if (t.t === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      pos++;
      return t.v as CmpOp;
    }
    if (isKw("in")) {
      pos++;
      return "in";
    }
    const next = tokens[pos + 1];
    if (isKw("not") && next?.t === "name" && next.v === "in") {
      pos += 2;
      return "not in";
    }
    if (isKw("is")) {
      pos++;
      if (isKw("not")) {
        pos++;
        return "is not";
      }
      return "is";
    }
    return undefined;
  }
  function comparison(): Node {
    const first = additive();
    const rest: Array<{ op: CmpOp; r: Node }> = [];
    for (let op = cmpOp(); op !== undefined; op = cmpOp()) rest.push({ op, r: additive() });
    return rest.length === 0 ? first : { k: "cmp", first, rest };
  }
  function additive(): Node {
    let l = multiplicative();
    while (isOp("+") || isOp("-")) {
      const op = (peek() as { v: string }).v as BinOp;
      pos++;
      l = { k: "bin", op, l, r: multiplicative() };
    }
    return l;
  }
  function multiplicative(): Node {
    let l = unary();
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
      const op = (peek() as { v: string }).v as BinOp;
      pos++;
      l = { k: "bin", op, l, r: unary() };
    }
    return l;
  }
  function unary(): Node {
    if (isOp("-") || isOp("+")) {
      const op = (peek() as { v: string }).v as "-" | "+";
      pos++;
      return { k: "unary", op, x: unary() };
    }
    return power();
  }
  function power(): Node {
    const base = postfix();
    if (!isOp("**")) return base;
    pos++;
    return { k: "bin", op: "**", l: base, r: unary() }; // right-associative, binds tighter than a unary minus on its left
  }
  function postfix(): Node {
    let node = atom();
    for (;;) {
      if (isOp(".")) {
        pos++;
        const t = peek();
        if (t.t !== "name") throw new ExpressionSyntaxError("expected a name after '.'", t.at);
        pos++;
        node = { k: "attr", obj: node, name: t.v };
      } else if (isOp("(")) {
        pos++;
        const args = items(")");
        node = { k: "call", fn: node, args };
      } else if (isOp("[")) {
        pos++;
        node = subscript(node);
      } else return node;
    }
  }
  function subscript(obj: Node): Node {
    const part = (): Node | undefined => (isOp(":") || isOp("]") ? undefined : conditional());
    const lo = part();
    if (isOp("]")) {
      pos++;
      if (!lo) throw new ExpressionSyntaxError("empty subscript", peek().at);
      return { k: "index", obj, index: lo };
    }
    expect(":");
    const hi = part();
    let step: Node | undefined;
    if (isOp(":")) {
      pos++;
      step = part();
    }
    expect("]");
    return { k: "slice", obj, lo, hi, step };
  }
  function items(close: string): Node[] {
    const out: Node[] = [];
    while (!isOp(close)) {
      if (isOp("*") || isOp("**")) throw new ExpressionSyntaxError("argument unpacking is not supported", peek().at);
      out.push(conditional());
      if (!isOp(",")) break;
      pos++;
    }
    expect(close);
    return out;
  }
  function atom(): Node {
    const t = peek();
    pos++;
    switch (t.t) {
      case "num":
        return { k: "lit", v: t.v };
      case "str": {
        let v = t.v;
        while (peek().t === "str") v += (tokens[pos++] as { v: string }).v; // 'a' 'b' is 'ab' in Python
        return { k: "lit", v };
      }
      case "name":
        if (t.v === "True" || t.v === "False") return { k: "lit", v: t.v === "True" };
        if (t.v === "None") return { k: "lit", v: null };
        if (t.v === "lambda" || t.v === "for") throw new ExpressionSyntaxError(`'${t.v}' is not supported in stream map expressions`, t.at);
        if (KEYWORDS.has(t.v)) throw new ExpressionSyntaxError(`unexpected '${t.v}'`, t.at);
        return { k: "name", id: t.v };
      case "op":
        if (t.v === "(") {
          const inner = conditional();
          expect(")");
          return inner;
        }
        if (t.v === "[") return { k: "list", items: items("]") };
        if (t.v === "{") return dict();
        throw new ExpressionSyntaxError(`unexpected '${t.v}'`, t.at);
      case "end":
        throw new ExpressionSyntaxError("unexpected end of expression", t.at);
    }
  }
  function dict(): Node {
    const entries: Array<[Node, Node]> = [];
    while (!isOp("}")) {
      const key = conditional();
      expect(":");
      entries.push([key, conditional()]);
      if (!isOp(",")) break;
      pos++;
    }
    expect("}");
    return { k: "dict", entries };
  }

  const node = conditional();
  if (peek().t !== "end") throw new ExpressionSyntaxError("unexpected text after the expression", peek().at);
  return node;
}

/** Every name an expression reads (not attribute names). */
export function namesIn(node: Node, out = new Set<string>()): Set<string> {
  switch (node.k) {
    case "lit":
      break;
    case "name":
      out.add(node.id);
      break;
    case "list":
      node.items.forEach((n) => namesIn(n, out));
      break;
    case "dict":
      node.entries.forEach(([a, b]) => (namesIn(a, out), namesIn(b, out)));
      break;
    case "attr":
      namesIn(node.obj, out);
      break;
    case "index":
      namesIn(node.obj, out);
      namesIn(node.index, out);
      break;
    case "slice":
      for (const n of [node.obj, node.lo, node.hi, node.step]) if (n) namesIn(n, out);
      break;
    case "call":
      namesIn(node.fn, out);
      node.args.forEach((n) => namesIn(n, out));
      break;
    case "unary":
    case "not":
      namesIn(node.x, out);
      break;
    case "bin":
    case "bool":
      namesIn(node.l, out);
      namesIn(node.r, out);
      break;
    case "cmp":
      namesIn(node.first, out);
      node.rest.forEach((c) => namesIn(c.r, out));
      break;
    case "cond":
      namesIn(node.test, out);
      namesIn(node.then, out);
      namesIn(node.else, out);
      break;
  }
  return out;
}
