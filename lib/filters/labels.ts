import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import { FilterBuildError } from "./errors";
import { parsePrefix, prefixCovers, type Prefix } from "./ip";
import { parseSelector, SelectorError, type Operator } from "./selector";
import { isSet, type FieldMatcher } from "./types";

/**
 * Label filters: Kubernetes selectors over Cilium labels ("k8s:app=foo",
 * "reserved:world", "cidr:10.0.0.0/8", and unprefixed "key=value" node labels).
 *
 * A selector key may carry a Cilium source ("k8s:app"); a key without one gets
 * the "any" source and matches a label of any source. Like Hubble we rewrite
 * "source:key" to "source.key" so the Kubernetes grammar accepts it, then split
 * the key at its first "." back into source and key.
 *
 * Lookups follow Cilium's LabelArray: the first flow label whose source and key
 * match decides the value (so with two sources for one key, "any" sees the first).
 * "cidr" keys match by prefix containment ("cidr:10.0.0.0/8" has "cidr:10.1.2.3/32").
 */

const isSpace = (c: string) => /\s/.test(c);

/** Hubble's translateSelector: adds "any:" to bare keys and turns the first ":" of each key into ".". */
export function translateSelector(selector: string): string {
  const chars = Array.from(selector);
  let out = "";
  let i = 0;
  while (i < chars.length) {
    while (i < chars.length && (isSpace(chars[i]) || chars[i] === "!")) out += chars[i++];
    let key = "";
    while (i < chars.length) {
      const c = chars[i];
      if (isSpace(c) || c === "=" || c === "!" || c === ",") break;
      key += c;
      i++;
    }
    if (!key.includes(":")) key = `any:${key}`;
    out += key.replace(":", ".");
    let nesting = 0;
    while (i < chars.length) {
      const c = chars[i++];
      if (c === "(") nesting++;
      else if (c === ")") nesting--;
      out += c;
      if (c === "," && nesting === 0) break;
    }
  }
  return out;
}

interface LabelRequirement {
  readonly source: string; // "any" matches every source
  readonly key: string;
  readonly cidr: Prefix | null;
  readonly operator: Operator;
  readonly values: readonly string[];
  readonly number: number;
}

/** Cilium's LabelToPrefix: IPv6 CIDR labels spell ":" as "-". */
function cidrOf(key: string): Prefix | null {
  return parsePrefix(key.replaceAll("-", ":"));
}

function compileSelector(selector: string): LabelRequirement[] {
  const requirements = parseSelector(translateSelector(selector));
  return requirements.map((r) => {
    // Cilium's ParseSelectDotLabel: source before the first ".", unspecified means "any".
    let source = "";
    let key = r.key;
    if (key.startsWith("$")) {
      source = "reserved";
      key = key.slice(1);
    } else {
      const dot = key.indexOf(".");
      if (dot >= 0) {
        source = key.slice(0, dot);
        key = key.slice(dot + 1);
      }
    }
    if (source === "" || source === "unspec") source = "any";
    return {
      source,
      key,
      cidr: source === "cidr" ? cidrOf(key) : null,
      operator: r.operator,
      values: r.values,
      number: r.operator === "gt" || r.operator === "lt" ? Number(r.values[0]) : 0,
    };
  });
}

// Where the parts of one flow label ("source:key=value") lie; filled by scanLabel.
let labelSource = "";
let srcEnd = 0;
let keyStart = 0;
let keyEnd = 0;
let valueStart = -1;

