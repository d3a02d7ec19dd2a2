// Filter-bar entries for values seen in a flow: a click on a value in the details drawer (or on a
// node of the map) adds the entry, or its negation. Every helper returns `undefined` when the value
// cannot be expressed as an entry that selects exactly that value, so a button is never offered
// that would filter something else:
//
// * the entry must survive the filter bar's own parser unchanged (canonical spelling, no trimming);
// * it must build Hubble filters that compile (label selectors, RE2, patterns);
// * values cut by `boundFlowJson` are refused: the cut text is not the real value;
// * regex kinds (http-path, http-url) get the value escaped and anchored, so `/v1/a.b` matches that
//   literal path and nothing else; no RegExp is built from flow text here (RE2 escaping is textual).
import { MAX_TEXT, type FlowEndpointView } from "../flow-model";
import { parseFilterEntry, formatFilterEntry, sameFilterEntry, type FilterEntry } from "../filter-model/entry";
import type { FilterKind } from "../filter-model/kinds";
import { toHubbleFilters } from "../filter-model/hubble-filters";
import { compileFlowFilters } from "../filters";
import { requestURIPath } from "../filters/url";

export type Side = "source" | "destination";

const dirOf = (side: Side) => (side === "source" ? "from" : "to");

/** The same entry with `!` toggled: "exclude" for a "filter" entry. */
export function negateFilterEntry(entry: FilterEntry): FilterEntry {
  return { ...entry, negated: !entry.negated };
}

