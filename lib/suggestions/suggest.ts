// Completions for the filter bar: what the user is typing → whole entries they can pick.
//
// Kinds come first (`po` → `pod=`), then values of the typed kind seen in the stream
// (`to:pod=shop/f` → `to:pod=shop/frontend`), most frequent first. Every value suggestion parses
// with `parseFilterEntry`, so picking one never yields an error. Flow text is hostile: it is
// only compared with plain string prefix tests (never turned into a RegExp) and only the newest
// `MAX_SCANNED_ROWS` rows are read, so a keystroke costs the same with 100,000 rows in the buffer.
import { EVENT_TYPE_NAMES, FILTER_KINDS, KIND_ALIASES, KIND_SPECS, parseFilterEntry, RESERVED_IDENTITIES, VERDICT_NAMES, type Direction, type FilterKind } from "../filter-model";
import type { FlowEndpointView, FlowRow } from "../flow-model";

/** Rows read per call (the newest; the buffer is newest first). */
export const MAX_SCANNED_ROWS = 5000;
/** Rows read per kind when searching bare text across several kinds (a side feature: kept cheaper). */
const BARE_TEXT_SCANNED_ROWS = 1000;
/** Distinct values looked at per kind while scanning, so a flood of unique values stays cheap. */
const MAX_DISTINCT_VALUES = 5000;
/** Longest value offered; longer ones are unreadable in a dropdown and rarely what anyone types. */
const MAX_VALUE_LENGTH = 256;

const DIRECTIONS = ["from:", "to:", "either:"] as const;

/** Values that are always worth offering, seen or not (closed sets). */
const STATIC_VALUES: Partial<Record<FilterKind, readonly string[]>> = {
  verdict: VERDICT_NAMES.filter((v) => v !== "VERDICT_UNKNOWN"),
  protocol: ["tcp", "udp", "icmpv4", "icmpv6", "sctp", "dns", "http", "kafka"],
  "traffic-direction": ["ingress", "egress"],
  "ip-version": ["v4", "v6"],
  encrypted: ["true", "false"],
  type: Object.keys(EVENT_TYPE_NAMES),
  identity: Object.keys(RESERVED_IDENTITIES),
  "http-status": ["2+", "3+", "4+", "5+"],
};

interface TypedEntry {
  /** `!` and/or `from:` as typed, kept verbatim so a suggestion extends the text. */
  prefix: string;
  direction: Direction | undefined;
  /** The kind as typed (an alias stays an alias); undefined while no `=` has been typed. */
  kindText: string | undefined;
  kind: FilterKind | undefined;
  /** Before `=`: the partial kind; after: the partial value. */
  partial: string;
}

function readTyped(input: string): TypedEntry {
  let rest = input.trimStart();
  let prefix = "";
  if (rest.startsWith("!")) {
    prefix = "!";
    rest = rest.slice(1).trimStart();
  }
  let direction: Direction | undefined;
  const colon = rest.indexOf(":");
  const eq = rest.indexOf("=");
  if (colon > 0 && (eq < 0 || colon < eq)) {
    const word = rest.slice(0, colon).toLowerCase();
    if (word === "from" || word === "to" || word === "either" || word === "both") {
      direction = word === "both" ? "either" : word;
      prefix += rest.slice(0, colon + 1);
      rest = rest.slice(colon + 1);
    }
  }
  const at = rest.indexOf("=");
  if (at < 0) return { prefix, direction, kindText: undefined, kind: undefined, partial: rest };
  const kindText = rest.slice(0, at).trim().toLowerCase();
  const kind = (FILTER_KINDS as readonly string[]).includes(kindText) ? (kindText as FilterKind) : KIND_ALIASES[kindText];
  return { prefix, direction, kindText, kind, partial: rest.slice(at + 1).trimStart() };
}

/**
 * Up to `limit` completed filter-bar entries for `input`, best first: matching kinds (`kind=`),
 * then values seen in `rows` (newest first) for the typed kind, prefix-matched case-insensitively.
 * Without a `=` yet, values of the common kinds that match the text follow the kinds
 * (`front` → `namespace=shop-frontend`, `pod=shop-frontend/…`). Pure.
 */
