import "server-only";
import { type ParsedLabel, parseLabel, RESERVED, workloadIdentityLabels } from "./identity";
import { type MatchType, type Outcome, type Scenario, type ScenarioPolicy, policyRef } from "./schema";
import { type L7Request, type PatternEnd, patternRequests, resolveEnd, serverPort, transport } from "./traffic";

// A small evaluator for the subset of Cilium policy the shipped scenarios use (see
// /work/shared/policy-semantics.md §1-§10). It recomputes every pattern's outcome from the
// policies so the declared outcomes cannot drift from the YAML. Not the policy explainer:
// no named ports, no toServices/nodeSelector/icmps, no ClusterMesh, header rules ignored.

type Peer = { labels: ParsedLabel[]; ip?: string; fqdn?: string; isPod: boolean };
type PortSel = { port: number; endPort: number; proto: string; l7: Record<string, unknown[]> | null };
type PeerRule = { peer: ((p: Peer) => boolean) | null; entitiesAll: boolean; ports: PortSel[] | null };
type CompiledPolicy = {
  ref: string;
  selects: (labels: ParsedLabel[]) => boolean;
  rules: Record<"ingress" | "egress" | "ingressDeny" | "egressDeny", PeerRule[]>;
  enforces: { ingress: boolean; egress: boolean };
};
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };

const SOURCES = new Set(["k8s", "reserved", "any", "cidr", "fqdn", "container", "unspec"]);
const NS_KEY = "io.kubernetes.pod.namespace";

function splitKey(key: string, defaultSource = "any"): { source: string; key: string } {
  const i = key.indexOf(":");
  if (i > 0 && SOURCES.has(key.slice(0, i))) return { source: key.slice(0, i), key: key.slice(i + 1) };
  return { source: defaultSource, key };
}

function get(labels: ParsedLabel[], k: { source: string; key: string }): string | undefined {
  return labels.find((l) => l.key === k.key && (k.source === "any" || l.source === k.source))?.value;
}

function matchSelector(sel: Selector | undefined, labels: ParsedLabel[], defaultSource = "any"): boolean {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (get(labels, splitKey(k, defaultSource)) !== String(v ?? "")) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const value = get(labels, splitKey(e.key, defaultSource));
    const values = (e.values ?? []).map(String);
    const ok =
      e.operator === "In" ? value !== undefined && values.includes(value)
      : e.operator === "NotIn" ? value === undefined || !values.includes(value)
      : e.operator === "Exists" ? value !== undefined
      : e.operator === "DoesNotExist" ? value === undefined
      : false;
    if (!ok) return false;
  }
  return true;
}

function mentions(sel: Selector, pred: (k: { source: string; key: string }) => boolean): boolean {
  return [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)].some((k) => pred(splitKey(k)));
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const n = (s: string) => s.split(".").reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (n(ip) & mask) === (n(base) & mask);
}

function fqdnMatch(name: string, pattern: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const n = name.toLowerCase().replace(/\.$/, "");
  if (p === "*") return true;
  const re = p.startsWith("**.")
    ? "^([-a-z0-9_]+\\.)+" + p.slice(3).replace(/\./g, "\\.").replace(/\*/g, "[-a-z0-9_]*") + "$"
    : "^" + p.replace(/\./g, "\\.").replace(/\*/g, "[-a-z0-9_]*") + "$";
  return new RegExp(re).test(n);
}

const ENTITY: Record<string, (p: Peer, cluster: string) => boolean> = {
  all: () => true,
  world: (p) => p.labels.some((l) => l.source === "reserved" && l.key.startsWith("world")),
  host: (p) => p.labels.some((l) => l.source === "reserved" && l.key === "host"),
  "remote-node": (p) => p.labels.some((l) => l.source === "reserved" && l.key === "remote-node"),
  "kube-apiserver": (p) => p.labels.some((l) => l.source === "reserved" && l.key === "kube-apiserver"),
  health: (p) => p.labels.some((l) => l.source === "reserved" && l.key === "health"),
  cluster: (p, c) => (p.isPod ? get(p.labels, { source: "k8s", key: "io.cilium.k8s.policy.cluster" }) === c : !ENTITY.world(p, c)),
};