/** RE2 escaping of a literal: every metacharacter gets a backslash (Go's regexp.QuoteMeta). */
export function escapeRE2Literal(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/** An anchored RE2 pattern that matches exactly `text`. */
export function exactRE2(text: string): string {
  return `^${escapeRE2Literal(text)}$`;
}

function isCut(value: string): boolean {
  return value.length > MAX_TEXT && value.endsWith("…");
}

/**
 * The entry `kind=value` (with a side), or undefined when the filter bar would read it back
 * differently or Hubble could not build it. The value is normalised by the parser (so
 * `verdict=dropped` is fine), but must not change meaning on the way (trimming, splitting).
 */
export function safeFilterEntry(kind: FilterKind, value: string, direction: "either" | "from" | "to" = "either"): FilterEntry | undefined {
  if (value === "" || isCut(value)) return undefined;
  const prefix = direction === "either" ? "" : `${direction}:`;
  const text = `${prefix}${kind}=${value}`;
  // Labels, nodes, ports repeat across flows; checking one costs a filter compile (~0.2 ms).
  if (checked.has(text)) {
    const hit = checked.get(text);
    return hit && { ...hit };
  }
  const entry = checkEntry(kind, value, direction, text);
  if (checked.size >= MAX_CHECKED) checked.clear();
  checked.set(text, entry);
  return entry && { ...entry };
}

const MAX_CHECKED = 4096;
const checked = new Map<string, FilterEntry | undefined>();

function checkEntry(kind: FilterKind, value: string, direction: "either" | "from" | "to", text: string): FilterEntry | undefined {
  let entry: FilterEntry;
  try {
    entry = parseFilterEntry(text);
  } catch {
    return undefined;
  }
  if (entry.kind !== kind || entry.direction !== direction || entry.negated) return undefined;
  // Trimming or normalising into another value would filter something else.
  // (`type` is the exception: its parser turns numbers into names, `4:0` into `trace:to-endpoint`.)
  if (value.trim() !== value) return undefined;
  if (kind !== "type" && entry.value.toLowerCase() !== value.toLowerCase()) return undefined;
  try {
    const again = parseFilterEntry(formatFilterEntry(entry));
    if (!sameFilterEntry(again, entry)) return undefined;
    for (const e of [entry, negateFilterEntry(entry)]) {
      const { whitelist, blacklist } = toHubbleFilters({ namespaces: [], verdicts: [], filters: [e] });
      compileFlowFilters(whitelist, blacklist);
    }
  } catch {
    return undefined;
  }
  return entry;
}

// ---- endpoints ----------------------------------------------------------------------------

/** `from:pod=shop/frontend-…` (a pod-name prefix in Hubble; the full name is given). */
export function filterEntryForPod(side: Side, namespace: string, pod: string): FilterEntry | undefined {
  if (!pod || pod.includes("/")) return undefined;
  return safeFilterEntry("pod", `${namespace}/${pod}`, dirOf(side));
}

export function filterEntryForNamespace(side: Side, namespace: string): FilterEntry | undefined {
  return safeFilterEntry("namespace", namespace, dirOf(side));
}

// A Cilium label as a one-requirement selector: `source:key=value` or `source:key`; anything with
// selector syntax in it (commas, spaces, parentheses, `!`) would mean something else.
const LABEL = /^[A-Za-z0-9_.\-/:]+(=[A-Za-z0-9_.-]*)?$/;

/** `from:label=k8s:app=frontend`: the endpoint carries that label. */
export function filterEntryForLabel(side: Side, label: string): FilterEntry | undefined {
  if (!LABEL.test(label)) return undefined;
  return safeFilterEntry("label", label, dirOf(side));
}

export function filterEntryForIp(side: Side, ip: string): FilterEntry | undefined {
  if (ip.includes("/")) return undefined;
  return safeFilterEntry("ip", ip, dirOf(side));
}

export function filterEntryForIdentity(side: Side, identity: number): FilterEntry | undefined {
  if (!Number.isSafeInteger(identity) || identity <= 0) return undefined;
  return safeFilterEntry("identity", String(identity), dirOf(side));
}

/** `from:workload=Deployment/frontend`. */
export function filterEntryForWorkload(side: Side, workload: { readonly kind?: string; readonly name?: string }): FilterEntry | undefined {
  const kind = workload.kind ?? "";
  const name = workload.name ?? "";
  // The filter bar splits `kind/name` at the first '/': a kindless name must not contain one.
  if (!name || kind.includes("/") || (!kind && name.includes("/"))) return undefined;
  return safeFilterEntry("workload", kind ? `${kind}/${name}` : name, dirOf(side));
}

/** `to:service=shop/cart` (a service-name prefix in Hubble). */
export function filterEntryForService(side: Side, namespace: string, name: string): FilterEntry | undefined {
  if (!name || name.includes("/")) return undefined;
  return safeFilterEntry("service", `${namespace}/${name}`, dirOf(side));
}

// Hubble lower-cases the pattern but not the flow's names, drops one trailing dot from the pattern
// only, and gives "*" a meaning: only names that read back as themselves are offered.
const FQDN_LITERAL = /^[-0-9_a-z]+(\.[-0-9_a-z]+)*$/;

/** `to:fqdn=api.github.com` (one of source_names / destination_names). */
export function filterEntryForFqdn(side: Side, name: string): FilterEntry | undefined {
  if (!FQDN_LITERAL.test(name)) return undefined;
  return safeFilterEntry("fqdn", name, dirOf(side));
}

export function filterEntryForCluster(side: Side, cluster: string): FilterEntry | undefined {
  return safeFilterEntry("cluster", cluster, dirOf(side));
}

export function filterEntryForPort(side: Side, port: number): FilterEntry | undefined {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return safeFilterEntry("port", String(port), dirOf(side));
}

/**
 * The most telling entry for one side of a row: the pod, else the workload, else a reserved
 * identity (world, host, …), else a DNS name, else the IP.
 */
export function filterEntryForEndpoint(side: Side, ep: FlowEndpointView): FilterEntry | undefined {
  if (ep.pod) {
    const e = filterEntryForPod(side, ep.namespace, ep.pod);
    if (e) return e;
  }
  if (ep.workload) {
    const e = filterEntryForWorkload(side, { kind: ep.workloadKind, name: ep.workload });
    if (e) return e;
  }
  if (ep.entity && ep.identity > 0 && ep.identity < 256) {
    const e = filterEntryForIdentity(side, ep.identity);
    if (e) return e;
  }
  for (const name of ep.names) {
    const e = filterEntryForFqdn(side, name);
    if (e) return e;
  }
  return ep.ip ? filterEntryForIp(side, ep.ip) : undefined;
}

// ---- flow-level values ----------------------------------------------------------------------

/** `protocol=tcp` from an l4 key (TCP, UDP, ICMPv4, …) or an L7 record (http, dns, kafka). */
export function filterEntryForProtocol(protocol: string): FilterEntry | undefined {
  return safeFilterEntry("protocol", protocol.toLowerCase());
}

export function filterEntryForVerdict(verdict: string): FilterEntry | undefined {
  if (verdict === "VERDICT_UNKNOWN") return undefined;
  return safeFilterEntry("verdict", verdict);
}

/** Hubble matches a drop reason only on DROPPED flows: pass the flow's verdict. */
export function filterEntryForDropReason(reason: string, verdict: string): FilterEntry | undefined {
  if (verdict !== "DROPPED" || reason === "DROP_REASON_UNKNOWN") return undefined;
  return safeFilterEntry("drop-reason", reason);
}

export function filterEntryForHttpStatus(code: number): FilterEntry | undefined {
  if (!Number.isInteger(code) || code < 100 || code > 599) return undefined;
  return safeFilterEntry("http-status", String(code));
}

export function filterEntryForHttpMethod(method: string): FilterEntry | undefined {
  if (!/^[A-Za-z]+$/.test(method)) return undefined;
  return safeFilterEntry("http-method", method);
}

/** `http-path=^/v1/a\.b$`: the literal path (Hubble's http_path is an unanchored RE2). */
export function filterEntryForHttpPath(path: string): FilterEntry | undefined {
  if (path === "" || isCut(path)) return undefined;
  return safeFilterEntry("http-path", exactRE2(path));
}

/** The http-path entry for a URL, using the path Hubble itself extracts (Go's ParseRequestURI). */
export function filterEntryForHttpUrlPath(url: string): FilterEntry | undefined {
  if (isCut(url)) return undefined;
  const path = requestURIPath(url);
  return path === null ? undefined : filterEntryForHttpPath(path);
}

/** `http-url=^http://x/y$`: the literal URL. */
export function filterEntryForHttpUrl(url: string): FilterEntry | undefined {
  if (url === "" || isCut(url)) return undefined;
  return safeFilterEntry("http-url", exactRE2(url));
}

/** `http-header=key:value` (exact, case-sensitive match on both). */
export function filterEntryForHttpHeader(key: string, value: string): FilterEntry | undefined {
  if (!key || key.includes(":") || isCut(value)) return undefined;
  return safeFilterEntry("http-header", `${key}:${value}`);
}

const NODE_PART = "[-0-9_a-z]+(?:\\.[-0-9_a-z]+)*";
const NODE_LITERAL = new RegExp(`^(?:${NODE_PART}/)?${NODE_PART}$`);

/** `node=kind-kind/kind-worker` (a wildcard pattern in Hubble; only literal names are offered). */
export function filterEntryForNode(name: string): FilterEntry | undefined {
  if (!NODE_LITERAL.test(name)) return undefined;
  return safeFilterEntry("node", name);
}

/** `node-label=kubernetes.io/os=linux` (node labels have no source prefix). */
export function filterEntryForNodeLabel(label: string): FilterEntry | undefined {
  if (!LABEL.test(label)) return undefined;
  return safeFilterEntry("node-label", label);
}

/** `traffic-direction=ingress` from INGRESS / EGRESS. */
export function filterEntryForTrafficDirection(direction: string): FilterEntry | undefined {
  if (direction !== "INGRESS" && direction !== "EGRESS") return undefined;
  return safeFilterEntry("traffic-direction", direction.toLowerCase());
}

/** `type=trace:to-endpoint`, `type=drop:133`, `type=l7`. */
export function filterEntryForEventType(type: number, subType: number): FilterEntry | undefined {
  if (!Number.isInteger(type) || type <= 0 || !Number.isInteger(subType) || subType < 0) return undefined;
  // Trace points and drop reasons are worth pinning; for the rest the type alone is what people mean.
  const value = type === 4 || type === 1 || subType !== 0 ? `${type}:${subType}` : String(type);
  return safeFilterEntry("type", value);
}

export function filterEntryForUuid(uuid: string): FilterEntry | undefined {
  return safeFilterEntry("uuid", uuid);
}

/** `tcp-flags=SYN,ACK`: flows with at least these flags set. */
export function filterEntryForTcpFlags(flags: readonly string[]): FilterEntry | undefined {
  if (flags.length === 0) return undefined;
  return safeFilterEntry("tcp-flags", flags.join(","));
}

export function filterEntryForIpVersion(version: string): FilterEntry | undefined {
  if (version === "IPv4") return safeFilterEntry("ip-version", "v4");
  if (version === "IPv6") return safeFilterEntry("ip-version", "v6");
  return undefined;
}

export function filterEntryForSnatIp(ip: string): FilterEntry | undefined {
  if (ip.includes("/")) return undefined;
  return safeFilterEntry("snat-ip", ip);
}

export function filterEntryForInterface(name: string): FilterEntry | undefined {
  return safeFilterEntry("interface", name);
}

export function filterEntryForEncrypted(encrypted: boolean): FilterEntry | undefined {
  return safeFilterEntry("encrypted", String(encrypted));
}

export function filterEntryForTraceId(traceId: string): FilterEntry | undefined {
  return safeFilterEntry("trace-id", traceId);
}