/** Cilium's ParseLabel, without allocating: records positions instead of substrings. */
function scanLabel(label: string): void {
  labelSource = "";
  srcEnd = 0;
  let next = 0;
  if (label.length > 0 && label.charCodeAt(0) === 0x24 /* $ */) {
    labelSource = "reserved";
    next = 1;
  } else {
    const colon = label.indexOf(":");
    if (colon >= 0) {
      srcEnd = colon;
      next = colon + 1;
    } else if (label.startsWith("reserved.")) {
      labelSource = "reserved";
      next = "reserved.".length;
    } else {
      labelSource = "unspec";
    }
  }
  if (labelSource === "" && srcEnd === 0) labelSource = "unspec";
  const eq = label.indexOf("=", next);
  keyStart = next;
  if (eq < 0) {
    keyEnd = label.length;
    valueStart = -1;
  } else if (eq === next && labelSource === "reserved") {
    keyStart = next + 1;
    keyEnd = label.length;
    valueStart = -1;
  } else {
    keyEnd = eq;
    valueStart = eq + 1;
  }
}

function sourceIs(label: string, source: string): boolean {
  if (labelSource !== "") return labelSource === source;
  return srcEnd === source.length && label.startsWith(source, 0);
}

function keyIs(label: string, key: string): boolean {
  return keyEnd - keyStart === key.length && label.startsWith(key, keyStart);
}

function hasKey(label: string, r: LabelRequirement): boolean {
  scanLabel(label);
  if (r.source !== "any" && !sourceIs(label, r.source)) return false;
  if (r.cidr !== null && sourceIs(label, "cidr")) {
    const own = cidrOf(label.slice(keyStart, keyEnd));
    if (own !== null && prefixCovers(r.cidr, own)) return true;
  }
  return keyIs(label, r.key);
}

/** Index of the first label having the requirement's key, or -1. Leaves the scan state on that label. */
function lookup(labels: readonly string[], r: LabelRequirement): number {
  for (let i = 0; i < labels.length; i++) {
    if (hasKey(labels[i], r)) return i;
  }
  return -1;
}

function valueIn(label: string, values: readonly string[]): boolean {
  const length = valueStart < 0 ? 0 : label.length - valueStart;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v.length === length && (length === 0 || label.startsWith(v, valueStart))) return true;
  }
  return false;
}

function requirementMatches(labels: readonly string[], r: LabelRequirement): boolean {
  const at = lookup(labels, r);
  switch (r.operator) {
    case "exists":
      return at >= 0;
    case "!":
      return at < 0;
    case "in":
    case "=":
    case "==":
      return at >= 0 && valueIn(labels[at], r.values);
    case "notin":
    case "!=":
      return at < 0 || !valueIn(labels[at], r.values);
    case "gt":
    case "lt": {
      if (at < 0) return false;
      const text = valueStart < 0 ? "" : labels[at].slice(valueStart);
      if (!/^[+-]?[0-9]+$/.test(text)) return false;
      const n = Number(text);
      return r.operator === "gt" ? n > r.number : n < r.number;
    }
  }
}

const EMPTY: readonly string[] = [];

function labelMatcher(selectors: readonly string[], getLabels: (flow: Parameters<FieldMatcher>[0]) => readonly string[] | undefined, context: string): FieldMatcher {
  const compiled = selectors.map((s) => {
    try {
      return compileSelector(s);
    } catch (err) {
      if (err instanceof SelectorError) throw new FilterBuildError(`${context}: ${err.message}`);
      throw err;
    }
  });
  return (flow) => {
    const labels = getLabels(flow) ?? EMPTY;
    outer: for (let s = 0; s < compiled.length; s++) {
      const requirements = compiled[s];
      for (let r = 0; r < requirements.length; r++) {
        if (!requirementMatches(labels, requirements[r])) continue outer;
      }
      return true;
    }
    return false;
  };
}

export function buildLabelMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourceLabel)) {
    out.push(labelMatcher(f.sourceLabel, (fl) => fl.source?.labels, "invalid source label filter"));
  }
  if (isSet(f.destinationLabel)) {
    out.push(labelMatcher(f.destinationLabel, (fl) => fl.destination?.labels, "invalid destination label filter"));
  }
  if (isSet(f.nodeLabels)) {
    out.push(labelMatcher(f.nodeLabels, (fl) => fl.nodeLabels, "invalid node labels filter"));
  }
}