function compilePorts(toPorts: unknown, defaultProto: string): PortSel[] | null {
  if (!Array.isArray(toPorts) || toPorts.length === 0) return null;
  return toPorts.flatMap((tp: Record<string, unknown>) => {
    const rules = (tp.rules ?? null) as Record<string, unknown[]> | null;
    const ports = (tp.ports as Array<Record<string, unknown>> | undefined) ?? [{}];
    return ports.map((p) => {
      const port = Number(p.port ?? 0);
      if (Number.isNaN(port)) throw new Error(`named port ${String(p.port)} is not supported by the scenario checker`);
      return { port, endPort: Number(p.endPort ?? port), proto: String(p.protocol ?? defaultProto).toUpperCase(), l7: rules };
    });
  });
}

function compileCilium(p: ScenarioPolicy, cluster: string): CompiledPolicy {
  const spec = (p.object.spec ?? {}) as Record<string, unknown>;
  const ns = p.namespace;
  const clusterwide = p.kind === "CiliumClusterwideNetworkPolicy";
  const peerSelector = (sel: Selector) => {
    const reserved = mentions(sel, (k) => k.source === "reserved");
    const namesNs = mentions(sel, (k) => k.key === NS_KEY || k.key.startsWith("io.cilium.k8s.namespace.labels."));
    return (peer: Peer) => {
      if (!matchSelector(sel, peer.labels)) return false;
      if (reserved || namesNs) return true;
      const peerNs = get(peer.labels, { source: "k8s", key: NS_KEY });
      return clusterwide ? peerNs !== undefined : peerNs === ns;
    };
  };
  const compileRules = (list: unknown, dir: "from" | "to"): PeerRule[] =>
    (Array.isArray(list) ? list : []).map((r: Record<string, unknown>) => {
      const endpoints = r[`${dir}Endpoints`] as Selector[] | undefined;
      const entities = r[`${dir}Entities`] as string[] | undefined;
      const cidrs = [...((r[`${dir}CIDR`] as string[]) ?? []), ...((r[`${dir}CIDRSet`] as Array<{ cidr: string }>) ?? []).map((c) => c.cidr)];
      const fqdns = r.toFQDNs as Array<{ matchName?: string; matchPattern?: string }> | undefined;
      let peer: PeerRule["peer"] = null;
      if (endpoints) peer = (p) => endpoints.some((s) => peerSelector(s)(p));
      else if (entities) peer = (p) => entities.some((e) => ENTITY[e]?.(p, cluster) ?? false);
      else if (cidrs.length) peer = (p) => !p.isPod && !!p.ip && cidrs.some((c) => ipInCidr(p.ip!, c));
      else if (fqdns) peer = (p) => !!p.fqdn && fqdns.some((f) => fqdnMatch(p.fqdn!, f.matchName ?? f.matchPattern ?? ""));
      else if (!r.toPorts) peer = () => false; // an empty Cilium rule allows nothing (§8)
      return { peer, entitiesAll: !!entities?.includes("all"), ports: compilePorts(r.toPorts, "ANY") };
    });
  const rules = {
    ingress: compileRules(spec.ingress, "from"),
    egress: compileRules(spec.egress, "to"),
    ingressDeny: compileRules(spec.ingressDeny, "from"),
    egressDeny: compileRules(spec.egressDeny, "to"),
  };
  const dd = (spec.enableDefaultDeny ?? {}) as { ingress?: boolean; egress?: boolean };
  const subject = spec.endpointSelector as Selector | undefined;
  return {
    ref: policyRef(p),
    selects: (labels) =>
      !!subject && matchSelector(subject, labels) && (clusterwide || get(labels, { source: "k8s", key: NS_KEY }) === ns),
    rules,
    enforces: {
      ingress: (rules.ingress.length > 0 || rules.ingressDeny.length > 0) && dd.ingress !== false,
      egress: (rules.egress.length > 0 || rules.egressDeny.length > 0) && dd.egress !== false,
    },
  };
}

