import "server-only";
import { create } from "@bufbuild/protobuf";
import { type Policy, type Service, ServiceSchema } from "../../../proto/gen/flow/flow_pb";
import type { Scenario, SideAllow, TrafficSpec } from "../scenario/schema";
import { type PatternEnd, resolveEnd, serverPort, transport } from "../scenario/traffic";
import { AuthType, DropReason, MATCH_TYPE_NUMBER, Verdict, policyMessage } from "./flows";
import { WeightedTable, lognormalFrom, type Prng } from "./prng";
import type { PodInfo, Topology } from "./topology";

// A traffic pattern compiled once: resolved endpoints, prebuilt policy messages and
// per-protocol samplers. Connections are generated from these templates.

export type SideTemplate = { verdict: Verdict; matchType: number; allowedBy: Policy[]; proxy: boolean; authType: AuthType };

/** An audited would-be drop: reported with verdict AUDIT, and the traffic flows on. */
export type AuditTemplate = { direction: "ingress" | "egress"; matchType: number; deniedBy: Policy[] };

export type DropTemplate = {
  direction: "ingress" | "egress";
  reason: DropReason;
  matchType: number;
  deniedBy: Policy[];
};

export type HttpRequestSampler = (rng: Prng) => { method: string; path: string; status: number; latencyNs: number };

export type PatternTemplate = {
  spec: TrafficSpec;
  from: PatternEnd;
  to: PatternEnd;
  fromPods: PodInfo[];
  toPods: PodInfo[];
  port: number;
  transport: "TCP" | "UDP";
  /** Service the client addressed (destination_service), if any. */
  service?: Service;
  egress?: SideTemplate;
  ingress?: SideTemplate;
  drop?: DropTemplate;
  l7Deny?: "ingress" | "egress";
  audit?: AuditTemplate;
  /** Name looked up before connecting (resolveVia), with the DNS pattern that does it. */
  lookup?: { name: string; via: PatternTemplate };
  http?: { sample: HttpRequestSampler; host: (server: PodInfo | undefined) => string; userAgent: string; protocol: string };
  dns?: { queries: WeightedTable<{ name: string; qtype: string }>; nxdomainShare: number };
  kafka?: { apiKeys: string[]; topics: string[]; apiVersion: number; latency: (rng: Prng) => number };
};

function side(s: SideAllow | undefined, revision: number): SideTemplate | undefined {
  if (!s) return undefined;
  return {
    verdict: s.proxy ? Verdict.REDIRECTED : Verdict.FORWARDED,
    matchType: MATCH_TYPE_NUMBER[s.matchType],
    allowedBy: s.allowedBy.map((r) => policyMessage(r, revision)),
    proxy: s.proxy,
    authType: s.auth === "spire" ? AuthType.SPIRE : AuthType.DISABLED,
  };
}

