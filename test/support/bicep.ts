/**
 * A small reader for the Bicep templates under infra/azure, for tests: no Bicep compiler can be
 * installed where the project is developed, so the tests parse the templates themselves.
 *
 * It parses the declarations (param, var, type, resource, module, output) and the expression
 * language as far as the templates use it: literals, interpolated strings, objects and arrays
 * (newline or comma separated), for-expressions, lambdas, property access, indexing, calls, `!`,
 * ternaries and binary operators; and type expressions (names, `[]`, object types, `?`).
 * `evaluate` computes values from parameter values, with a handful of functions;
 * what only exists at deployment time (resource properties, principal ids) evaluates to a
 * `RuntimeValue` naming the expression. Anything it does not know throws, so a template change
 * the reader cannot follow fails the test rather than passing it silently.
 */

export type Expr =
  | { kind: 'string'; parts: (string | Expr)[] }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'ident'; name: string }
  | { kind: 'member'; object: Expr; name: string; safe: boolean }
  | { kind: 'index'; object: Expr; index: Expr }
  | { kind: 'call'; callee: string; args: Expr[] }
  | { kind: 'unary'; op: string; operand: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'ternary'; test: Expr; then: Expr; otherwise: Expr }
  | { kind: 'array'; items: Expr[] }
  | { kind: 'object'; entries: { key: string; value: Expr }[] }
  | { kind: 'for'; item: string; index?: string; source: Expr; body: Expr }
  | { kind: 'if'; test: Expr; body: Expr }
  | { kind: 'lambda'; params: string[]; body: Expr };

/** A type expression: `string`, `myType`, `T[]`, `{ @decorators name: T? … }`; `nullable` for `T?`. */
export type TypeExpr =
  | { kind: 'name'; name: string; nullable: boolean }
  | { kind: 'array'; of: TypeExpr; nullable: boolean }
  | { kind: 'object'; properties: TypeProperty[]; nullable: boolean };
export interface TypeProperty {
  name: string;
  type: TypeExpr;
  decorators: Decorator[];
}