function compileKnp(p: ScenarioPolicy): CompiledPolicy {
  const spec = (p.object.spec ?? {}) as Record<string, unknown>;
  const types = (spec.policyTypes as string[] | undefined) ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  const peerFn = (peers: unknown): PeerRule["peer"] => {
    if (!Array.isArray(peers) || peers.length === 0) return null;
    return (peer) =>
      peers.some((x: { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string; except?: string[] } }) => {
        if (x.ipBlock) return !peer.isPod && !!peer.ip && ipInCidr(peer.ip, x.ipBlock.cidr) && !(x.ipBlock.except ?? []).some((c) => ipInCidr(peer.ip!, c));
        if (!peer.isPod) return false;
        if (x.podSelector && !matchSelector(x.podSelector, peer.labels, "k8s")) return false;
        if (x.namespaceSelector) {
          const nsLabels = peer.labels
            .filter((l) => l.key.startsWith("io.cilium.k8s.namespace.labels."))
            .map((l) => ({ ...l, key: l.key.slice("io.cilium.k8s.namespace.labels.".length) }));
          return matchSelector(x.namespaceSelector, nsLabels, "k8s");
        }
        return get(peer.labels, { source: "k8s", key: NS_KEY }) === p.namespace;
      });
  };
  const compile = (list: unknown, dir: "from" | "to"): PeerRule[] =>
    (Array.isArray(list) ? list : []).map((r: Record<string, unknown>) => ({
      peer: peerFn(r[dir]),
      entitiesAll: false,
      ports: compilePorts(Array.isArray(r.ports) && r.ports.length ? [{ ports: r.ports }] : undefined, "TCP"),
    }));
  return {
    ref: policyRef(p),
    selects: (labels) =>
      matchSelector(spec.podSelector as Selector, labels, "k8s") && get(labels, { source: "k8s", key: NS_KEY }) === p.namespace,
    rules: { ingress: compile(spec.ingress, "from"), egress: compile(spec.egress, "to"), ingressDeny: [], egressDeny: [] },
    enforces: { ingress: types.includes("Ingress"), egress: types.includes("Egress") },
  };
}

function portMatches(ports: PortSel[] | null, port: number, proto: string): PortSel[] {
  if (ports === null) return [];
  return ports.filter((p) => (p.port === 0 || (port >= p.port && port <= p.endPort)) && (p.proto === "ANY" || p.proto === proto));
}

function l7Allows(rules: Record<string, unknown[]>, req: L7Request): boolean {
  const anchored = (re: unknown, v: string) => re === undefined || new RegExp(`^(?:${String(re)})$`).test(v);
  if (req.type === "http") return ((rules.http ?? []) as Array<{ method?: string; path?: string }>).some((r) => anchored(r.method, req.method) && anchored(r.path, req.path));
  if (req.type === "dns") return ((rules.dns ?? []) as Array<{ matchName?: string; matchPattern?: string }>).some((r) => fqdnMatch(req.query, r.matchName ?? r.matchPattern ?? ""));
  const roleKeys: Record<string, string[]> = { produce: ["produce", "metadata"], consume: ["fetch", "offsetcommit", "metadata"] };
  return ((rules.kafka ?? []) as Array<{ role?: string; apiKey?: string; topic?: string }>).some(
    (r) => (r.role ? roleKeys[r.role]?.includes(req.apiKey) : !r.apiKey || r.apiKey === req.apiKey) && (!r.topic || r.topic === req.topic),
  );
}

const CLASS_ORDER: MatchType[] = ["L3-L4", "L4-Only", "L3-Only", "all"];

type SideResult =
  | { kind: "not-enforced" }
  | { kind: "deny-rule"; policies: string[] }
  | { kind: "default-deny"; policies: string[] }
  | { kind: "allowed"; allowedBy: string[]; matchType: MatchType; proxy: boolean; l7Denied: boolean };

function evaluateSide(
  policies: CompiledPolicy[], dir: "ingress" | "egress", subject: ParsedLabel[], peer: Peer, port: number, proto: string, reqs: L7Request[],
): SideResult {
  const selecting = policies.filter(
    (p) => p.selects(subject) && (p.enforces[dir] || p.rules[dir].length > 0 || p.rules[`${dir}Deny`].length > 0),
  );
  if (selecting.length === 0) return { kind: "not-enforced" };
  const hit = (r: PeerRule) => (r.peer === null || r.peer(peer)) && (r.ports === null || portMatches(r.ports, port, proto).length > 0);
  const deniers = selecting.filter((p) => p.rules[`${dir}Deny`].some(hit));
  if (deniers.length) return { kind: "deny-rule", policies: deniers.map((p) => p.ref) };
  if (!selecting.some((p) => p.enforces[dir])) return { kind: "not-enforced" };
  const matches: Array<{ ref: string; cls: MatchType; l7: Array<Record<string, unknown[]> | null> }> = [];
  for (const p of selecting) {
    for (const r of p.rules[dir]) {
      if (!hit(r)) continue;
      const cls: MatchType = r.ports === null ? (r.entitiesAll ? "all" : r.peer ? "L3-Only" : "all") : r.peer && !r.entitiesAll ? "L3-L4" : "L4-Only";
      matches.push({ ref: p.ref, cls, l7: r.ports === null ? [null] : portMatches(r.ports, port, proto).map((x) => x.l7) });
    }
  }
  if (matches.length === 0) {
    if (dir === "ingress" && get(peer.labels, { source: "reserved", key: "host" }) !== undefined) {
      return { kind: "allowed", allowedBy: ["allow-localhost-ingress"], matchType: "L3-Only", proxy: false, l7Denied: false };
    }
    return { kind: "default-deny", policies: selecting.filter((p) => p.enforces[dir]).map((p) => p.ref) };
  }
  const best = CLASS_ORDER.find((c) => matches.some((m) => m.cls === c))!;
  const l7s = matches.flatMap((m) => m.l7);
  const proxy = l7s.length > 0 && l7s.every((x) => x !== null);
  const verdicts = proxy ? reqs.map((q) => l7s.some((r) => l7Allows(r!, q))) : [];
  if (verdicts.some((v) => v) && verdicts.some((v) => !v)) throw new Error("some requests are allowed at L7 and some denied; split the pattern");
  return {
    kind: "allowed",
    allowedBy: [...new Set(matches.filter((m) => m.cls === best).map((m) => m.ref))].sort(),
    matchType: best,
    proxy,
    l7Denied: verdicts.length > 0 && !verdicts[0],
  };
}

