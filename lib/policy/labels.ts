// Identity labels and label selectors as Cilium matches them (policy-semantics.md §3).
// A flow carries labels as `source:key=value` strings; a selector key is `source:key`, or a
// bare key that matches any source. Selectors are compiled once per policy; matching reads a
// LabelSet built once per flow side.

/** Sources Cilium knows; a key prefix that is not one of these is part of the key. */
const SOURCES = new Set(["k8s", "reserved", "any", "cidr", "fqdn", "container", "unspec", "cilium-generated", "kvstore", "node", "k8s-namespace", "cidrgroup"]);

export interface Label {
  readonly source: string;
  readonly key: string;
  readonly value: string;
}

/** One side's labels, indexed by key (several sources may share a key). */
export class LabelSet {
  private readonly byKey = new Map<string, Label[]>();
  constructor(readonly labels: readonly Label[]) {
    for (const l of labels) {
      const list = this.byKey.get(l.key);
      if (list) list.push(l);
      else this.byKey.set(l.key, [l]);
    }
  }
  /** The value of the first label with this key from `source` ("any" = any source). */
  get(source: string, key: string): string | undefined {
    const list = this.byKey.get(key);
    if (!list) return undefined;
    if (source === "any") return list[0]!.value;
    for (const l of list) if (l.source === source) return l.value;
    return undefined;
  }
  has(source: string, key: string): boolean {
    return this.get(source, key) !== undefined;
  }
  /** Keys of one source with a prefix, e.g. the namespace-label keys. */
  withPrefix(source: string, prefix: string): Label[] {
    return this.labels.filter((l) => l.source === source && l.key.startsWith(prefix));
  }
}

/** `k8s:app=web` → {k8s, app, web}; `reserved:host` → {reserved, host, ""}. */
export function parseLabel(text: string): Label {
  const colon = text.indexOf(":");
  let source = "unspec";
  let rest = text;
  if (colon > 0 && SOURCES.has(text.slice(0, colon))) {
    source = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  const eq = rest.indexOf("=");
  return eq < 0 ? { source, key: rest, value: "" } : { source, key: rest.slice(0, eq), value: rest.slice(eq + 1) };
}

/** A selector key: `k8s:app` → k8s/app; `app` → any/app; `$host` → reserved/host. */
export function parseSelectorKey(key: string, defaultSource = "any"): { source: string; key: string } {
  if (key.startsWith("$")) return { source: "reserved", key: key.slice(1) };
  const colon = key.indexOf(":");
  if (colon > 0 && SOURCES.has(key.slice(0, colon))) return { source: key.slice(0, colon), key: key.slice(colon + 1) };
  return { source: defaultSource, key };
}

export type Operator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface Requirement {
  readonly source: string;
  readonly key: string;
  readonly op: Operator;
  readonly values: readonly string[];
}

/** A compiled label selector: all requirements ANDed; none = matches everything. */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

export const POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";
export const CLUSTER_LABEL = "io.cilium.k8s.policy.cluster";

const OPERATORS = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/**
 * A k8s LabelSelector object → requirements, or an error text (E-val: invalid operators and
 * In/NotIn without values make the rule unusable). `defaultSource` is "any" for Cilium
 * policies and "k8s" for NetworkPolicy.
 */
export function compileSelector(raw: unknown, defaultSource = "any"): Selector | string {
  if (raw === null || raw === undefined) return { requirements: [] };
  if (typeof raw !== "object" || Array.isArray(raw)) return "a label selector must be an object";
  const sel = raw as Record<string, unknown>;
  const reqs: Requirement[] = [];
  if (sel.matchLabels !== undefined && sel.matchLabels !== null) {
    if (typeof sel.matchLabels !== "object" || Array.isArray(sel.matchLabels)) return "matchLabels must be a map";
    for (const [k, v] of Object.entries(sel.matchLabels as Record<string, unknown>)) {
      if (v !== null && typeof v === "object") return `matchLabels value of ${k} must be a string`;
      const key = parseSelectorKey(k, defaultSource);
      reqs.push({ ...key, op: "In", values: [v === null || v === undefined ? "" : String(v)] });
    }
  }
  if (sel.matchExpressions !== undefined && sel.matchExpressions !== null) {
    if (!Array.isArray(sel.matchExpressions)) return "matchExpressions must be a list";
    for (const e of sel.matchExpressions as unknown[]) {
      if (typeof e !== "object" || e === null) return "a matchExpressions entry must be an object";
      const { key, operator, values } = e as Record<string, unknown>;
      if (typeof key !== "string" || key === "") return "a matchExpressions entry needs a key";
      if (typeof operator !== "string" || !OPERATORS.has(operator))
        return `invalid selector operator ${JSON.stringify(String(operator)).slice(0, 40)} (In, NotIn, Exists, DoesNotExist)`;
      const vals = Array.isArray(values) ? values.map(String) : [];
      if ((operator === "In" || operator === "NotIn") && vals.length === 0) return `operator ${operator} needs values (key ${key.slice(0, 60)})`;
      if ((operator === "Exists" || operator === "DoesNotExist") && vals.length > 0) return `operator ${operator} takes no values (key ${key.slice(0, 60)})`;
      reqs.push({ ...parseSelectorKey(key, defaultSource), op: operator as Operator, values: vals });
    }
  }
  return { requirements: reqs };
}

export function requirementHolds(r: Requirement, labels: LabelSet): boolean {
  const v = labels.get(r.source, r.key);
  switch (r.op) {
    case "In":
      return v !== undefined && r.values.includes(v);
    case "NotIn":
      return v === undefined || !r.values.includes(v);
    case "Exists":
      return v !== undefined;
    case "DoesNotExist":
      return v === undefined;
  }
}

export function selectorMatches(sel: Selector, labels: LabelSet): boolean {
  for (const r of sel.requirements) if (!requirementHolds(r, labels)) return false;
  return true;
}

/** The first requirement that fails, for near-miss explanations. */
export function firstFailing(sel: Selector, labels: LabelSet): Requirement | undefined {
  return sel.requirements.find((r) => !requirementHolds(r, labels));
}

export function mentions(sel: Selector, pred: (r: Requirement) => boolean): boolean {
  return sel.requirements.some(pred);
}

/** `app=web`, `k8s:io.kubernetes.pod.namespace=shop`, `tier in (a,b)`, `!debug`. */
export function describeRequirement(r: Requirement): string {
  const key = r.source === "any" ? r.key : `${r.source}:${r.key}`;
  switch (r.op) {
    case "In":
      return r.values.length === 1 ? (r.values[0] === "" && r.source === "reserved" ? key : `${key}=${r.values[0]}`) : `${key} in (${r.values.join(",")})`;
    case "NotIn":
      return `${key} notin (${r.values.join(",")})`;
    case "Exists":
      return key;
    case "DoesNotExist":
      return `!${key}`;
  }
}

export function describeSelector(sel: Selector): string {
  return sel.requirements.length === 0 ? "{}" : sel.requirements.map(describeRequirement).join(", ");
}