export interface Decorator {
  name: string;
  args: Expr[];
}
export interface ParamDecl {
  name: string;
  /** The type as written (`string`, `tenantSpec[]`). */
  type: string;
  typeExpr: TypeExpr;
  default?: Expr;
  decorators: Decorator[];
}
export interface ResourceDecl {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  /** The declaration's value: an object, `if (…) {…}`, or a for-expression. */
  value: Expr;
  /** The resource body (inside any `if` or `for`). */
  body: Extract<Expr, { kind: 'object' }>;
}
export interface ModuleDecl {
  symbol: string;
  path: string;
  value: Expr;
  body: Extract<Expr, { kind: 'object' }>;
}
export interface BicepFile {
  text: string;
  targetScope?: Expr;
  params: Map<string, ParamDecl>;
  vars: Map<string, Expr>;
  types: Map<string, { type: TypeExpr; decorators: Decorator[] }>;
  resources: ResourceDecl[];
  modules: ModuleDecl[];
  outputs: Map<string, { type: string; value: Expr }>;
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

type Token =
  | { t: 'nl' }
  | { t: 'ident'; v: string }
  | { t: 'num'; v: number }
  | { t: 'str'; parts: (string | Expr)[] }
  | { t: 'punct'; v: string }
  | { t: 'eof' };

const PUNCT = [
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '.?',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  ':',
  '.',
  '?',
  '!',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      out.push({ t: 'nl' });
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated /* comment');
      i = end + 2;
    } else if (c === '#') {
      // #disable-next-line and other pragmas: the rest of the line.
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith("'''", i)) {
      const end = src.indexOf("'''", i + 3);
      if (end < 0) throw new Error("unterminated ''' string");
      out.push({ t: 'str', parts: [src.slice(i + 3, end)] });
      i = end + 3;
    } else if (c === "'") {
      const { parts, next } = readString(src, i);
      out.push({ t: 'str', parts });
      i = next;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      out.push({ t: 'ident', v: src.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[0-9]/.test(src[j]!)) j++;
      out.push({ t: 'num', v: Number(src.slice(i, j)) });
      i = j;
    } else {
      const p = PUNCT.find((x) => src.startsWith(x, i));
      if (p === undefined) throw new Error(`unexpected character ${JSON.stringify(c)} at ${lineOf(src, i)}`);
      out.push({ t: 'punct', v: p });
      i += p.length;
    }
  }
  out.push({ t: 'eof' });
  return out;
}

/** A '…' string from `start` (the quote): literal parts and parsed `${…}` interpolations. */
function readString(src: string, start: number): { parts: (string | Expr)[]; next: number } {
  const parts: (string | Expr)[] = [];
  let buf = '';
  let i = start + 1;
  for (;;) {
    if (i >= src.length) throw new Error(`unterminated string at ${lineOf(src, start)}`);
    const c = src[i]!;
    if (c === "'") break;
    if (c === '\\') {
      const e = src[i + 1];
      const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };
      if (e === undefined || !(e in map)) throw new Error(`bad escape at ${lineOf(src, i)}`);
      buf += map[e];
      i += 2;
    } else if (c === '$' && src[i + 1] === '{') {
      const end = matchingBrace(src, i + 1);
      if (buf) parts.push(buf);
      buf = '';
      parts.push(parseExpression(src.slice(i + 2, end)));
      i = end + 1;
    } else {
      buf += c;
      i++;
    }
  }
  if (buf || parts.length === 0) parts.push(buf);
  return { parts, next: i + 1 };
}

/** Index of the `}` closing the `{` at `open`, skipping nested strings. */
function matchingBrace(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "'") {
      i = readString(src, i).next - 1;
    } else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unbalanced { at ${lineOf(src, open)}`);
}

function lineOf(src: string, index: number): string {
  return `line ${src.slice(0, index).split('\n').length}`;
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }
  next(): Token {
    return this.tokens[this.pos++]!;
  }
  skipNewlines(): void {
    while (this.peek().t === 'nl') this.pos++;
  }
  isPunct(v: string): boolean {
    const t = this.peek();
    return t.t === 'punct' && t.v === v;
  }
  isIdent(v?: string): boolean {
    const t = this.peek();
    return t.t === 'ident' && (v === undefined || t.v === v);
  }
  expectPunct(v: string): void {
    const t = this.next();
    if (t.t !== 'punct' || t.v !== v) throw new Error(`expected ${v}, found ${JSON.stringify(t)}`);
  }
  expectIdent(v?: string): string {
    const t = this.next();
    if (t.t !== 'ident' || (v !== undefined && t.v !== v)) throw new Error(`expected ${v ?? 'an identifier'}, found ${JSON.stringify(t)}`);
    return t.v;
  }
  expectString(): string {
    const t = this.next();
    if (t.t !== 'str' || t.parts.length !== 1 || typeof t.parts[0] !== 'string')
      throw new Error(`expected a plain string, found ${JSON.stringify(t)}`);
    return t.parts[0];
  }

  file(text: string): BicepFile {
    const file: BicepFile = { text, params: new Map(), vars: new Map(), types: new Map(), resources: [], modules: [], outputs: new Map() };
    let decorators: Decorator[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.peek().t === 'eof') return file;
      if (this.isPunct('@')) {
        this.next();
        const call = this.postfix();
        if (call.kind === 'call') decorators.push({ name: call.callee, args: call.args });
        else if (call.kind === 'ident') decorators.push({ name: call.name, args: [] });
        else throw new Error('unexpected decorator');
        continue;
      }
      const keyword = this.expectIdent();
      switch (keyword) {
        case 'targetScope':
          this.expectPunct('=');
          file.targetScope = this.expression();
          break;
        case 'param': {
          const name = this.expectIdent();
          const typeExpr = this.typeExpression();
          const decl: ParamDecl = { name, type: renderType(typeExpr), typeExpr, decorators };
          if (this.isPunct('=')) {
            this.next();
            decl.default = this.expression();
          }
          file.params.set(name, decl);
          break;
        }
        case 'var': {
          const name = this.expectIdent();
          this.expectPunct('=');
          file.vars.set(name, this.expression());
          break;
        }
        case 'type': {
          const name = this.expectIdent();
          this.expectPunct('=');
          file.types.set(name, { type: this.typeExpression(), decorators });
          break;
        }
        case 'resource': {
          const symbol = this.expectIdent();
          const typeRef = this.expectString();
          const at = typeRef.lastIndexOf('@');
          const existing = this.isIdent('existing');
          if (existing) this.next();
          this.expectPunct('=');
          const value = this.declarationValue();
          file.resources.push({
            symbol,
            type: typeRef.slice(0, at),
            apiVersion: typeRef.slice(at + 1),
            existing,
            value,
            body: bodyOf(value),
          });
          break;
        }
        case 'module': {
          const symbol = this.expectIdent();
          const path = this.expectString();
          this.expectPunct('=');
          const value = this.declarationValue();
          file.modules.push({ symbol, path, value, body: bodyOf(value) });
          break;
        }
        case 'output': {
          const name = this.expectIdent();
          const type = this.expectIdent();
          this.expectPunct('=');
          file.outputs.set(name, { type, value: this.expression() });
          break;
        }
        default:
          throw new Error(`unsupported declaration ${keyword}`);
      }
      decorators = [];
      const end = this.peek();
      if (end.t !== 'nl' && end.t !== 'eof')
        throw new Error(`expected the end of the ${keyword} declaration, found ${JSON.stringify(end)}`);
    }
  }

  /** After `resource x '…' =`: `if (…) {…}`, `[for …: {…}]` or `{…}`. */
  declarationValue(): Expr {
    if (this.isIdent('if')) {
      this.next();
      this.expectPunct('(');
      const test = this.expression();
      this.expectPunct(')');
      return { kind: 'if', test, body: this.primary() };
    }
    return this.expression();
  }

  /** A type: a name or an object type, then any `[]` and an optional `?`. */
  typeExpression(): TypeExpr {
    let t: TypeExpr;
    if (this.isPunct('{')) {
      this.next();
      const properties: TypeProperty[] = [];
      for (;;) {
        this.skipNewlines();
        if (this.isPunct('}')) {
          this.next();
          break;
        }
        const decorators: Decorator[] = [];
        while (this.isPunct('@')) {
          this.next();
          const call = this.postfix();
          if (call.kind === 'call') decorators.push({ name: call.callee, args: call.args });
          else if (call.kind === 'ident') decorators.push({ name: call.name, args: [] });
          else throw new Error('unexpected decorator');
          this.skipNewlines();
        }
        const k = this.next();
        let name: string;
        if (k.t === 'ident') name = k.v;
        else if (k.t === 'str' && k.parts.length === 1 && typeof k.parts[0] === 'string') name = k.parts[0];
        else throw new Error(`unsupported property name ${JSON.stringify(k)}`);
        this.expectPunct(':');
        properties.push({ name, type: this.typeExpression(), decorators });
        if (this.isPunct(',')) this.next();
      }
      t = { kind: 'object', properties, nullable: false };
    } else {
      t = { kind: 'name', name: this.expectIdent(), nullable: false };
    }
    while (this.isPunct('[') && this.peek(1).t === 'punct' && (this.peek(1) as { v: string }).v === ']') {
      this.next();
      this.next();
      t = { kind: 'array', of: t, nullable: false };
    }
    if (this.isPunct('?')) {
      this.next();
      t = { ...t, nullable: true };
    }
    return t;
  }

  /** `x => …` or `(x, i) => …` ahead (a lambda), without consuming anything. */
  lambdaParams(): string[] | undefined {
    const isArrow = (t: Token) => t.t === 'punct' && t.v === '=>';
    if (this.peek().t === 'ident' && isArrow(this.peek(1))) return [(this.peek() as { v: string }).v];
    if (!this.isPunct('(')) return undefined;
    const names: string[] = [];
    let i = 1;
    for (;;) {
      const t = this.peek(i);
      if (t.t !== 'ident') return undefined;
      names.push(t.v);
      const sep = this.peek(i + 1);
      if (sep.t === 'punct' && sep.v === ',') {
        i += 2;
        continue;
      }
      if (sep.t === 'punct' && sep.v === ')' && isArrow(this.peek(i + 2))) return names;
      return undefined;
    }
  }

  expression(): Expr {
    const lambda = this.lambdaParams();
    if (lambda) {
      // Skip the parameters and the arrow.
      while (!(this.peek().t === 'punct' && (this.peek() as { v: string }).v === '=>')) this.next();
      this.next();
      this.skipNewlines();
      return { kind: 'lambda', params: lambda, body: this.expression() };
    }
    const test = this.binary(0);
    if (this.isPunct('?')) {
      this.next();
      this.skipNewlines();
      const then = this.expression();
      this.skipNewlines();
      this.expectPunct(':');
      this.skipNewlines();
      return { kind: 'ternary', test, then, otherwise: this.expression() };
    }
    return test;
  }

  binary(minPrec: number): Expr {
    const PREC: Record<string, number> = {
      '??': 1,
      '||': 2,
      '&&': 3,
      '==': 4,
      '!=': 4,
      '<': 5,
      '>': 5,
      '<=': 5,
      '>=': 5,
      '+': 6,
      '-': 6,
      '*': 7,
      '/': 7,
      '%': 7,
    };
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'punct' || !(t.v in PREC) || PREC[t.v]! < minPrec) return left;
      this.next();
      this.skipNewlines();
      const right = this.binary(PREC[t.v]! + 1);
      left = { kind: 'binary', op: t.v, left, right };
    }
  }

  unary(): Expr {
    if (this.isPunct('!') || this.isPunct('-')) {
      const op = (this.next() as { v: string }).v;
      return { kind: 'unary', op, operand: this.unary() };
    }
    return this.postfix();
  }

  postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isPunct('.') || this.isPunct('.?')) {
        const safe = (this.next() as { v: string }).v === '.?';
        e = { kind: 'member', object: e, name: this.expectIdent(), safe };
      } else if (this.isPunct('[')) {
        this.next();
        const index = this.expression();
        this.expectPunct(']');
        e = { kind: 'index', object: e, index };
      } else if (this.isPunct('(') && (e.kind === 'ident' || e.kind === 'member')) {
        // name(…) or a resource function such as storage.listKeys(…): callee is its text.
        const callee = e.kind === 'ident' ? e.name : render(e);
        this.next();
        const args: Expr[] = [];
        this.skipNewlines();
        while (!this.isPunct(')')) {
          args.push(this.expression());
          this.skipNewlines();
          if (this.isPunct(',')) this.next();
          this.skipNewlines();
        }
        this.next();
        e = { kind: 'call', callee, args };
      } else {
        return e;
      }
    }
  }

  primary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'str':
        return { kind: 'string', parts: t.parts };
      case 'num':
        return { kind: 'number', value: t.v };
      case 'ident':
        if (t.v === 'true' || t.v === 'false') return { kind: 'bool', value: t.v === 'true' };
        if (t.v === 'null') return { kind: 'null' };
        return { kind: 'ident', name: t.v };
      case 'punct':
        if (t.v === '(') {
          const e = this.expression();
          this.expectPunct(')');
          return e;
        }
        if (t.v === '[') return this.arrayRest();
        if (t.v === '{') return this.objectRest();
        break;
    }
    throw new Error(`unexpected ${JSON.stringify(t)}`);
  }

  arrayRest(): Expr {
    this.skipNewlines();
    if (this.isIdent('for')) {
      this.next();
      let item: string;
      let index: string | undefined;
      if (this.isPunct('(')) {
        this.next();
        item = this.expectIdent();
        this.expectPunct(',');
        index = this.expectIdent();
        this.expectPunct(')');
      } else {
        item = this.expectIdent();
      }
      this.expectIdent('in');
      const source = this.expression();
      this.expectPunct(':');
      this.skipNewlines();
      const body = this.declarationValue();
      this.skipNewlines();
      this.expectPunct(']');
      return index === undefined ? { kind: 'for', item, source, body } : { kind: 'for', item, index, source, body };
    }
    const items: Expr[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.isPunct(']')) {
        this.next();
        return { kind: 'array', items };
      }
      items.push(this.expression());
      if (this.isPunct(',')) this.next();
    }
  }

  objectRest(): Expr {
    const entries: { key: string; value: Expr }[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.isPunct('}')) {
        this.next();
        return { kind: 'object', entries };
      }
      const k = this.next();
      let key: string;
      if (k.t === 'ident') key = k.v;
      else if (k.t === 'str' && k.parts.length === 1 && typeof k.parts[0] === 'string') key = k.parts[0];
      else throw new Error(`unsupported object key ${JSON.stringify(k)}`);
      this.expectPunct(':');
      this.skipNewlines();
      entries.push({ key, value: this.expression() });
      if (this.isPunct(',')) this.next();
    }
  }
}

function bodyOf(value: Expr): Extract<Expr, { kind: 'object' }> {
  if (value.kind === 'object') return value;
  if (value.kind === 'if' || value.kind === 'for') return bodyOf(value.body);
  throw new Error(`a declaration whose value is ${value.kind}`);
}

export function parseExpression(src: string): Expr {
  const p = new Parser(tokenize(src).filter((t) => t.t !== 'nl'));
  const e = p.expression();
  if (p.peek().t !== 'eof') throw new Error(`trailing input in ${JSON.stringify(src)}`);
  return e;
}

export function parseBicep(text: string): BicepFile {
  return new Parser(tokenize(text)).file(text);
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/** The expression at `path` inside an object expression (`undefined` when absent). */
export function at(obj: Expr | undefined, ...path: string[]): Expr | undefined {
  let cur = obj;
  for (const key of path) {
    if (cur?.kind !== 'object') return undefined;
    cur = cur.entries.find((e) => e.key === key)?.value;
  }
  return cur;
}

export function resourcesOfType(file: BicepFile, type: string): ResourceDecl[] {
  return file.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

export function resource(file: BicepFile, symbol: string): ResourceDecl {
  const r = file.resources.find((x) => x.symbol === symbol);
  if (!r) throw new Error(`no resource ${symbol}`);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/** A value known only during the deployment (a resource property, a principal id). */
export class RuntimeValue {
  constructor(readonly expression: string) {}
  toString(): string {
    return `<runtime: ${this.expression}>`;
  }
}

export type Value = string | number | boolean | null | RuntimeValue | Value[] | { [key: string]: Value };

export interface EvalContext {
  file: BicepFile;
  /** Parameter values (a deployment's parameters); missing ones take the template default. */
  parameters: Record<string, unknown>;
}

export function evaluate(expr: Expr, ctx: EvalContext, locals: Record<string, Value> = {}): Value {
  const ev = (e: Expr) => evaluate(e, ctx, locals);
  switch (expr.kind) {
    case 'string': {
      let out = '';
      for (const part of expr.parts) {
        if (typeof part === 'string') {
          out += part;
          continue;
        }
        const v = ev(part);
        if (v instanceof RuntimeValue) return new RuntimeValue(render(expr));
        out += typeof v === 'string' ? v : JSON.stringify(v);
      }
      return out;
    }
    case 'number':
    case 'bool':
      return expr.value;
    case 'null':
      return null;
    case 'array':
      return expr.items.map(ev);
    case 'object':
      return Object.fromEntries(expr.entries.map((e) => [e.key, ev(e.value)]));
    case 'ident':
      return identifier(expr.name, ctx, locals);
    case 'member': {
      const target = expr.object;
      if (
        (target.kind === 'ident' && !(target.name in locals)) ||
        (target.kind === 'index' && target.object.kind === 'ident' && !(target.object.name in locals))
      ) {
        const symbol = target.kind === 'ident' ? target.name : (target.object as { name: string }).name;
        const res = ctx.file.resources.find((r) => r.symbol === symbol);
        if (res) return resourceMember(target, res, expr.name, ctx, locals);
      }
      const obj = ev(expr.object);
      if (obj instanceof RuntimeValue) return new RuntimeValue(render(expr));
      if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
        if (expr.name in obj) return obj[expr.name]!;
        if (expr.safe) return null;
      }
      throw new Error(`cannot evaluate ${render(expr)}`);
    }
    case 'index': {
      const obj = ev(expr.object);
      const i = ev(expr.index);
      if (Array.isArray(obj) && typeof i === 'number' && i < obj.length) return obj[i]!;
      if (
        obj !== null &&
        typeof obj === 'object' &&
        !Array.isArray(obj) &&
        !(obj instanceof RuntimeValue) &&
        typeof i === 'string' &&
        i in obj
      )
        return obj[i]!;
      throw new Error(`cannot evaluate ${render(expr)}`);
    }
    case 'call': {
      const lambdaAt = expr.args.findIndex((a) => a.kind === 'lambda');
      if (lambdaAt >= 0) return callWithLambda(expr, ctx, locals);
      return call(expr.callee, expr.args.map(ev), expr);
    }
    case 'unary': {
      const v = ev(expr.operand);
      if (expr.op === '!' && typeof v === 'boolean') return !v;
      if (expr.op === '-' && typeof v === 'number') return -v;
      throw new Error(`cannot evaluate ${render(expr)}`);
    }
    case 'binary': {
      const l = ev(expr.left);
      // As in Bicep, the right side of ??, && and || is evaluated only when needed.
      if (expr.op === '??' && l !== null) return l;
      if (expr.op === '&&' && l === false) return false;
      if (expr.op === '||' && l === true) return true;
      const r = ev(expr.right);
      switch (expr.op) {
        case '==':
          return JSON.stringify(l) === JSON.stringify(r);
        case '!=':
          return JSON.stringify(l) !== JSON.stringify(r);
        case '&&':
          return l === true && r === true;
        case '||':
          return l === true || r === true;
        case '??':
          return l ?? r;
        case '+':
          if (typeof l === 'number' && typeof r === 'number') return l + r;
          break;
        case '<':
        case '<=':
        case '>':
        case '>=':
          if (typeof l === 'number' && typeof r === 'number') return { '<': l < r, '<=': l <= r, '>': l > r, '>=': l >= r }[expr.op];
      }
      throw new Error(`cannot evaluate ${render(expr)}`);
    }
    case 'ternary': {
      const t = ev(expr.test);
      if (typeof t !== 'boolean') throw new Error(`cannot evaluate ${render(expr)}`);
      return t ? ev(expr.then) : ev(expr.otherwise);
    }
    case 'for': {
      const source = ev(expr.source);
      if (!Array.isArray(source)) throw new Error(`cannot evaluate ${render(expr)}`);
      return source.map((item, i) =>
        evaluate(expr.body, ctx, { ...locals, [expr.item]: item, ...(expr.index ? { [expr.index]: i } : {}) }),
      );
    }
    case 'if':
      throw new Error('an if-declaration is not a value');
    case 'lambda':
      throw new Error(`a lambda is only an argument of map, filter and the like: ${render(expr)}`);
  }
}

/** map, filter, … : the lambda is applied to each item of the array (with its index as a second parameter). */
function callWithLambda(expr: Extract<Expr, { kind: 'call' }>, ctx: EvalContext, locals: Record<string, Value>): Value {
  const [source, fn] = expr.args;
  if (expr.args.length !== 2 || fn?.kind !== 'lambda') throw new Error(`cannot evaluate ${render(expr)}`);
  const items = evaluate(source!, ctx, locals);
  if (!Array.isArray(items)) throw new Error(`cannot evaluate ${render(expr)}: not an array`);
  const apply = (item: Value, i: number) =>
    evaluate(fn.body, ctx, { ...locals, [fn.params[0]!]: item, ...(fn.params[1] ? { [fn.params[1]]: i } : {}) });
  switch (expr.callee) {
    case 'map':
      return items.map(apply);
    case 'filter':
      return items.filter((item, i) => {
        const keep = apply(item, i);
        if (typeof keep !== 'boolean') throw new Error(`cannot evaluate ${render(expr)}: the lambda is not a predicate`);
        return keep;
      });
  }
  throw new Error(`cannot evaluate ${render(expr)}`);
}

function identifier(name: string, ctx: EvalContext, locals: Record<string, Value>): Value {
  if (name in locals) return locals[name]!;
  const param = ctx.file.params.get(name);
  if (param) {
    if (name in ctx.parameters) return ctx.parameters[name] as Value;
    if (param.default) return evaluate(param.default, ctx);
    throw new Error(`parameter ${name} has no value and no default`);
  }
  const v = ctx.file.vars.get(name);
  if (v) return evaluate(v, ctx);
  throw new Error(`unknown identifier ${name}`);
}

/** `res.name`, `res.id` (a stand-in with the type and name), `res[i].name`…; anything else is known only at deployment. */
function resourceMember(target: Expr, res: ResourceDecl, member: string, ctx: EvalContext, locals: Record<string, Value>): Value {
  if (member === 'name' || member === 'id') {
    const ref = resolveResource(target, ctx.file, ctx, locals);
    if (typeof ref.name === 'string') return member === 'name' ? ref.name : `<${res.type}/${ref.name}>`;
  }
  return new RuntimeValue(`${render(target)}.${member}`);
}

// ---------------------------------------------------------------------------------------------
// Resource and module instances
// ---------------------------------------------------------------------------------------------

/**
 * The instances a declaration deploys, each as the loop variables of its body: one for a plain
 * declaration, none for `if (false)`, one per item for a loop (`[for x in …: if (…) {…}]`).
 */
export function instancesOf(decl: { value: Expr }, ctx: EvalContext, locals: Record<string, Value> = {}): Record<string, Value>[] {
  const value = decl.value;
  switch (value.kind) {
    case 'object':
      return [locals];
    case 'if': {
      const test = evaluate(value.test, ctx, locals);
      if (typeof test !== 'boolean') throw new Error(`cannot evaluate the condition ${render(value.test)}`);
      return test ? instancesOf({ value: value.body }, ctx, locals) : [];
    }
    case 'for':
      return loopLocals(value, ctx, locals).flatMap((l) => instancesOf({ value: value.body }, ctx, l));
    default:
      throw new Error(`a declaration whose value is ${value.kind}`);
  }
}

/** The loop variables of each item of a for-expression. */
function loopLocals(loop: Extract<Expr, { kind: 'for' }>, ctx: EvalContext, locals: Record<string, Value>): Record<string, Value>[] {
  const source = evaluate(loop.source, ctx, locals);
  if (!Array.isArray(source)) throw new Error(`cannot evaluate ${render(loop.source)}: not an array`);
  return source.map((item, i) => ({ ...locals, [loop.item]: item, ...(loop.index ? { [loop.index]: i } : {}) }));
}

/** A resource a reference (`sym` or `sym[i]`) names: its type and its name, and its parents' names, outermost first. */
export interface ResourceRef {
  symbol: string;
  type: string;
  name: Value;
  /** `storageAccounts/lake/blobServices/default/containers/jobs`: each type segment with its name. */
  path: string;
}

export function resolveResource(ref: Expr, file: BicepFile, ctx: EvalContext, locals: Record<string, Value> = {}): ResourceRef {
  let symbol: string;
  let declLocals: Record<string, Value> = {};
  if (ref.kind === 'ident') symbol = ref.name;
  else if (ref.kind === 'index' && ref.object.kind === 'ident') symbol = ref.object.name;
  else throw new Error(`not a resource reference: ${render(ref)}`);
  const decl = file.resources.find((r) => r.symbol === symbol);
  if (!decl) throw new Error(`no resource ${symbol}`);
  const loop = decl.value.kind === 'for' ? decl.value : undefined;
  if (ref.kind === 'index') {
    if (!loop) throw new Error(`${symbol} is not a collection: ${render(ref)}`);
    const i = evaluate(ref.index, ctx, locals);
    const all = loopLocals(loop, ctx, {});
    if (typeof i !== 'number' || i >= all.length) throw new Error(`cannot evaluate ${render(ref)}`);
    declLocals = all[i]!;
  } else if (loop) {
    throw new Error(`${symbol} is a collection: index it (${symbol}[i])`);
  }
  const nameExpr = at(decl.body, 'name');
  const name = nameExpr ? evaluate(nameExpr, ctx, declLocals) : null;
  const parentExpr = at(decl.body, 'parent');
  const parent = parentExpr ? resolveResource(parentExpr, file, ctx, declLocals) : undefined;
  const segment = `${decl.type.split('/').pop()!}/${name instanceof RuntimeValue ? `<${name.expression}>` : String(name)}`;
  return { symbol, type: decl.type, name, path: parent ? `${parent.path}/${segment}` : segment };
}

function call(fn: string, args: Value[], expr: Expr): Value {
  const [a, b] = args;
  const known = !args.some((v) => v instanceof RuntimeValue);
  switch (fn) {
    case 'concat':
      if (args.every(Array.isArray)) return (args as Value[][]).flat();
      if (args.every((v) => typeof v === 'string')) return args.join('');
      break;
    case 'contains':
      if (Array.isArray(a) && known) return a.some((v) => JSON.stringify(v) === JSON.stringify(b));
      if (typeof a === 'string' && typeof b === 'string') return a.includes(b);
      if (a !== null && typeof a === 'object' && !(a instanceof RuntimeValue) && typeof b === 'string') return Object.hasOwn(a, b);
      break;
    case 'flatten':
      if (Array.isArray(a) && a.every(Array.isArray)) return (a as Value[][]).flat();
      break;
    case 'length':
      if (typeof a === 'string' || Array.isArray(a)) return a.length;
      if (a !== null && typeof a === 'object' && !(a instanceof RuntimeValue)) return Object.keys(a).length;
      break;
    case 'range':
      if (typeof a === 'number' && typeof b === 'number') return Array.from({ length: b }, (_, i) => a + i);
      break;
    case 'string':
      if (a instanceof RuntimeValue) return new RuntimeValue(render(expr));
      return typeof a === 'string' ? a : JSON.stringify(a);
    case 'union':
      if (args.every(Array.isArray))
        return [...new Set((args as Value[][]).flat().map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as Value);
      break;
    case 'empty':
      if (typeof a === 'string' || Array.isArray(a)) return a.length === 0;
      if (a !== null && typeof a === 'object' && !(a instanceof RuntimeValue)) return Object.keys(a).length === 0;
      break;
    case 'take':
      if (typeof a === 'string' && typeof b === 'number') return a.slice(0, b);
      break;
    case 'join':
      if (Array.isArray(a) && a.every((v) => typeof v === 'string') && typeof b === 'string') return a.join(b);
      break;
    case 'uniqueString':
      return new RuntimeValue(render(expr));
    case 'resourceGroup':
      if (args.length === 0) return { id: '<resourceGroup>', name: '<resourceGroup>', location: '<location>' };
      break;
    case 'subscriptionResourceId':
      if (typeof a === 'string' && typeof b === 'string') return `/subscriptions/<subscription>/providers/${a}/${b}`;
      break;
    case 'guid':
      // Known at deployment only, but the same arguments give the same name: a stand-in made of them.
      return new RuntimeValue(`guid(${args.map((v) => (v instanceof RuntimeValue ? v.expression : JSON.stringify(v))).join(', ')})`);
  }
  throw new Error(`cannot evaluate ${render(expr)}`);
}

/** Bicep-like text of an expression, for messages. */
export function render(e: Expr): string {
  switch (e.kind) {
    case 'string':
      return `'${e.parts.map((p) => (typeof p === 'string' ? p : `\${${render(p)}}`)).join('')}'`;
    case 'number':
    case 'bool':
      return String(e.value);
    case 'null':
      return 'null';
    case 'ident':
      return e.name;
    case 'member':
      return `${render(e.object)}${e.safe ? '.?' : '.'}${e.name}`;
    case 'index':
      return `${render(e.object)}[${render(e.index)}]`;
    case 'call':
      return `${e.callee}(${e.args.map(render).join(', ')})`;
    case 'unary':
      return `${e.op}${render(e.operand)}`;
    case 'binary':
      return `${render(e.left)} ${e.op} ${render(e.right)}`;
    case 'ternary':
      return `${render(e.test)} ? ${render(e.then)} : ${render(e.otherwise)}`;
    case 'array':
      return `[${e.items.map(render).join(', ')}]`;
    case 'object':
      return `{ ${e.entries.map((x) => `${x.key}: ${render(x.value)}`).join(', ')} }`;
    case 'for':
      return `[for ${e.index ? `(${e.item}, ${e.index})` : e.item} in ${render(e.source)}: ${render(e.body)}]`;
    case 'if':
      return `if (${render(e.test)}) ${render(e.body)}`;
    case 'lambda':
      return `${e.params.length === 1 ? e.params[0]! : `(${e.params.join(', ')})`} => ${render(e.body)}`;
  }
}

/** Bicep text of a type expression. */
export function renderType(t: TypeExpr): string {
  const q = t.nullable ? '?' : '';
  switch (t.kind) {
    case 'name':
      return `${t.name}${q}`;
    case 'array':
      return t.of.nullable ? `(${renderType(t.of)})[]${q}` : `${renderType(t.of)}[]${q}`;
    case 'object':
      return `{ ${t.properties.map((p) => `${p.name}: ${renderType(p.type)}`).join(', ')} }${q}`;
  }
}

/**
 * Problems of a value against a type, as a deployment would report them: a missing required
 * property, an unknown one, a wrong primitive, and @minLength/@maxLength/@minValue/@maxValue.
 */
export function typeProblems(value: unknown, type: TypeExpr, file: BicepFile, path = '', decorators: Decorator[] = []): string[] {
  const where = path || 'value';
  if (value === null || value === undefined) return type.nullable ? [] : [`${where}: required`];
  const problems: string[] = [];
  const bound = (name: string) => {
    const d = decorators.find((x) => x.name === name);
    return d?.args[0] ? Number(evaluate(d.args[0], { file, parameters: {} })) : undefined;
  };
  const size = typeof value === 'string' || Array.isArray(value) ? value.length : undefined;
  const minLength = bound('minLength');
  const maxLength = bound('maxLength');
  if (size !== undefined && minLength !== undefined && size < minLength) problems.push(`${where}: at least ${minLength} long`);
  if (size !== undefined && maxLength !== undefined && size > maxLength) problems.push(`${where}: at most ${maxLength} long`);
  switch (type.kind) {
    case 'name': {
      const declared = file.types.get(type.name);
      if (declared)
        return [
          ...problems,
          ...typeProblems(value, { ...declared.type, nullable: type.nullable }, file, path, [...declared.decorators, ...decorators]),
        ];
      const js: Record<string, (v: unknown) => boolean> = {
        string: (v) => typeof v === 'string',
        int: (v) => Number.isInteger(v),
        bool: (v) => typeof v === 'boolean',
        object: (v) => typeof v === 'object' && !Array.isArray(v),
        array: Array.isArray,
      };
      const check = js[type.name];
      if (!check) throw new Error(`unknown type ${type.name}`);
      if (!check(value)) problems.push(`${where}: a ${type.name}`);
      return problems;
    }
    case 'array':
      if (!Array.isArray(value)) return [...problems, `${where}: an array`];
      return [...problems, ...value.flatMap((v, i) => typeProblems(v, type.of, file, `${where}[${i}]`))];
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [...problems, `${where}: an object`];
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record))
        if (!type.properties.some((p) => p.name === key)) problems.push(`${where}.${key}: not a property of the type`);
      for (const p of type.properties)
        problems.push(...typeProblems(record[p.name], p.type, file, path ? `${path}.${p.name}` : p.name, p.decorators));
      return problems;
    }
  }
}