export function suggestFilterEntries(input: string, rows: readonly FlowRow[], limit = 10): string[] {
  if (limit <= 0) return [];
  const typed = readTyped(input);
  const out = new Bounded(limit, input.trim());

  if (typed.kindText === undefined) {
    const partial = typed.partial.trim().toLowerCase();
    for (const kind of kindsMatching(partial, typed.direction)) out.add(`${typed.prefix}${kind}=`);
    if (typed.direction === undefined && partial !== "") {
      for (const d of DIRECTIONS) if (d.startsWith(partial) && d !== `${partial}:`) out.add(`${typed.prefix}${d}`);
    }
    // Bare text: look for it among the values of the common kinds.
    if (partial.length >= 2 && !out.full) {
      for (const kind of BARE_TEXT_KINDS) {
        if (typed.direction !== undefined && !KIND_SPECS[kind].directional) continue;
        for (const value of valuesFor(kind, typed.direction ?? "either", rows, partial, BARE_TEXT_SCANNED_ROWS)) {
          if (out.full) return out.items;
          out.addValid(`${typed.prefix}${kind}=${value}`);
        }
      }
    }
    return out.items;
  }

  if (!typed.kind) return out.items;
  const partial = typed.partial.toLowerCase();
  for (const value of valuesFor(typed.kind, typed.direction ?? "either", rows, partial)) {
    if (out.full) break;
    out.addValid(`${typed.prefix}${typed.kindText}=${value}`);
  }
  return out.items;
}

/** Kinds whose values are searched when the user types bare text (no `kind=` yet). */
const BARE_TEXT_KINDS: readonly FilterKind[] = ["namespace", "workload", "pod", "label", "fqdn", "ip", "http-path", "node"];

function kindsMatching(partial: string, direction: Direction | undefined): string[] {
  const sided = direction !== undefined && direction !== "either";
  const usable = (k: FilterKind) => !sided || KIND_SPECS[k].directional;
  const kinds: string[] = FILTER_KINDS.filter((k) => k.startsWith(partial) && usable(k));
  // Aliases (hubble-ui's `dns=`) after the canonical names, unless the canonical kind is listed.
  for (const [alias, kind] of Object.entries(KIND_ALIASES)) {
    if (alias.startsWith(partial) && usable(kind) && !kinds.includes(kind)) kinds.push(alias);
  }
  return kinds;
}

/**
 * Distinct values of `kind` in `rows` and in its static set that match `partial`, best first:
 * values starting with it, then values where a later part does (`front` finds `shop/frontend`),
 * each by how often they were seen.
 */
function valuesFor(kind: FilterKind, direction: Direction, rows: readonly FlowRow[], partial: string, maxRows = MAX_SCANNED_ROWS): string[] {
  // Each distinct value is matched once; after that a sighting costs one map lookup.
  const tiers = new Map<string, number>();
  const counts = new Map<string, number>();
  const present = PRESENTERS[kind] ?? ((v: string) => v);
  const note = (value: string | undefined) => {
    if (!value || value.length > MAX_VALUE_LENGTH) return;
    let tier = tiers.get(value);
    if (tier === undefined) {
      if (tiers.size >= MAX_DISTINCT_VALUES) return;
      tier = matchTier(kind, value, partial);
      tiers.set(value, tier);
    }
    if (tier > 0) counts.set(value, (counts.get(value) ?? 0) + 1);
  };
  const extract = EXTRACTORS[kind];
  if (extract) {
    const n = Math.min(rows.length, maxRows);
    for (let i = 0; i < n; i++) extract(rows[i], direction, note);
  }
  const ranked = [...counts.entries()]
    .sort((a, b) => tiers.get(b[0])! - tiers.get(a[0])! || b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([value]) => present(value));
  for (const v of STATIC_VALUES[kind] ?? []) if (matchTier(kind, v, partial) > 0 && !ranked.includes(v)) ranked.push(v);
  return ranked;
}

/** Characters after which a part of a value starts (`ns/pod`, `app=x`, `shop-frontend`, `api.github.com`). */
const PART_SEPARATORS: Partial<Record<FilterKind, string>> = { fqdn: "." };
const DEFAULT_SEPARATORS = "/=-";

/**
 * 2 when `value` (or its written form) starts with `partial`, 1 when a part of it does, else 0.
 * Plain string comparison, case-insensitive.
 */
function matchTier(kind: FilterKind, value: string, partial: string): number {
  if (partial === "") return 2;
  const present = PRESENTERS[kind];
  const forms = present ? [value.toLowerCase(), present(value).toLowerCase()] : [value.toLowerCase()];
  if (forms.some((f) => f.startsWith(partial))) return 2;
  const separators = DEFAULT_SEPARATORS + (PART_SEPARATORS[kind] ?? "");
  const v = forms[0];
  for (let i = 0; i < v.length - 1; i++) {
    if (separators.includes(v[i]) && v.startsWith(partial, i + 1)) return 1;
  }
  return 0;
}

type Note = (value: string | undefined) => void;
type Extractor = (row: FlowRow, direction: Direction, note: Note) => void;

/** Calls `f` with the endpoints the direction allows: source for `from:`, destination for `to:`. */
function sides(row: FlowRow, direction: Direction, f: (ep: FlowEndpointView) => void) {
  if (direction !== "to") f(row.source);
  if (direction !== "from") f(row.destination);
}

