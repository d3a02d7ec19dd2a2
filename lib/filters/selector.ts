/**
 * The Kubernetes label-selector grammar (apimachinery `labels.Parse`), which
 * Hubble's label filters use after translating Cilium source prefixes:
 *   k=v  k==v  k!=v  k in (a,b)  k notin (a,b)  k  !k  k>5  k<5
 * joined by "," (AND). Keys must be qualified names and values valid label
 * values, as Kubernetes validates them; the error texts follow Kubernetes'.
 */

export type Operator = "in" | "notin" | "=" | "==" | "!=" | "exists" | "!" | "gt" | "lt";

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

const enum Tok {
  Error,
  EndOfString,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const keywords: Record<string, Tok> = {
  ")": Tok.ClosedPar,
  ",": Tok.Comma,
  "!": Tok.DoesNotExist,
  "==": Tok.DoubleEquals,
  "=": Tok.Equals,
  ">": Tok.GreaterThan,
  in: Tok.In,
  "<": Tok.LessThan,
  "!=": Tok.NotEquals,
  notin: Tok.NotIn,
  "(": Tok.OpenPar,
};

interface Item {
  tok: Tok;
  lit: string;
}

const isWhitespace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isSpecial = (c: string) => c === "=" || c === "!" || c === "(" || c === ")" || c === "," || c === ">" || c === "<";

function keywordOf(text: string): Tok | undefined {
  return Object.prototype.hasOwnProperty.call(keywords, text) ? keywords[text] : undefined;
}

function lex(input: string): Item[] {
  // Kubernetes' lexer stops at a NUL byte as if the string ended there.
  const nul = input.indexOf("\0");
  const s = nul === -1 ? input : input.slice(0, nul);
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos])) pos++;
    if (pos >= s.length) {
      items.push({ tok: Tok.EndOfString, lit: "" });
      return items;
    }
    if (isSpecial(s[pos])) {
      let buffer = "";
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos])) {
        buffer += s[pos];
        const tok = keywordOf(buffer);
        if (tok !== undefined) {
          last = { tok, lit: buffer };
          pos++;
        } else if (last !== undefined) {
          break;
        } else {
          pos++;
        }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buffer}'` });
    } else {
      const start = pos;
      while (pos < s.length && !isSpecial(s[pos]) && !isWhitespace(s[pos])) pos++;
      const word = s.slice(start, pos);
      items.push({ tok: keywordOf(word) ?? Tok.Identifier, lit: word });
    }
  }
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validateKey(key: string): void {
  const parts = key.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) {
      throw new SelectorError(`key: Invalid value: "${key}": prefix part must be non-empty`);
    }
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      throw new SelectorError(
        `key: Invalid value: "${key}": prefix part a lowercase RFC 1123 subdomain must consist of lower case ` +
          `alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      );
    }
  } else {
    throw new SelectorError(
      `key: Invalid value: "${key}": a qualified name must consist of alphanumeric characters, '-', '_' or '.', ` +
        `and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'`,
    );
  }
  if (name.length === 0) throw new SelectorError(`key: Invalid value: "${key}": name part must be non-empty`);
  if (name.length > 63) {
    throw new SelectorError(`key: Invalid value: "${key}": name part must be no more than 63 characters`);
  }
  if (!QUALIFIED_NAME.test(name)) {
    throw new SelectorError(
      `key: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', ` + `and must start and end with an alphanumeric character`,
    );
  }
}

