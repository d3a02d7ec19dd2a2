// One enforcement point: endpoint E, direction D, the remote peer, L4 and (maybe) an L7
// request → what the policies decide there (policy-semantics.md §1 steps 2-8).

import { selectingBlocks } from "./compile";
import type { FlowFacts, FlowSide, L4, L7 } from "./flow";
import { httpRuleMatches, kafkaRuleMatches } from "./l7";
import { type AllowRule, type CompiledPolicySet, type DnsRule, type HttpRule, type KafkaRule, type L7Rules, type PortEntry, portMatches, type RuleBlock } from "./model";
import { resolveNamedPort, type Resolution } from "./named-ports";
import type { Direction } from "./types";

export interface RuleMatch {
  readonly block: RuleBlock;
  readonly rule: AllowRule;
  /** Matching port entries; empty when the rule has no toPorts (all ports) or matched via icmps. */
  readonly ports: readonly PortEntry[];
  readonly specificity: number;
}

export interface NearMissFound {
  readonly block: RuleBlock;
  readonly rule: AllowRule;
  readonly failed: readonly ("peer" | "port" | "protocol" | "l7")[];
  readonly why: string;
  readonly path: string;
}

export type L7Outcome =
  | { readonly kind: "none" } // no L7 rules apply (void or none written)
  | { readonly kind: "pending"; readonly rules: readonly L7Rules[] } // L3/L4 record of a proxied port
  | { readonly kind: "allowed"; readonly rulePath: string; readonly text: string }
  // L7 rules exist for this peer and port, but `by` allows the port without any: they have no effect (§1 step 7).
  | { readonly kind: "voided"; readonly by: RuleMatch; readonly overridden: readonly RuleMatch[] }
  | { readonly kind: "denied"; readonly rules: readonly L7Rules[]; readonly tried: readonly (HttpRule | DnsRule | KafkaRule)[] }
  | { readonly kind: "unsupported"; readonly what: string };

export type SideResult =
  | {
      readonly kind: "not-enforced";
      readonly why: "mode-never" | "host-firewall-off" | "no-policy" | "default-deny-disabled";
      readonly selecting: readonly RuleBlock[];
      readonly matches: readonly RuleMatch[];
    }
  | { readonly kind: "deny-rule"; readonly match: RuleMatch }
  // `isolating`: the policies that put the endpoint in default-deny for this direction, so the
  // user sees that nothing but the implicit rule lets this flow in.
  | { readonly kind: "implicit-allow"; readonly why: "localhost"; readonly isolating: readonly RuleBlock[]; readonly always: boolean }
  | { readonly kind: "allowed"; readonly primary: RuleMatch; readonly matches: readonly RuleMatch[]; readonly l7: L7Outcome; readonly caveats: readonly string[] }
  | { readonly kind: "l7-deny"; readonly primary: RuleMatch; readonly l7: Extract<L7Outcome, { kind: "denied" }>; readonly enforced: boolean }
  | {
      readonly kind: "default-deny";
      readonly isolating: readonly RuleBlock[];
      readonly always: boolean;
      readonly nearMisses: readonly NearMissFound[];
      readonly caveats: readonly string[];
    };

export interface Side {
  readonly endpoint: FlowSide;
  readonly direction: Direction;
  readonly peer: FlowSide;
}

/** Blocks selecting the endpoint with rules in this direction. */
export function blocksFor(c: CompiledPolicySet, endpoint: FlowSide, direction: Direction): RuleBlock[] {
  if (endpoint.kind === "other") return [];
  return selectingBlocks(c, endpoint.labels, endpoint.kind, endpoint.cacheKey).filter((b) => b.hasRules[direction]);
}