const endpointValue =
  (pick: (ep: FlowEndpointView, note: Note) => void): Extractor =>
  (row, direction, note) =>
    sides(row, direction, (ep) => pick(ep, note));

const EXTRACTORS: Partial<Record<FilterKind, Extractor>> = {
  pod: endpointValue((ep, note) => ep.pod && note(`${ep.namespace}/${ep.pod}`)),
  namespace: endpointValue((ep, note) => note(ep.namespace)),
  label: endpointValue((ep, note) => {
    for (const l of ep.labels) note(labelSelector(l));
  }),
  ip: endpointValue((ep, note) => note(ep.ip)),
  fqdn(row, direction, note) {
    sides(row, direction, (ep) => {
      for (const n of ep.names) note(stripDot(n));
    });
    // A DNS query names the server's answer, which is where the traffic then goes.
    if (direction !== "from" && row.l7?.dnsQuery) note(stripDot(row.l7.dnsQuery));
  },
  identity: endpointValue((ep, note) => ep.identity > 0 && note(identityName(ep.identity))),
  workload: endpointValue((ep, note) => ep.workload && note(ep.workloadKind ? `${ep.workloadKind}/${ep.workload}` : ep.workload)),
  service: endpointValue((ep, note) => note(ep.service)),
  // Source ports are mostly ephemeral; offer them only for `from:port=`.
  port(row, direction, note) {
    const ep = direction === "from" ? row.source : row.destination;
    if (ep.port !== undefined) note(String(ep.port));
  },
  cluster: endpointValue((ep, note) => note(ep.cluster)),
  verdict: (row, _d, note) => note(row.verdict),
  protocol(row, _d, note) {
    note(row.l4Protocol.toLowerCase());
    if (row.l7 && row.l7.kind !== "unknown") note(row.l7.kind);
  },
  "http-status"(row, _d, note) {
    const code = row.l7?.httpCode;
    if (code === undefined || code === 0) return;
    note(String(code));
    note(`${String(code)[0]}+`);
  },
  "http-method": (row, _d, note) => note(row.l7?.httpMethod),
  "http-path": (row, _d, note) => note(row.l7?.httpPath),
  "http-url": (row, _d, note) => note(row.l7?.httpUrl),
  "drop-reason": (row, _d, note) => note(row.dropReason),
  node: (row, _d, note) => note(row.node),
  "traffic-direction": (row, _d, note) => note(row.direction === "INGRESS" || row.direction === "EGRESS" ? row.direction.toLowerCase() : undefined),
  "tcp-flags"(row, _d, note) {
    for (const f of row.tcpFlags) note(f);
  },
  uuid: (row, _d, note) => note(row.id.startsWith("ck|") ? undefined : row.id),
};

/**
 * How a seen value is written in an entry. http-path and http-url filters are RE2 patterns, so a
 * seen path is offered as a literal (`/a.b` → `/a\.b`); the typed text may match either form.
 */
const PRESENTERS: Partial<Record<FilterKind, (value: string) => string>> = {
  "http-path": (v) => escapeRe2(v),
  "http-url": (v) => escapeRe2(v),
};

/** `k8s:app=x` → `app=x` (a selector without a source matches any source); others as they are. */
function labelSelector(label: string): string {
  return label.startsWith("k8s:") ? label.slice(4) : label;
}

function stripDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

const RESERVED_BY_NUMBER = new Map(Object.entries(RESERVED_IDENTITIES).map(([name, n]) => [n, name]));
function identityName(id: number): string {
  return RESERVED_BY_NUMBER.get(id) ?? String(id);
}

const RE2_SPECIAL = new Set(["\\", ".", "+", "*", "?", "(", ")", "|", "[", "]", "{", "}", "^", "$"]);
/** A literal for an RE2 pattern (http-path and http-url filters are regular expressions). */
export function escapeRe2(text: string): string {
  let out = "";
  for (const c of text) out += RE2_SPECIAL.has(c) ? `\\${c}` : c;
  return out;
}

/** An ordered, de-duplicated list that stops at `limit`; never repeats the input itself. */
class Bounded {
  readonly items: string[] = [];
  private readonly seen = new Set<string>();
  constructor(
    private readonly limit: number,
    private readonly input: string,
  ) {}
  get full(): boolean {
    return this.items.length >= this.limit;
  }
  add(text: string): void {
    if (this.full || text === this.input || this.seen.has(text)) return;
    this.seen.add(text);
    this.items.push(text);
  }
  /** Adds a complete entry only if the filter bar would accept it. */
  addValid(text: string): void {
    if (this.full || this.seen.has(text)) return;
    try {
      parseFilterEntry(text);
    } catch {
      this.seen.add(text);
      return;
    }
    this.add(text);
  }
}
