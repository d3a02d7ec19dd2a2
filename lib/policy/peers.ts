// Peer selectors of Cilium rules (policy-semantics.md §4-§6): endpoints (with the implicit
// namespace scoping of CNP and CCNP), entities, CIDR/CIDRSet with except, and toFQDNs.

import { parsePrefix, prefixContains, type Prefix } from "../filters/ip";
import { fqdnMatcher } from "./l7";
import {
  CLUSTER_LABEL,
  compileSelector,
  describeRequirement,
  describeSelector,
  firstFailing,
  mentions,
  NAMESPACE_LABELS_PREFIX,
  POD_NAMESPACE,
  type Selector,
  selectorMatches,
} from "./labels";
import type { Peer, PeerMatcher } from "./model";

export type Scope = { readonly kind: "namespace"; readonly namespace: string } | { readonly kind: "cluster" };

/** `fromEndpoints` entry, with the namespace (CNP) or pods-only (CCNP) requirement added. */
export function endpointPeer(raw: unknown, field: string, scope: Scope): PeerMatcher | string {
  const compiled = compileSelector(raw);
  if (typeof compiled === "string") return compiled;
  const sel = scopePeerSelector(compiled, scope);
  const describe = describeEndpointSelector(sel);
  return {
    field,
    describe,
    all: false,
    matches: (p) => selectorMatches(sel, p.labels),
    whyNot: (p) => {
      const r = firstFailing(sel, p.labels);
      if (!r) return "matches";
      if (r.key === POD_NAMESPACE && r.source !== "reserved") {
        const ns = p.labels.get("k8s", POD_NAMESPACE);
        return ns === undefined ? `${peerName(p)} is not a pod; ${field} selects pods (${describe})` : `${peerName(p)} is in namespace ${ns}, the rule selects ${describe}`;
      }
      return `${peerName(p)} lacks ${describeRequirement(r)} (${field}: ${describe})`;
    },
  };
}

/** Adds the implicit scoping of §4: own namespace for CNP, any pod for CCNP; reserved keys as is. */
export function scopePeerSelector(sel: Selector, scope: Scope): Selector {
  if (mentions(sel, (r) => r.source === "reserved")) return sel;
  const namesNamespace = mentions(sel, (r) => (r.key === POD_NAMESPACE && (r.source === "k8s" || r.source === "any")) || r.key.startsWith(NAMESPACE_LABELS_PREFIX));
  if (namesNamespace) return sel;
  return {
    requirements: [
      ...sel.requirements,
      scope.kind === "namespace"
        ? { source: "k8s", key: POD_NAMESPACE, op: "In", values: [scope.namespace] }
        : { source: "k8s", key: POD_NAMESPACE, op: "Exists", values: [] },
    ],
  };
}

function describeEndpointSelector(sel: Selector): string {
  const ns = sel.requirements.find((r) => r.key === POD_NAMESPACE && r.op === "In" && r.values.length === 1);
  const rest = { requirements: sel.requirements.filter((r) => r !== ns) };
  const nsExists = rest.requirements.find((r) => r.key === POD_NAMESPACE && r.op === "Exists");
  const restText = describeSelector({ requirements: rest.requirements.filter((r) => r !== nsExists) });
  const what = restText === "{}" ? "all pods" : restText;
  if (ns) return `${what} in namespace ${ns.values[0]}`;
  if (nsExists) return `${what} in any namespace`;
  return what;
}

export function peerName(p: Peer): string {
  if (p.kind === "pod") return `${p.namespace}/${p.podName || "?"}`;
  if (p.kind === "host") return "the host";
  const reserved = p.labels.labels.find((l) => l.source === "reserved");
  const what = reserved ? reserved.key : "an unknown peer";
  return p.ip ? `${what} ${p.ip}` : what;
}

const has = (p: Peer, key: string) => p.labels.has("reserved", key);
const isWorld = (p: Peer) => has(p, "world") || has(p, "world-ipv4") || has(p, "world-ipv6") || (p.external && !p.labels.labels.some((l) => l.source === "reserved"));

/** Entity → predicate over the peer's identity (E-ent). Entities are never namespace-scoped. */
const ENTITIES: Record<string, (p: Peer) => boolean> = {
  all: () => true,
  world: isWorld,
  "world-ipv4": (p) => has(p, "world-ipv4") || (isWorld(p) && !!p.ip && p.ip.includes(".")),
  "world-ipv6": (p) => has(p, "world-ipv6") || (isWorld(p) && !!p.ip && p.ip.includes(":")),
  host: (p) => p.kind === "host" || has(p, "host"),
  "remote-node": (p) => has(p, "remote-node"),
  "kube-apiserver": (p) => has(p, "kube-apiserver"),
  ingress: (p) => has(p, "ingress"),
  health: (p) => has(p, "health"),
  init: (p) => has(p, "init"),
  unmanaged: (p) => has(p, "unmanaged"),
  none: () => false,
  // Single-cluster view: every pod carries the local cluster label, so any pod is "cluster".
  cluster: (p) =>
    p.kind === "pod" ||
    p.labels.has("k8s", CLUSTER_LABEL) ||
    ["host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver"].some((k) => has(p, k)) ||
    p.kind === "host",
};

