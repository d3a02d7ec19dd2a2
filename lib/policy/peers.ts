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
  LabelSet,
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
      scope.kind === "namespace" ? { source: "k8s", key: POD_NAMESPACE, op: "In", values: [scope.namespace] } : { source: "k8s", key: POD_NAMESPACE, op: "Exists", values: [] },
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
  readonly prefixes: readonly Prefix[];
  readonly except: readonly Prefix[];
  /** CiliumCIDRGroup names the entry stands for: a peer labelled as in one of them matches too. */
  readonly groups: readonly string[];
}

/** A CiliumCIDRGroup as policies see it: its name, labels (for cidrGroupSelector) and CIDRs. */
export interface CidrGroup {
  readonly name: string;
  readonly labels: LabelSet;
  readonly cidrs: readonly { readonly text: string; readonly prefix: Prefix }[];
}

/** Label Cilium puts on the identities of addresses in a CiliumCIDRGroup. */
const CIDR_GROUP_LABEL = "io.cilium.policy.cidrgroupname/";

export function parseCidr(text: string): Prefix | null {
  return parsePrefix(text.includes("/") ? text : text.includes(":") ? `${text}/128` : `${text}/32`);
}

/**
 * `toCIDR` (list of strings) or `toCIDRSet` (list of {cidr | cidrGroupRef | cidrGroupSelector,
 * except}); only peers outside the cluster match. Group references are resolved against the
 * CiliumCIDRGroups of the same set; a reference to a group that is not there matches nothing.
 */
export function cidrPeer(raw: unknown, field: string, withExcept: boolean, groups: ReadonlyMap<string, CidrGroup> = new Map()): PeerMatcher | string {
  if (!Array.isArray(raw)) return `${field} must be a list`;
  const entries: CidrEntry[] = [];
  const missing: string[] = [];
  for (const item of raw) {
    const o = withExcept && typeof item === "object" && item !== null ? (item as Record<string, unknown>) : undefined;
    const except: Prefix[] = [];
    if (o && Array.isArray(o.except)) {
      for (const e of o.except) {
        const ep = typeof e === "string" ? parseCidr(e) : null;
        if (!ep) return `invalid except CIDR ${JSON.stringify(String(e).slice(0, 60))}`;
        except.push(ep);
      }
    }
    const exceptText = o && Array.isArray(o.except) && o.except.length ? ` except ${o.except.join(", ")}` : "";
    const given = o ? ["cidr", "cidrGroupRef", "cidrGroupSelector"].filter((k) => o[k] !== undefined && o[k] !== null) : [];
    if (given.length > 1) return `${field} entries take one of cidr, cidrGroupRef and cidrGroupSelector (got ${given.join(" and ")})`;
    if (o && given[0] === "cidrGroupRef") {
      if (typeof o.cidrGroupRef !== "string" || o.cidrGroupRef === "") return `${field} cidrGroupRef must be a group name`;
      const g = groups.get(o.cidrGroupRef);
      if (!g) missing.push(o.cidrGroupRef);
      entries.push(groupEntry(`cidrGroupRef ${o.cidrGroupRef}`, g ? [g] : [], [o.cidrGroupRef], except, exceptText));
      continue;
    }
    if (o && given[0] === "cidrGroupSelector") {
      const sel = compileSelector(o.cidrGroupSelector);
      if (typeof sel === "string") return `${field} cidrGroupSelector: ${sel}`;
      const selected = [...groups.values()].filter((g) => selectorMatches(sel, g.labels));
      entries.push(
        groupEntry(
          `cidrGroupSelector ${describeSelector(sel)}`,
          selected,
          selected.map((g) => g.name),
          except,
          exceptText,
        ),
      );
      continue;
    }
    const text = o ? o.cidr : item;
    if (typeof text !== "string") return `${field} entries need a cidr`;
    const prefix = parseCidr(text);
    if (!prefix) return `invalid CIDR ${JSON.stringify(text.slice(0, 60))}`;
    entries.push({ text: `${text}${exceptText}`, prefixes: [prefix], except, groups: [] });
  }
  const describe = `${field} ${entries.map((e) => e.text).join(", ") || "(none)"}`;
  const caveat = missing.length ? `${field} refers to CiliumCIDRGroup ${missing.slice(0, 3).join(", ")}, which is not among the given objects, so it matches nothing` : undefined;
  const inGroup = (p: Peer, e: CidrEntry) => e.groups.some((g) => p.labels.has("cidrgroup", CIDR_GROUP_LABEL + g));
  const inEntry = (p: Peer, e: CidrEntry) =>
    p.ip !== undefined ? e.prefixes.some((x) => prefixContains(x, p.ip!)) && !e.except.some((x) => prefixContains(x, p.ip!)) : inGroup(p, e);
  return {
    field,
    describe,
    all: false,
    ...(caveat ? { caveat } : {}),
    matches: (p) => p.external && entries.some((e) => inEntry(p, e)),
    whyNot: (p) => {
      if (!p.external) return `${peerName(p)} is inside the cluster; CIDR rules only match peers outside it`;
      if (p.ip === undefined) return `the flow has no peer IP to match against ${describe}`;
      const excepted = entries.find((e) => e.prefixes.some((x) => prefixContains(x, p.ip!)));
      if (excepted) return `${p.ip} is excluded by the except list of ${excepted.text}`;
      return `${p.ip} is not in ${describe}${caveat ? ` (${caveat})` : ""}`;
    },
  };
}

