// The compiled form of policies: every CNP/CCNP spec (or `specs[n]`) and every
// NetworkPolicy becomes a RuleBlock — a subject selector plus allow and deny rules per
// direction, each rule a peer matcher and port entries, each carrying its path in the source
// document so explanations can point at it.

import type { FlowSide, L4 } from "./flow";
import type { LabelSet, Selector } from "./labels";
import type { NamedPortIndex } from "./named-ports";
import type { Direction, PolicyId, PolicyObject, PolicyProblem, PolicySet } from "./types";

/** The remote side as a rule sees it. */
export type Peer = FlowSide;

export interface PeerMatcher {
  /** "fromEndpoints", "toEntities", "toCIDRSet", "toFQDNs", "from" (NetworkPolicy)… */
  readonly field: string;
  /** Human text of what it selects, e.g. `app=web in namespace shop`. */
  readonly describe: string;
  readonly matches: (peer: Peer) => boolean;
  /** Why this peer does not match (only called when it does not). */
  readonly whyNot: (peer: Peer) => string;
  /** Selects every identity (`fromEntities: [all]`, NetworkPolicy `from: []`). */
  readonly all: boolean;
  /** Reason this matcher cannot be evaluated exactly (named CIDR groups, toServices…). */
  readonly caveat?: string;
}

export interface HttpRule {
  readonly path: string;
  readonly method?: Matcher;
  readonly pathRe?: Matcher;
  readonly host?: Matcher;
  readonly headers: readonly { readonly name: string; readonly value?: string }[];
  readonly text: string;
}

export interface DnsRule {
  readonly path: string;
  readonly matches: (name: string) => boolean;
  readonly text: string;
}

export interface KafkaRule {
  readonly path: string;
  readonly apiKeys: readonly string[] | null;
  readonly topic?: string;
  readonly text: string;
}

export interface Matcher {
  readonly source: string;
  readonly test: (s: string) => boolean;
}

export interface L7Rules {
  /** Path of the `rules` section, e.g. `ingress[0].toPorts[1].rules`. */
  readonly path: string;
  readonly http?: readonly HttpRule[];
  readonly dns?: readonly DnsRule[];
  readonly kafka?: readonly KafkaRule[];
  /** L7 rule types the explainer cannot evaluate (l7proto generic rules). */
  readonly unsupported?: string;
}

export interface PortEntry {
  /** Path of the port entry group: `ingress[0].toPorts[1]` or `spec.ingress[0].ports[2]`. */
  readonly path: string;
  readonly port: number; // 0 = all ports
  readonly endPort: number;
  readonly protocol: "TCP" | "UDP" | "SCTP" | "ANY" | "ICMP";
  readonly named?: string;
  readonly l7: L7Rules | null;
  readonly text: string;
}

export interface IcmpEntry {
  readonly family: "IPv4" | "IPv6";
  readonly type: number;
}

export interface AllowRule {
  /** 0-based path as the explainer reports it: `ingress[0]`, `specs[1].egress[2]`, `spec.ingress[0].from[1]`. */
  readonly path: string;
  /** OR of peer matchers; null = any peer (a rule with only toPorts). */
  readonly peers: readonly PeerMatcher[] | null;
  /** null = all ports and ICMP. */
  readonly ports: readonly PortEntry[] | null;
  readonly icmps: readonly IcmpEntry[] | null;
  /** The rule as written, for suggestions that extend it. */
  readonly raw: unknown;
}

export interface RuleBlock {
  readonly policy: PolicyId;
  readonly source: PolicyObject;
  /** "" for `spec`, "specs[1]." for a multi-rule CNP, "spec." for NetworkPolicy. */
  readonly prefix: string;
  readonly selects: (subject: LabelSet, kind: "pod" | "host") => boolean;
  readonly subject: Selector;
  readonly nodeSelector: boolean;
  readonly allow: Readonly<Record<Direction, readonly AllowRule[]>>;
  readonly deny: Readonly<Record<Direction, readonly AllowRule[]>>;
  /** The block has rules in this direction (puts the subject in default-deny unless disabled). */
  readonly hasRules: Readonly<Record<Direction, boolean>>;
  /** enableDefaultDeny.<dir> !== false (after the agent setting). */
  readonly defaultDeny: Readonly<Record<Direction, boolean>>;
  /** NetworkPolicy: report rule paths in KNP terms. */
  readonly isKnp: boolean;
}

export interface CompiledPolicySet {
  readonly set: PolicySet;
  readonly blocks: readonly RuleBlock[];
  readonly problems: readonly PolicyProblem[];
  readonly byKey: ReadonlyMap<string, PolicyObject>;
  /** Per-subject cache of selecting blocks, keyed by kind + labels. */
  readonly selectingCache: Map<string, readonly RuleBlock[]>;
  /** Named container ports of the set's workloads, for `port: "http"` entries. */
  readonly namedPorts: NamedPortIndex;
  /** Some rule names a port (`port: "http"`): only then is a per-flow resolver worth making. */
  readonly hasNamedPorts: boolean;
  /** Suggestions by what they depend on: building YAML is the slow part of a denial. */
  readonly suggestionCache: Map<string, { summary: string; yaml: string } | null>;
}

/** `named` resolves a named port entry to its number at this flow's destination (undefined: unknown). */
export function portMatches(e: PortEntry, l4: L4, named?: { port(name: string): number | undefined }): "yes" | "port" | "protocol" {
  if (l4.proto === "ICMPv4" || l4.proto === "ICMPv6") return "protocol";
  if (l4.proto !== "TCP" && l4.proto !== "UDP" && l4.proto !== "SCTP") return "protocol";
  if (e.named !== undefined) {
    const n = named?.port(e.named);
    if (n === undefined || n !== l4.port) return "port";
    return e.protocol === "ANY" || e.protocol === l4.proto ? "yes" : "protocol";
  }
  const inRange = e.port === 0 || (l4.port >= e.port && l4.port <= e.endPort);
  const protoOk = e.protocol === "ANY" || e.protocol === l4.proto;
  if (inRange && protoOk) return "yes";
  return inRange ? "protocol" : "port";
}