function validateValue(value: string): void {
  if (value.length > 63) {
    throw new SelectorError(`values: Invalid value: "${value}": must be no more than 63 characters`);
  }
  if (!LABEL_VALUE.test(value)) {
    throw new SelectorError(
      `values: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric ` +
        `characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/** A selector syntax or validation error; callers wrap it into a FilterBuildError. */
export class SelectorError extends Error {}

const enum Context {
  KeyAndOperator,
  Values,
}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  lookahead(ctx: Context): Item {
    const item = this.items[this.pos];
    if (ctx === Context.Values && (item.tok === Tok.In || item.tok === Tok.NotIn)) {
      return { tok: Tok.Identifier, lit: item.lit };
    }
    return item;
  }

  consume(ctx: Context): Item {
    const item = this.lookahead(ctx);
    this.pos++;
    return item;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const next = this.lookahead(Context.Values);
      if (next.tok === Tok.Identifier || next.tok === Tok.DoesNotExist) {
        try {
          requirements.push(this.parseRequirement());
        } catch (err) {
          if (err instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${err.message}`);
          throw err;
        }
        const after = this.consume(Context.Values);
        if (after.tok === Tok.EndOfString) return requirements;
        if (after.tok === Tok.Comma) {
          const t2 = this.lookahead(Context.Values);
          if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) {
            throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
          }
          continue;
        }
        throw new SelectorError(`found '${after.lit}', expected: ',' or 'end of string'`);
      }
      if (next.tok === Tok.EndOfString) return requirements;
      throw new SelectorError(`found '${next.lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): Requirement {
    let operator: Operator | undefined;
    let item = this.consume(Context.Values);
    if (item.tok === Tok.DoesNotExist) {
      operator = "!";
      item = this.consume(Context.Values);
    }
    if (item.tok !== Tok.Identifier) throw new SelectorError(`found '${item.lit}', expected: identifier`);
    const key = item.lit;
    validateKey(key);
    const t = this.lookahead(Context.Values).tok;
    if (t === Tok.EndOfString || t === Tok.Comma) {
      if (operator !== "!") operator = "exists";
    }
    if (operator === "exists" || operator === "!") return { key, operator, values: [] };

    const op = this.consume(Context.KeyAndOperator);
    switch (op.tok) {
      case Tok.In:
        operator = "in";
        break;
      case Tok.Equals:
        operator = "=";
        break;
      case Tok.DoubleEquals:
        operator = "==";
        break;
      case Tok.GreaterThan:
        operator = "gt";
        break;
      case Tok.LessThan:
        operator = "lt";
        break;
      case Tok.NotIn:
        operator = "notin";
        break;
      case Tok.NotEquals:
        operator = "!=";
        break;
      default:
        throw new SelectorError(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const values = operator === "in" || operator === "notin" ? this.parseValues() : this.parseExactValue();
    if (operator === "gt" || operator === "lt") {
      if (values.length !== 1) throw new SelectorError("for 'Gt', 'Lt' operators, exactly one value is required");
      if (!/^[+-]?[0-9]+$/.test(values[0]) || !Number.isSafeInteger(Number(values[0]))) {
        throw new SelectorError("for 'Gt', 'Lt' operators, the value must be an integer");
      }
    }
    for (const v of values) validateValue(v);
    return { key, operator, values };
  }

  private parseValues(): string[] {
    const open = this.consume(Context.Values);
    if (open.tok !== Tok.OpenPar) throw new SelectorError(`found '${open.lit}' expected: '('`);
    const next = this.lookahead(Context.Values);
    if (next.tok === Tok.Identifier || next.tok === Tok.Comma) {
      const values = this.parseIdentifiersList();
      const close = this.consume(Context.Values);
      if (close.tok !== Tok.ClosedPar) throw new SelectorError(`found '${next.lit}', expected: ')'`);
      return values;
    }
    if (next.tok === Tok.ClosedPar) {
      this.consume(Context.Values);
      return [""];
    }
    throw new SelectorError(`found '${next.lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const values = new Set<string>();
    for (;;) {
      const item = this.consume(Context.Values);
      if (item.tok === Tok.Identifier) {
        values.add(item.lit);
        const t2 = this.lookahead(Context.Values);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosedPar) return [...values];
        throw new SelectorError(`found '${t2.lit}', expected: ',' or ')'`);
      }
      if (item.tok === Tok.Comma) {
        if (values.size === 0) values.add("");
        const t2 = this.lookahead(Context.Values);
        if (t2.tok === Tok.ClosedPar) {
          values.add("");
          return [...values];
        }
        if (t2.tok === Tok.Comma) {
          this.consume(Context.Values);
          values.add("");
        }
        continue;
      }
      throw new SelectorError(`found '${item.lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const t = this.lookahead(Context.Values).tok;
    if (t === Tok.EndOfString || t === Tok.Comma) return [""];
    const item = this.consume(Context.Values);
    if (item.tok === Tok.Identifier) return [item.lit];
    throw new SelectorError(`found '${item.lit}', expected: identifier`);
  }
}

/** Parses a Kubernetes selector; "" is the empty selector, which selects everything. */
export function parseSelector(selector: string): Requirement[] {
  return new Parser(lex(selector)).parse();
}
