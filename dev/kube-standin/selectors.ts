/**
 * Label and field selectors, parsed and matched as k8s.io/apimachinery/pkg/labels (selector.go:
 * the lexer/parser of `labelSelector`) and pkg/fields (selector.go: `fieldSelector`) do. Pure.
 */
import { isQualifiedName, isValidLabelValue } from './nameRules.js';

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

type TokenKind = 'identifier' | 'in' | 'notin' | '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly literal: string;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      // longest special token first, as the real lexer scans special characters greedily
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: two, literal: two });
        i += 2;
      } else {
        tokens.push({ kind: c as TokenKind, literal: c });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j] ?? '') && !isWhitespace(input[j] ?? '')) j++;
    const word = input.slice(i, j);
    tokens.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'identifier', literal: word });
    i = j;
  }
  tokens.push({ kind: 'end', literal: '' });
  return tokens;
}

function validateKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length > 0) throw new SelectorError(`unable to parse requirement: key: Invalid value: "${key}": ${errs.join('; ')}`);
}

function validateValue(key: string, value: string, index: number): void {
  const errs = isValidLabelValue(value);
  if (errs.length > 0)
    throw new SelectorError(`unable to parse requirement: values[${index}][${key}]: Invalid value: "${value}": ${errs.join('; ')}`);
}

/** labels.Parse. An empty (or blank) selector selects everything. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const tokens = lex(input);
  let pos = 0;
  const peek = (): Token => tokens[pos] ?? { kind: 'end', literal: '' };
  const next = (): Token => {
    const t = peek();
    if (pos < tokens.length - 1) pos++;
    return t;
  };
  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  // In value position the keywords `in` and `notin` are plain identifiers (the lexer's Values mode).
  const isValueIdentifier = (t: Token) => t.kind === 'identifier' || t.kind === 'in' || t.kind === 'notin';
  // selector.go parseValues + parseIdentifiersList: `()` and empty items stand for "".
  const parseValueSet = (): Set<string> => {
    const open = next();
    if (open.kind !== '(') throw new SelectorError(`found '${open.literal}' expected: '('`);
    const values = new Set<string>();
    const first = peek();
    if (first.kind === ')') {
      next();
      values.add('');
      return values;
    }
    if (!isValueIdentifier(first) && first.kind !== ',')
      throw new SelectorError(`found '${first.literal}', expected: ',', ')' or identifier`);
    for (;;) {
      const t = next();
      if (isValueIdentifier(t)) {
        values.add(t.literal);
        const after = peek();
        if (after.kind === ',') {
          next();
          if (peek().kind === ')') {
            next();
            values.add('');
            return values;
          }
          continue;
        }
        if (after.kind === ')') {
          next();
          return values;
        }
        throw new SelectorError(`found '${after.literal}', expected: ',' or ')'`);
      }
      if (t.kind === ',') {
        values.add('');
        if (peek().kind === ')') {
          next();
          return values;
        }
        continue;
      }
      throw new SelectorError(`found '${t.literal}', expected: ',', or identifier`);
    }
  };

  // selector.go parseRequirement: its errors come back as "unable to parse requirement: …"
  const requirement = (): LabelRequirement => {
    let token = next();
    let negated = false;
    if (token.kind === '!') {
      negated = true;
      token = next();
    }
    if (!isValueIdentifier(token)) throw new SelectorError(`found '${token.literal}', expected: identifier`);
    const key = token.literal;
    validateKey(key);
    const following = peek();
    // `!key` takes nothing more: what follows is the top level's to judge.
    if (negated) return { key, operator: '!', values: [] };
    if (following.kind === 'end' || following.kind === ',') return { key, operator: 'exists', values: [] };
    const op = next();
    switch (op.kind) {
      case 'in':
      case 'notin': {
        const values = parseValueSet();
        [...values].forEach((v, i) => validateValue(key, v, i));
        return { key, operator: op.kind, values: [...values] };
      }
      case '=':
      case '==':
      case '!=': {
        const t = peek();
        let value = '';
        if (isValueIdentifier(t)) {
          next();
          value = t.literal;
        } else if (t.kind !== 'end' && t.kind !== ',') {
          next();
          throw new SelectorError(`found '${t.literal}', expected: identifier`);
        }
        validateValue(key, value, 0);
        return { key, operator: op.kind, values: [value] };
      }
      case '>':
      case '<': {
        const t = next();
        if (t.kind !== 'identifier') throw new SelectorError(`found '${t.literal}', expected: identifier`);
        if (!/^-?\d+$/.test(t.literal)) throw new SelectorError(`for 'Gt', 'Lt' operators, the value must be an integer`);
        return { key, operator: op.kind === '>' ? 'gt' : 'lt', values: [t.literal] };
      }
      default:
        throw new SelectorError(`found '${op.literal}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  };

  // selector.go parse: the top level
  for (;;) {
    const start = peek();
    if (!isValueIdentifier(start) && start.kind !== '!')
      throw new SelectorError(`found '${start.literal}', expected: !, identifier, or 'end of string'`);
    try {
      requirements.push(requirement());
    } catch (error) {
      if (error instanceof SelectorError && !error.message.startsWith(REQUIREMENT_PREFIX))
        throw new SelectorError(`${REQUIREMENT_PREFIX}${error.message}`);
      throw error;
    }
    const separator = next();
    if (separator.kind === 'end') return requirements;
    if (separator.kind !== ',') throw new SelectorError(`found '${separator.literal}', expected: ',' or 'end of string'`);
    const after = peek();
    if (!isValueIdentifier(after) && after.kind !== '!')
      throw new SelectorError(`found '${after.literal}', expected: identifier after ','`);
  }
}

const REQUIREMENT_PREFIX = 'unable to parse requirement: ';

/** labels.Requirement.Matches. */
export function requirementMatches(req: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case 'in':
    case '=':
    case '==':
      return has && value !== undefined && req.values.includes(value);
    case 'notin':
    case '!=':
      return !has || value === undefined || !req.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || value === undefined || !/^-?\d+$/.test(value)) return false;
      const lhs = Number(value);
      const rhs = Number(req.values[0]);
      return req.operator === 'gt' ? lhs > rhs : lhs < rhs;
    }
  }
}