function peerOf(s: Scenario, end: PatternEnd): Peer {
  switch (end.kind) {
    case "pod":
      return { labels: workloadIdentityLabels(s, end.workload).map(parseLabel), isPod: true };
    case "world":
      return { labels: RESERVED.world.labels.map(parseLabel), ip: end.ips[0], fqdn: end.fqdn, isPod: false };
    case "kube-apiserver":
      return { labels: RESERVED["kube-apiserver"].labels.map(parseLabel), ip: s.entities.kubeApiserver.ips[0], isPod: false };
    default:
      return { labels: RESERVED[end.kind].labels.map(parseLabel), isPod: false };
  }
}

/** The outcome the scenario's policies imply for a pattern, in the declared format. */
export function expectedOutcome(s: Scenario, patternName: string): Outcome {
  const t = s.traffic.find((x) => x.name === patternName)!;
  const base: Outcome = { result: "forwarded", policies: [], denyMatchType: t.outcome.denyMatchType };
  if (t.protocol === "cilium-health") return base;
  const compiled = s.policies.map((p) => (p.kind === "NetworkPolicy" ? compileKnp(p) : compileCilium(p, s.cluster)));
  const from = resolveEnd(s, t.from!);
  const to = resolveEnd(s, t.to!);
  const port = serverPort(s, t);
  const proto = transport(t);
  const reqs = patternRequests(s, t);
  const out: Outcome = { ...base };
  const sides: Array<["egress" | "ingress", PatternEnd, PatternEnd]> = [["egress", from, to], ["ingress", to, from]];
  for (const [dir, self, other] of sides) {
    if (self.kind !== "pod") continue;
    const r = evaluateSide(compiled, dir, peerOf(s, self).labels, peerOf(s, other), port, proto, reqs);
    if (r.kind === "not-enforced") continue;
    if (r.kind === "allowed") {
      out[dir] = { allowedBy: r.allowedBy, matchType: r.matchType, proxy: r.proxy };
      if (r.l7Denied) return { ...out, result: "l7-deny", direction: dir };
      continue;
    }
    return { ...out, result: r.kind, direction: dir, policies: [...r.policies].sort() };
  }
  return out;
}

/** Mismatches between declared and policy-implied outcomes; empty when consistent. */
export function checkOutcomes(s: Scenario): string[] {
  const problems: string[] = [];
  const norm = (o: Outcome) =>
    JSON.stringify({
      result: o.result === "audit" ? "default-deny" : o.result,
      direction: o.direction,
      policies: [...o.policies].sort(),
      denyMatchType: o.result === "deny-rule" ? o.denyMatchType : undefined,
      egress: o.egress && { ...o.egress, allowedBy: [...o.egress.allowedBy].sort() },
      ingress: o.ingress && { ...o.ingress, allowedBy: [...o.ingress.allowedBy].sort() },
    });
  for (const t of s.traffic) {
    try {
      const expected = expectedOutcome(s, t.name);
      if (t.outcome.result === "deny-rule") expected.denyMatchType = t.outcome.denyMatchType;
      if (norm(expected) !== norm(t.outcome)) problems.push(`${t.name}: declared ${norm(t.outcome)} but policies imply ${norm(expected)}`);
    } catch (err) {
      problems.push(`${t.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}