function groupEntry(what: string, selected: readonly CidrGroup[], names: readonly string[], except: Prefix[], exceptText: string): CidrEntry {
  const cidrs = selected.flatMap((g) => g.cidrs);
  const list = cidrs.length
    ? cidrs
        .slice(0, 4)
        .map((c) => c.text)
        .join(", ") + (cidrs.length > 4 ? `, +${cidrs.length - 4}` : "")
    : "no CIDRs";
  return { text: `${what} (${list})${exceptText}`, prefixes: cidrs.map((c) => c.prefix), except, groups: names };
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

/**
 * `toServices`: the Service the flow was addressed to (Hubble's destination_service). A
 * `k8sService` names it; a `k8sServiceSelector` selects Services by their labels, which a flow
 * does not carry, so only a selector without requirements (every Service of the namespace) can
 * be checked. An empty namespace means the policy's own (CNP) or any namespace (CCNP).
 */
export function servicePeer(raw: unknown, scope: Scope): PeerMatcher | string {
  if (!Array.isArray(raw)) return "toServices must be a list";
  const terms: { text: string; matches: (s: { name: string; namespace: string }) => boolean; caveat?: string }[] = [];
  const nsOf = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : scope.kind === "namespace" ? scope.namespace : undefined);
  for (const item of raw) {
    const o = typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
    const byName = typeof o.k8sService === "object" && o.k8sService !== null ? (o.k8sService as Record<string, unknown>) : undefined;
    const bySel = typeof o.k8sServiceSelector === "object" && o.k8sServiceSelector !== null ? (o.k8sServiceSelector as Record<string, unknown>) : undefined;
    if (byName) {
      if (typeof byName.serviceName !== "string" || byName.serviceName === "") return "toServices k8sService needs a serviceName";
      const name = byName.serviceName;
      const ns = nsOf(byName.namespace);
      terms.push({ text: `service ${ns ? `${ns}/` : "*/"}${name}`, matches: (s) => s.name === name && (ns === undefined || s.namespace === ns) });
    } else if (bySel) {
      const sel = compileSelector(bySel.selector);
      if (typeof sel === "string") return `toServices k8sServiceSelector: ${sel}`;
      const ns = nsOf(bySel.namespace);
      const where = ns ? `in namespace ${ns}` : "in any namespace";
      if (sel.requirements.length === 0) terms.push({ text: `every service ${where}`, matches: (s) => ns === undefined || s.namespace === ns });
      else
        terms.push({
          text: `services with ${describeSelector(sel)} ${where}`,
          matches: () => false,
          caveat: `toServices k8sServiceSelector ${describeSelector(sel)} is not evaluated: a flow names its Service but not the Service's labels`,
        });
    } else return "toServices entries need k8sService or k8sServiceSelector";
  }
  const describe = `toServices ${terms.map((t) => t.text).join(", ") || "(none)"}`;
  const caveat = terms.find((t) => t.caveat)?.caveat;
  return {
    field: "toServices",
    describe,
    all: false,
    ...(caveat ? { caveat } : {}),
    matches: (p) => p.service !== undefined && terms.some((t) => t.matches(p.service!)),
    whyNot: (p) =>
      p.service === undefined
        ? `the flow names no destination Service (destination_service is empty: the client did not go through a Service address), so ${describe} cannot match`
        : `the flow went to service ${p.service.namespace}/${p.service.name}, not ${describe}${caveat ? ` (${caveat})` : ""}`,
  };
}

const isNode = (p: Peer) => p.kind === "host" || has(p, "host") || has(p, "remote-node");

/**
 * `fromNodes` / `toNodes`: node selectors over the labels of the peer node. The local host's
 * labels are the flow's node_labels (the node that observed it); a remote node's labels are on
 * its identity only with enable-node-selector-labels (without it Cilium rejects these rules, see
 * cilium.ts), and the flow then carries them as the peer's labels.
 */
export function nodePeer(raw: unknown, field: string): PeerMatcher | string {
  if (!Array.isArray(raw)) return `${field} must be a list of node selectors`;
  const sels: Selector[] = [];
  for (const s of raw) {
    const sel = compileSelector(s);
    if (typeof sel === "string") return sel;
    sels.push(sel);
  }
  const describe = `nodes ${sels.map((s) => (s.requirements.length ? describeSelector(s) : "(all)")).join(" or ")}`;
  // Node labels only: a pod's k8s: labels must never satisfy a node selector.
  const nodeLabels = (p: Peer) => new LabelSet(p.labels.labels.filter((l) => l.source !== "reserved"));
  return {
    field,
    describe,
    all: false,
    matches: (p) => isNode(p) && sels.some((s) => s.requirements.length === 0 || selectorMatches(s, nodeLabels(p))),
    whyNot: (p) => {
      if (!isNode(p)) return `${peerName(p)} is not a node; ${field} selects ${describe}`;
      const labels = nodeLabels(p);
      if (labels.labels.length === 0) return `the flow carries no node labels for ${peerName(p)}, so ${field} (${describe}) cannot match it`;
      const r = firstFailing(sels[0]!, labels);
      return `${peerName(p)} lacks ${r ? describeRequirement(r) : "the selected labels"} (${field}: ${describe})`;
    },
  };
}