export function evaluateSide(c: CompiledPolicySet, side: Side, facts: FlowFacts): SideResult {
  const settings = c.set.settings;
  const mode = settings["policy-enforcement-mode"];
  const { endpoint, direction: dir, peer } = side;
  if (mode === "never") return { kind: "not-enforced", why: "mode-never", selecting: [], matches: [] };
  if (endpoint.kind === "host" && !settings["enable-host-firewall"]) return { kind: "not-enforced", why: "host-firewall-off", selecting: [], matches: [] };
  const blocks = blocksFor(c, endpoint, dir);
  const l4 = facts.l4;
  const named = c.hasNamedPorts ? new NamedPorts(c, l4, dir, dir === "ingress" ? endpoint : peer) : NO_NAMED_PORTS;
  for (const b of blocks) {
    for (const r of b.deny[dir]) {
      const m = ruleMatch(b, r, peer, l4, named);
      if (m) return { kind: "deny-rule", match: m };
    }
  }
  const enforced = mode === "always" || blocks.some((b) => b.defaultDeny[dir]);
  if (dir === "ingress" && endpoint.kind === "pod" && peer.kind === "host" && settings["allow-localhost"] !== "policy") {
    return { kind: "implicit-allow", why: "localhost", isolating: enforced ? blocks.filter((b) => b.defaultDeny[dir]) : [], always: mode === "always" };
  }
  const matches: RuleMatch[] = [];
  for (const b of blocks) {
    for (const r of b.allow[dir]) {
      const m = ruleMatch(b, r, peer, l4, named);
      if (m) matches.push(m);
    }
  }
  matches.sort((a, b) => b.specificity - a.specificity);
  const request = facts.isReply === true ? undefined : facts.l7;
  if (matches.length > 0) {
    const l7 = l7Outcome(matches, l4, request, facts.l7Type);
    const primary =
      l7.kind === "allowed" ? (matches.find((m) => m.ports.some((p) => l7.rulePath.startsWith(`${p.path}.`))) ?? matches[0]!) : l7.kind === "voided" ? l7.by : matches[0]!;
    // enableDefaultDeny: false does not switch L7 rules off (D-intro): a proxied port still refuses.
    if (l7.kind === "denied") return { kind: "l7-deny", primary, l7, enforced };
    // Not in default-deny, but a request the proxy checked and allowed was allowed by that rule.
    if (!enforced && l7.kind !== "allowed") return { kind: "not-enforced", why: blocks.length ? "default-deny-disabled" : "no-policy", selecting: blocks, matches };
    return { kind: "allowed", primary, matches, l7, caveats: namedPortCaveats(blocks, dir, peer, named) };
  }
  if (!enforced) return { kind: "not-enforced", why: blocks.length ? "default-deny-disabled" : "no-policy", selecting: blocks, matches };
  const isolating = blocks.filter((b) => b.defaultDeny[dir]);
  return {
    kind: "default-deny",
    isolating,
    always: mode === "always",
    nearMisses: nearMisses(blocks, dir, peer, l4, named),
    caveats: [...namedPortCaveats(blocks, dir, peer, named), ...peerCaveats(blocks, dir)],
  };
}

/** L3L4+L7 > L3L4 > L4-only > L3-only > all (policy-semantics.md §12). */
function specificity(r: AllowRule, ports: readonly PortEntry[]): number {
  const l3 = r.peers !== null && !r.peers.some((p) => p.all);
  const l4 = r.ports !== null || r.icmps !== null;
  if (l3 && l4) return ports.some((p) => p.l7) ? 5 : 4;
  if (l4) return 3;
  if (l3) return 2;
  return 1;
}

export function peerMatches(r: AllowRule, peer: FlowSide): boolean {
  return r.peers === null || r.peers.some((m) => m.matches(peer));
}

interface NamedPortLookup {
  port(name: string): number | undefined;
  why(name: string): string | undefined;
}

/** For sets without any named port entry (most): nothing to resolve, nothing to allocate per flow. */
const NO_NAMED_PORTS: NamedPortLookup = { port: () => undefined, why: () => "no rule names a port" };

