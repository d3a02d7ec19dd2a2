// One entry of the filter bar: `[!][from:|to:|either:]kind=value`.
// `!` sends the entry to the blacklist (the CLI's `--not`); `from:`/`to:` pick the source or
// destination side; no direction (or `either:`) means "either side", like `--pod` vs `--from-pod`.
import { FILTER_KINDS, isFilterKind, KIND_ALIASES, KIND_SPECS, ValueError, type Direction, type FilterKind } from "./kinds";

export interface FilterEntry {
  kind: FilterKind;
  /** Canonical value (see each kind's `normalize`). */
  value: string;
  /** Always "either" for kinds without a direction. */
  direction: Direction;
  /** True for `!kind=value`: the entry goes to the blacklist. */
  negated: boolean;
}

export class FilterSyntaxError extends Error {
  /** The entry as the user wrote it. */
  readonly entry: string;
  readonly kind: FilterKind | undefined;
  constructor(entry: string, reason: string, kind?: FilterKind) {
    super(`invalid filter ${JSON.stringify(entry)}: ${reason}`);
    this.name = "FilterSyntaxError";
    this.entry = entry;
    this.kind = kind;
  }
}

const GRAMMAR = "write [!][from:|to:|either:]kind=value, e.g. from:pod=shop/frontend or !namespace=kube-system";
const DIRECTION_PREFIX = /^(from|to|either|both):/;

export function parseFilterEntry(text: string): FilterEntry {
  const entry = text.trim();
  if (entry === "" || entry === "!") throw new FilterSyntaxError(text, `empty filter; ${GRAMMAR}`);
  let rest = entry;
  const negated = rest.startsWith("!");
  if (negated) rest = rest.slice(1).trimStart();

  let direction: Direction = "either";
  let explicitDirection = false;
  const d = DIRECTION_PREFIX.exec(rest);
  if (d) {
    direction = d[1] === "both" ? "either" : (d[1] as Direction); // `both:` is hubble-ui's spelling
    explicitDirection = true;
    rest = rest.slice(d[0].length);
  }

  const eq = rest.indexOf("=");
  if (eq < 0) {
    throw new FilterSyntaxError(text, `missing "="; ${GRAMMAR}`);
  }
  const rawKind = rest.slice(0, eq).trim().toLowerCase();
  const rawValue = rest.slice(eq + 1).trim();
  const kind = isFilterKind(rawKind) ? rawKind : KIND_ALIASES[rawKind];
  if (!kind) {
    const near = FILTER_KINDS.find((k) => editDistance(k, rawKind) <= (rawKind.length >= 5 ? 2 : 1));
    const hint = near ? `; did you mean ${near}=${rawValue}?` : /^[A-Za-z0-9_.\-/:]+$/.test(rawKind) && rawKind !== "" ? `; for a label write label=${rest.trim()}` : "";
    throw new FilterSyntaxError(text, `unknown kind ${JSON.stringify(rawKind)}; valid kinds are ${FILTER_KINDS.join(", ")}${hint}`);
  }
  const spec = KIND_SPECS[kind];
  if (explicitDirection && !spec.directional && direction !== "either") {
    throw new FilterSyntaxError(text, `${kind} has no source or destination side; write ${spec.example}`, kind);
  }
  let value: string;
  try {
    value = spec.normalize(rawValue);
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    throw new FilterSyntaxError(text, `${e.message}; ${kind} expects ${spec.expects}, e.g. ${spec.example}`, kind);
  }
  return { kind, value, direction, negated };
}

export function formatFilterEntry(e: FilterEntry): string {
  const dir = e.direction === "either" ? "" : `${e.direction}:`;
  return `${e.negated ? "!" : ""}${dir}${e.kind}=${e.value}`;
}

/** Re-checks an entry that did not come from parseFilterEntry (JSON body, URL state). */
export function checkFilterEntry(e: FilterEntry): FilterEntry {
  if (!isFilterKind(e.kind)) throw new FilterSyntaxError(String(e.kind), `unknown kind; valid kinds are ${FILTER_KINDS.join(", ")}`);
  const parsed = parseFilterEntry(formatFilterEntry(e));
  if (!KIND_SPECS[e.kind].directional && e.direction !== "either") {
    throw new FilterSyntaxError(formatFilterEntry(e), `${e.kind} has no source or destination side`, e.kind);
  }
  return parsed;
}

export function sameFilterEntry(a: FilterEntry, b: FilterEntry): boolean {
  return a.kind === b.kind && a.value === b.value && a.direction === b.direction && a.negated === b.negated;
}

/** Optimal-string-alignment distance: edits plus swaps of neighbours ("pdo" → "pod" is 1). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
