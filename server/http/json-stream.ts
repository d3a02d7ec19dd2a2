import "server-only";
import { stringEnd } from "./body";

// Splits one JSON object, as its text streams in, into its members, handing the elements of one
// array member (an investigation's `flows`) out one at a time. Nothing ever holds more than one
// member or one element of text, so a 100 MB body costs what its parsed elements cost, and junk
// is refused at the first element that breaks a bound instead of after parsing it all.
//
// Only the structure is checked here (object, keys, colons, commas, bracket depth); each member
// and element is a complete JSON text that the caller parses on its own, which checks the rest.

export interface ObjectStreamRules {
  /** The member whose array is streamed element by element. */
  readonly arrayKey: string;
  /** Characters of one element, and of any other member's value. */
  readonly maxElementChars: number;
  readonly maxMemberChars: number;
  /** Nesting inside one element or member value. */
  readonly maxDepth: number;
}

/** A body the splitter refuses: 413 for a bound, 400 for broken structure. */
export class ObjectStreamError extends Error {
  constructor(
    readonly status: 400 | 403 | 413,
    message: string,
  ) {
    super(message);
    this.name = "ObjectStreamError";
  }
}

type Phase = "object" | "key" | "colon" | "value" | "element-start" | "element" | "after-member" | "done";

const STRUCTURAL = /["{}[\],]/g;
const MAX_KEY_CHARS = 256;

export class ObjectStreamSplitter {
  private buf = "";
  private pos = 0;
  private phase: Phase = "object";
  /** Start of the value or element being read, in `buf`. */
  private start = 0;
  private depth = 0;
  private key = "";
  /** After a comma, a closing bracket is a syntax error (JSON has no trailing commas). */
  private afterComma = false;
  private sawArray = false;
  readonly members = new Map<string, string>();

  constructor(
    private readonly rules: ObjectStreamRules,
    /** Called with each element's text of the streamed array, in order. Throw to refuse the body. */
    private readonly onElement: (text: string, index: number) => void,
  ) {}

  private elements = 0;

  push(chunk: string): void {
    // Keep only what the current token still needs.
    const keep = this.phase === "value" || this.phase === "element" || this.phase === "key" ? this.start : this.pos;
    this.buf = this.buf.slice(keep) + chunk;
    this.pos -= keep;
    this.start -= keep;
    this.run();
  }

  /** The members other than the streamed array, as JSON texts, once the whole object was read. */
  end(): Map<string, string> {
    if (this.phase !== "done") throw syntax("it ends before the object does");
    if (!this.sawArray) throw shape(`${this.rules.arrayKey} is required: an array`);
    return this.members;
  }

  private run(): void {
    const b = this.buf;
    while (this.pos < b.length) {
      switch (this.phase) {
        case "object": {
          if (!this.skipSpace()) return;
          if (b[this.pos] !== "{") throw shape("the body must be a JSON object");
          this.pos++;
          this.enter("key");
          this.start = this.pos;
          this.afterComma = false;
          break;
        }
        case "key": {
          this.start = this.pos; // push() keeps the text from here while the name is incomplete
          if (!this.skipSpace()) return;
          this.start = this.pos;
          const c = b[this.pos];
          if (c === "}" && !this.afterComma && this.members.size === 0 && !this.sawArray) {
            this.pos++;
            this.enter("done");
            break;
          }
          if (c !== '"') throw syntax("expected a member name in double quotes");
          const close = stringEnd(b, this.pos);
          if (close < 0) {
            if (b.length - this.pos > MAX_KEY_CHARS) throw syntax("a member name is too long");
            return;
          }
          this.key = parseKey(b.slice(this.pos, close + 1));
          if (this.members.has(this.key) || (this.key === this.rules.arrayKey && this.sawArray)) {
            throw shape(`${this.key} is given twice`);
          }
          this.pos = close + 1;
          this.enter("colon");
          break;
        }
        case "colon": {
          if (!this.skipSpace()) return;
          if (b[this.pos] !== ":") throw syntax(`expected ":" after "${this.key}"`);
          this.pos++;
          if (this.key === this.rules.arrayKey) {
            // The "[" may still be to come: element-start checks it.
            this.enter("element-start");
            this.expectArrayOpen = true;
            this.sawArray = true;
          } else {
            this.enter("value");
            this.skipSpace();
            this.start = this.pos;
            this.depth = 0;
          }
          break;
        }
        case "element-start": {
          if (!this.skipSpace()) return;
          if (this.expectArrayOpen) {
            this.openArray();
            break;
          }
          if (b[this.pos] === "]") {
            if (this.afterComma) throw syntax(`${this.rules.arrayKey} has a trailing comma`);
            this.pos++;
            this.enter("after-member");
            break;
          }
          this.start = this.pos;
          this.depth = 0;
          this.enter("element");
          break;
        }
        case "value":
        case "element": {
          const element = this.phase === "element";
          const end = this.scanValue(element ? "]" : "}");
          if (end === undefined) {
            const limit = element ? this.rules.maxElementChars : this.rules.maxMemberChars;
            if (b.length - this.start > limit) throw tooBig(element ? `one of ${this.rules.arrayKey}` : this.key, limit);
            return;
          }
          const text = b.slice(this.start, end).trim();
          const limit = element ? this.rules.maxElementChars : this.rules.maxMemberChars;
          if (text.length > limit) throw tooBig(element ? `one of ${this.rules.arrayKey}` : this.key, limit);
          if (text === "") throw syntax(element ? `${this.rules.arrayKey} has an empty element` : `${this.key} has no value`);
          this.pos = end + 1;
          const closer = b[end];
          if (element) {
            this.onElement(text, this.elements++);
            if (closer === ",") {
              this.enter("element-start");
              this.afterComma = true;
            } else {
              this.enter("after-member");
            }
          } else {
            this.members.set(this.key, text);
            if (closer === ",") {
              this.enter("key");
              this.afterComma = true;
            } else {
              this.enter("done");
            }
          }
          break;
        }
        case "after-member": {
          if (!this.skipSpace()) return;
          const c = b[this.pos++];
          if (c === ",") {
            this.enter("key");
            this.afterComma = true;
          } else if (c === "}") {
            this.enter("done");
          } else {
            throw syntax(`expected "," or "}" after ${this.rules.arrayKey}`);
          }
          break;
        }
        case "done": {
          if (!this.skipSpace()) return;
          throw syntax("there is more after the JSON object");
        }
      }
    }
  }

  private expectArrayOpen = false;

  /** push() keeps the text from `start` on while a name, value or element is incomplete. */
  private enter(phase: Phase): void {
    this.phase = phase;
    this.start = this.pos;
  }

  private openArray(): void {
    if (this.buf[this.pos] !== "[") throw shape(`${this.rules.arrayKey} must be an array`);
    this.pos++;
    this.expectArrayOpen = false;
    this.sawArray = true;
    this.afterComma = false;
    this.enter("element-start");
  }

  /** Moves past whitespace; false when the buffer ran out. */
  private skipSpace(): boolean {
    const b = this.buf;
    while (this.pos < b.length) {
      const c = b.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return true;
      this.pos++;
    }
    return false;
  }

  /**
   * Scans the value from `pos` to the "," or `closer` that ends it at depth 0. Returns that
   * index, or undefined when the buffer ran out first (pos is kept where scanning can resume).
   */
  private scanValue(closer: "]" | "}"): number | undefined {
    const b = this.buf;
    STRUCTURAL.lastIndex = this.pos;
    for (;;) {
      const m = STRUCTURAL.exec(b);
      if (m === null) {
        this.pos = b.length;
        return undefined;
      }
      const i = m.index;
      const c = b[i];
      if (c === '"') {
        const close = stringEnd(b, i);
        if (close < 0) {
          this.pos = i; // resume at the opening quote when more text comes
          return undefined;
        }
        STRUCTURAL.lastIndex = close + 1;
      } else if (c === "{" || c === "[") {
        if (++this.depth > this.rules.maxDepth) {
          throw shape(`${this.phase === "element" ? `an element of ${this.rules.arrayKey}` : this.key} is nested more than ${this.rules.maxDepth} levels deep`);
        }
      } else if (c === "}" || c === "]") {
        if (this.depth === 0) {
          if (c !== closer) throw syntax(`unexpected "${c}"`);
          this.pos = i;
          return i;
        }
        this.depth--;
      } else if (this.depth === 0) {
        // A comma at depth 0 ends the value.
        this.pos = i;
        return i;
      }
    }
  }
}

function parseKey(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw syntax("a member name is not a valid JSON string");
  }
}

/** Text that is not JSON at all. */
function syntax(message: string): ObjectStreamError {
  return new ObjectStreamError(400, `the body is not valid JSON: ${message}`);
}

/** JSON, but not the shape the route takes. */
function shape(message: string): ObjectStreamError {
  return new ObjectStreamError(400, message);
}

function tooBig(what: string, limit: number): ObjectStreamError {
  return new ObjectStreamError(413, `${what} is over ${limit} characters`);
}