/** Resolves named ports at this flow's destination, once per name and flow; `why` says what is missing. */
class NamedPorts implements NamedPortLookup {
  private seen: Map<string, Resolution> | undefined; // most flows meet no named port: allocate on first use
  constructor(
    private readonly c: CompiledPolicySet,
    private readonly l4: L4,
    private readonly dir: Direction,
    private readonly destination: FlowSide,
  ) {}
  private get(name: string): Resolution {
    this.seen ??= new Map();
    let r = this.seen.get(name);
    if (!r) this.seen.set(name, (r = resolveNamedPort(this.c.namedPorts, name, this.l4, this.dir, this.destination)));
    return r;
  }
  port(name: string): number | undefined {
    return this.get(name).port;
  }
  why(name: string): string | undefined {
    const r = this.get(name);
    return r.port === undefined ? r.why : undefined;
  }
}

function ruleMatch(block: RuleBlock, r: AllowRule, peer: FlowSide, l4: L4, named: NamedPortLookup): RuleMatch | undefined {
  if (!peerMatches(r, peer)) return undefined;
  if (r.ports === null && r.icmps === null) return { block, rule: r, ports: [], specificity: specificity(r, []) };
  if (r.icmps !== null) {
    if (l4.proto !== "ICMPv4" && l4.proto !== "ICMPv6") return undefined;
    const fam = l4.proto === "ICMPv4" ? "IPv4" : "IPv6";
    return r.icmps.some((i) => i.family === fam && i.type === l4.type) ? { block, rule: r, ports: [], specificity: specificity(r, []) } : undefined;
  }
  const ports = r.ports!.filter((p) => portMatches(p, l4, named) === "yes");
  return ports.length ? { block, rule: r, ports, specificity: specificity(r, ports) } : undefined;
}

/**
 * §1 step 7: L7 rules apply only when every matching allow rule restricts this port with L7
 * rules; one L3/L4-only match voids them. Then the request must match one rule of the union.
 */
function l7Outcome(matches: readonly RuleMatch[], l4: L4, request: L7 | undefined, l7Type: FlowFacts["l7Type"]): L7Outcome {
  if (l4.proto !== "TCP" && l4.proto !== "UDP" && l4.proto !== "SCTP") return { kind: "none" };
  const sections: L7Rules[] = [];
  let withL7: RuleMatch[] | undefined;
  let voidedBy: RuleMatch | undefined;
  for (const m of matches) {
    let plain = m.ports.length === 0;
    let hasL7 = false;
    for (const p of m.ports) {
      if (p.l7) {
        sections.push(p.l7);
        hasL7 = true;
      } else plain = true;
    }
    // matches are sorted most specific first, so the first voiding match is the one to name.
    if (plain) voidedBy ??= m;
    if (hasL7) (withL7 ??= []).push(m);
  }
  if (voidedBy) return withL7 ? { kind: "voided", by: voidedBy, overridden: withL7 } : { kind: "none" };
  const unsupported = sections.find((s) => s.unsupported);
  if (unsupported) return { kind: "unsupported", what: unsupported.unsupported! };
  if (!request || (l7Type !== undefined && l7Type !== "REQUEST" && l7Type !== "UNKNOWN")) return { kind: "pending", rules: sections };
  const tried: (HttpRule | DnsRule | KafkaRule)[] = [];
  for (const s of sections) {
    if (request.kind === "http" && s.http) {
      for (const h of s.http) {
        if (httpRuleMatches(h, request)) return { kind: "allowed", rulePath: h.path, text: h.text };
        tried.push(h);
      }
    } else if (request.kind === "dns" && s.dns) {
      for (const d of s.dns) {
        if (d.matches(request.query)) return { kind: "allowed", rulePath: d.path, text: d.text };
        tried.push(d);
      }
    } else if (request.kind === "kafka" && s.kafka) {
      for (const k of s.kafka) {
        if (kafkaRuleMatches(k, request)) return { kind: "allowed", rulePath: k.path, text: k.text };
        tried.push(k);
      }
    }
  }
  if (tried.length === 0) return { kind: "pending", rules: sections }; // the record's protocol has no rules here
  return { kind: "denied", rules: sections, tried };
}

function portsText(ports: readonly PortEntry[]): string {
  return `[${ports.map((p) => p.text).join(", ")}]`;
}