export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const set = labels ?? {};
  return requirements.every((r) => requirementMatches(r, set));
}

/** metav1.LabelSelector → requirements (matchLabels + matchExpressions), as metav1.LabelSelectorAsSelector. */
export function labelSelectorRequirements(selector: {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}): LabelRequirement[] {
  const reqs: LabelRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, v]) => ({ key, operator: '=', values: [v] }));
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, operator: 'in', values });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, operator: 'notin', values });
        break;
      case 'Exists':
        reqs.push({ key: e.key, operator: 'exists', values: [] });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, operator: '!', values: [] });
        break;
      default:
        throw new SelectorError(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return reqs;
}

// ---- field selectors ----

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

function splitUnescaped(input: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i] ?? '';
    if (c === '\\' && i + 1 < input.length) {
      current += c + (input[i + 1] ?? '');
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes. */
function unescapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] ?? '';
    if (c !== '\\') {
      if (c === ',' || c === '=') throw new SelectorError(`invalid field selector: unescaped ${c} in value`);
      out += c;
      continue;
    }
    const n = value[i + 1];
    if (n === '\\' || n === ',' || n === '=') {
      out += n;
      i++;
    } else {
      throw new SelectorError('invalid field selector: invalid escape sequence');
    }
  }
  return out;
}

/** fields.ParseSelector: comma-separated terms `field=value`, `field==value`, `field!=value`. */
export function parseFieldSelector(input: string): FieldRequirement[] {
  if (input.trim() === '') return [];
  const reqs: FieldRequirement[] = [];
  for (const term of splitUnescaped(input, ',')) {
    if (term === '') continue;
    let found: { index: number; op: string } | undefined;
    // fields/selector.go splitTerm: the first position where one of "!=", "==", "=" starts
    for (let i = 0; i < term.length && !found; i++) {
      if (term[i] === '\\') {
        i++;
        continue;
      }
      for (const op of ['!=', '==', '=']) {
        if (term.startsWith(op, i)) {
          found = { index: i, op };
          break;
        }
      }
    }
    if (!found) throw new SelectorError(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = term.slice(0, found.index).trim();
    const value = unescapeValue(term.slice(found.index + found.op.length));
    reqs.push({ field, operator: found.op === '!=' ? '!=' : '=', value });
  }
  return reqs;
}

export function matchesFields(requirements: readonly FieldRequirement[], values: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const actual = values[r.field] ?? '';
    return r.operator === '=' ? actual === r.value : actual !== r.value;
  });
}