export function entityPeer(raw: unknown, field: string): PeerMatcher | string {
  if (!Array.isArray(raw)) return `${field} must be a list of entities`;
  const names = raw.map((x) => String(x).toLowerCase());
  const unknown = names.find((n) => !ENTITIES[n]);
  if (unknown !== undefined) return `unknown entity ${JSON.stringify(unknown.slice(0, 40))}`;
  const preds = names.map((n) => ENTITIES[n]!);
  return {
    field,
    describe: `entities ${names.join(", ") || "(none)"}`,
    all: names.includes("all"),
    matches: (p) => preds.some((f) => f(p)),
    whyNot: (p) => `${peerName(p)} is not among ${field} [${names.join(", ")}]`,
  };
}

interface CidrEntry {
  readonly text: string;
  readonly prefix: Prefix;
  readonly except: readonly Prefix[];
}

/** `toCIDR` (list of strings) or `toCIDRSet` (list of {cidr, except}); only peers outside the cluster match. */
export function cidrPeer(raw: unknown, field: string, withExcept: boolean): PeerMatcher | string {
  if (!Array.isArray(raw)) return `${field} must be a list`;
  const entries: CidrEntry[] = [];
  let caveat: string | undefined;
  for (const item of raw) {
    const o = withExcept && typeof item === "object" && item !== null ? (item as Record<string, unknown>) : undefined;
    if (o && (o.cidrGroupRef !== undefined || o.cidrGroupSelector !== undefined) && o.cidr === undefined) {
      caveat = "cidrGroupRef/cidrGroupSelector refer to CiliumCIDRGroup objects, which the explainer does not read";
      continue;
    }
    const text = o ? o.cidr : item;
    if (typeof text !== "string") return `${field} entries need a cidr`;
    const prefix = parsePrefix(text.includes("/") ? text : text.includes(":") ? `${text}/128` : `${text}/32`);
    if (!prefix) return `invalid CIDR ${JSON.stringify(text.slice(0, 60))}`;
    const except: Prefix[] = [];
    if (o && Array.isArray(o.except)) {
      for (const e of o.except) {
        const ep = typeof e === "string" ? parsePrefix(e) : null;
        if (!ep) return `invalid except CIDR ${JSON.stringify(String(e).slice(0, 60))}`;
        except.push(ep);
      }
    }
    const exceptText = o && Array.isArray(o.except) && o.except.length ? ` except ${o.except.join(", ")}` : "";
    entries.push({ text: `${text}${exceptText}`, prefix, except });
  }
  const describe = `${field} ${entries.map((e) => e.text).join(", ") || "(CIDR groups)"}`;
  const inEntry = (ip: string, e: CidrEntry) => prefixContains(e.prefix, ip) && !e.except.some((x) => prefixContains(x, ip));
  return {
    field,
    describe,
    all: false,
    ...(caveat ? { caveat } : {}),
    matches: (p) => p.external && p.ip !== undefined && entries.some((e) => inEntry(p.ip!, e)),
    whyNot: (p) => {
      if (!p.external) return `${peerName(p)} is inside the cluster; CIDR rules only match peers outside it`;
      if (p.ip === undefined) return `the flow has no peer IP to match against ${describe}`;
      const excepted = entries.find((e) => prefixContains(e.prefix, p.ip!));
      if (excepted) return `${p.ip} is excluded by the except list of ${excepted.text}`;
      return `${p.ip} is not in ${describe}`;
    },
  };
}

/** `toFQDNs`: the peer's DNS names (destination_names, fqdn: labels) against the patterns. */
export function fqdnPeer(raw: unknown): PeerMatcher | string {
  if (!Array.isArray(raw)) return "toFQDNs must be a list";
  const ms: { matches: (n: string) => boolean; text: string }[] = [];
  for (const x of raw) {
    const m = fqdnMatcher(x);
    if (typeof m === "string") return `toFQDNs: ${m}`;
    ms.push(m);
  }
  const describe = `toFQDNs ${ms.map((m) => m.text).join(", ")}`;
  const names = (p: Peer): string[] => [...p.names, ...p.labels.labels.filter((l) => l.source === "fqdn").map((l) => l.key)];
  return {
    field: "toFQDNs",
    describe,
    all: false,
    matches: (p) => p.external && names(p).some((n) => ms.some((m) => m.matches(n))),
    whyNot: (p) => {
      if (!p.external) return `${peerName(p)} is inside the cluster; toFQDNs only selects IPs outside it`;
      const ns = names(p);
      if (ns.length === 0) return `the flow carries no DNS name for ${p.ip ?? "the destination"} (destination_names is empty), so ${describe} cannot be checked`;
      return `${ns.slice(0, 3).join(", ").slice(0, 200)} does not match ${describe}`;
    },
  };
}

/** Peer fields the explainer cannot evaluate exactly: reported as caveats, never matching. */
export function unsupportedPeer(field: string, why: string): PeerMatcher {
  return { field, describe: field, all: false, caveat: `${field} is not evaluated: ${why}`, matches: () => false, whyNot: () => `${field} is not evaluated (${why})` };
}