export function l4Text(l4: L4): string {
  switch (l4.proto) {
    case "TCP":
    case "UDP":
    case "SCTP":
      return `${l4.port}/${l4.proto}`;
    case "ICMPv4":
    case "ICMPv6":
      return `${l4.proto} type ${l4.type}`;
    case "other":
      return l4.name;
    case "none":
      return "unknown protocol";
  }
}

function nearMisses(blocks: readonly RuleBlock[], dir: Direction, peer: FlowSide, l4: L4, named: NamedPortLookup): NearMissFound[] {
  const out: NearMissFound[] = [];
  for (const b of blocks) {
    for (const r of b.allow[dir]) {
      if (r.peers !== null && r.peers.length === 0) continue; // `{}`: the deny-all idiom, never near
      const peerOk = peerMatches(r, peer);
      let portFail: "port" | "protocol" | undefined;
      let why = "";
      if (r.icmps !== null) {
        const isIcmp = l4.proto === "ICMPv4" || l4.proto === "ICMPv6";
        if (!isIcmp || !r.icmps.some((i) => i.type === l4.type)) {
          portFail = isIcmp ? "port" : "protocol";
          why = `${l4Text(l4)} is not among the allowed ICMP types [${r.icmps.map((i) => `${i.family} ${i.type}`).join(", ")}]`;
        }
      } else if (r.ports !== null) {
        const res = r.ports.map((p) => portMatches(p, l4, named));
        if (!res.includes("yes")) {
          portFail = res.includes("protocol") && l4.proto !== "ICMPv4" && l4.proto !== "ICMPv6" ? "protocol" : "port";
          let unresolved: string | undefined;
          const resolved: string[] = [];
          for (const p of r.ports) {
            if (p.named === undefined) continue;
            const n = named.port(p.named);
            if (n === undefined) unresolved ??= named.why(p.named);
            else resolved.push(`${p.named} is ${n}`);
          }
          why =
            portFail === "protocol"
              ? `protocol ${l4Text(l4)} is not in ${portsText(r.ports)}`
              : l4.proto === "TCP" || l4.proto === "UDP" || l4.proto === "SCTP"
                ? `port ${l4.port} is not in ${portsText(r.ports)}${resolved.length ? ` (${resolved.join(", ")})` : ""}${unresolved ? ` (named port not resolved: ${unresolved})` : ""}`
                : `${l4Text(l4)} is not in ${portsText(r.ports)}`;
        }
      }
      const failed: ("peer" | "port" | "protocol")[] = [];
      if (!peerOk) failed.push("peer");
      if (portFail) failed.push(portFail);
      if (failed.length !== 1) continue;
      if (!peerOk) why = r.peers!.map((m) => m.whyNot(peer)).join("; ");
      out.push({ block: b, rule: r, failed, why, path: r.path });
      if (out.length >= 5) return out;
    }
  }
  return out;
}

function namedPortCaveats(blocks: readonly RuleBlock[], dir: Direction, peer: FlowSide, named: NamedPortLookup): string[] {
  const out = new Set<string>();
  for (const b of blocks) {
    for (const r of b.allow[dir]) {
      if (!r.ports || !peerMatches(r, peer)) continue;
      for (const p of r.ports) {
        const why = p.named !== undefined ? named.why(p.named) : undefined;
        if (why) out.add(`named port ${JSON.stringify(p.named)} in ${r.path} is not resolved: ${why}`);
      }
    }
  }
  return [...out];
}

/** The policies that put this endpoint's direction in default-deny (empty when not enforced). */
export function isolatingAt(c: CompiledPolicySet, endpoint: FlowSide, dir: Direction): readonly RuleBlock[] {
  const settings = c.set.settings;
  if (settings["policy-enforcement-mode"] === "never") return [];
  if (endpoint.kind === "host" && !settings["enable-host-firewall"]) return [];
  return blocksFor(c, endpoint, dir).filter((b) => b.defaultDeny[dir]);
}

function peerCaveats(blocks: readonly RuleBlock[], dir: Direction): string[] {
  const out = new Set<string>();
  for (const b of blocks) for (const r of b.allow[dir]) for (const m of r.peers ?? []) if (m.caveat) out.add(m.caveat);
  return [...out];
}