export function compilePatterns(scenario: Scenario, topo: Topology): PatternTemplate[] {
  const byName = new Map<string, PatternTemplate>();
  const serviceMsg = (key: string) => {
    const svc = topo.services.get(key);
    return svc ? create(ServiceSchema, { name: svc.name, namespace: svc.namespace }) : undefined;
  };
  const kubernetesSvc = create(ServiceSchema, { name: "kubernetes", namespace: "default" });
  const out = scenario.traffic.map((t) => {
    const health = t.protocol === "cilium-health";
    const from: PatternEnd = health ? { kind: "host" } : resolveEnd(scenario, t.from!);
    const to: PatternEnd = health ? { kind: "host" } : resolveEnd(scenario, t.to!);
    const podsOf = (e: PatternEnd) => (e.kind === "pod" ? topo.podsByWorkload.get(`${e.workload.namespace}/${e.workload.name}`)! : []);
    const o = t.outcome;
    const revision = scenario.policyRevision;
    const tpl: PatternTemplate = {
      spec: t,
      from,
      to,
      fromPods: podsOf(from),
      toPods: podsOf(to),
      port: health ? 4240 : serverPort(scenario, t),
      transport: transport(t),
      service: to.kind === "pod" ? serviceMsg(`${to.workload.namespace}/${to.workload.name}`) : to.kind === "kube-apiserver" ? kubernetesSvc : undefined,
      egress: side(o.egress, revision),
      ingress: side(o.ingress, revision),
    };
    if (o.result === "default-deny" || o.result === "deny-rule") {
      const explicit = o.result === "deny-rule";
      tpl.drop = {
        direction: o.direction!,
        reason: explicit ? DropReason.POLICY_DENY : DropReason.POLICY_DENIED,
        matchType: explicit ? MATCH_TYPE_NUMBER[o.denyMatchType] : 0,
        // Released Cilium (<= 1.19) correlates only explicit denies; default deny has no rule to name.
        deniedBy: explicit ? o.policies.map((r) => policyMessage(r, revision)) : [],
      };
    }
    if (o.result === "l7-deny") tpl.l7Deny = o.direction;
    if (o.result === "audit") {
      const rule = o.wouldBe === "deny-rule";
      // Cilium correlates AUDIT verdicts like explicit denies: the deny entry's policies and
      // match type; an audited default deny matched no entry (match type none, no policies).
      tpl.audit = {
        direction: o.direction!,
        matchType: rule ? MATCH_TYPE_NUMBER[o.denyMatchType] : 0,
        deniedBy: rule ? o.policies.map((r) => policyMessage(r, revision)) : [],
      };
    }
    if (t.http) {
      const reqs = new WeightedTable(
        t.http.requests,
        t.http.requests.map((r) => r.weight),
      );
      const codes = Object.keys(t.http.status).map(Number);
      const status = new WeightedTable(
        codes,
        codes.map((c) => t.http!.status[String(c)]),
      );
      const latency = lognormalFrom(t.http.latencyMs.median * 1e6, t.http.latencyMs.p99 * 1e6);
      const svc = to.kind === "pod" ? topo.services.get(`${to.workload.namespace}/${to.workload.name}`) : undefined;
      const port = tpl.port;
      tpl.http = {
        sample: (rng) => {
          const r = reqs.pick(rng);
          return { method: r.method, path: r.path, status: status.pick(rng), latencyNs: latency(rng) };
        },
        host: (server) => t.http!.host ?? (svc ? `${svc.name}.${svc.namespace}.svc.cluster.local${svc.port === 80 ? "" : `:${svc.port}`}` : `${server?.ip ?? to.kind}:${port}`),
        userAgent: t.http.userAgent,
        protocol: "HTTP/1.1",
      };
    }
    if (t.grpc) {
      const g = t.grpc;
      const latency = lognormalFrom(g.latencyMs.median * 1e6, g.latencyMs.p99 * 1e6);
      const svc = to.kind === "pod" ? topo.services.get(`${to.workload.namespace}/${to.workload.name}`) : undefined;
      tpl.http = {
        sample: (rng) => ({ method: "POST", path: `/${g.service}/${rng.pick(g.methods)}`, status: 200, latencyNs: latency(rng) }),
        host: (server) => (svc ? `${svc.name}.${svc.namespace}.svc.cluster.local:${svc.port}` : `${server?.ip}:${tpl.port}`),
        userAgent: "grpc-go/1.64.0",
        protocol: "HTTP/2",
      };
    }
    if (t.dns) {
      const qs = t.dns.queries.map((q) => ({ name: q.name, qtype: q.qtype }));
      tpl.dns = {
        queries: new WeightedTable(
          qs,
          t.dns.queries.map((q) => q.weight),
        ),
        nxdomainShare: t.dns.nxdomainShare,
      };
    }
    if (t.kafka) {
      const k = t.kafka;
      tpl.kafka = { apiKeys: k.apiKeys, topics: k.topics, apiVersion: k.apiVersion, latency: lognormalFrom(k.latencyMs.median * 1e6, k.latencyMs.p99 * 1e6) };
    }
    byName.set(t.name, tpl);
    return tpl;
  });
  for (const tpl of out) {
    const via = tpl.spec.resolveVia;
    if (!via) continue;
    const dnsTpl = byName.get(via)!;
    let name: string | undefined;
    if (tpl.to.kind === "world") name = tpl.to.fqdn;
    else if (tpl.to.kind === "pod") {
      const svc = topo.services.get(`${tpl.to.workload.namespace}/${tpl.to.workload.name}`);
      if (svc) name = `${svc.name}.${svc.namespace}.svc.cluster.local`;
    }
    if (name) tpl.lookup = { name, via: dnsTpl };
  }
  return out;
}
