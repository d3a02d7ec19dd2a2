import "server-only";
import { z } from "zod";

// The scenario file format (see ../scenarios/README.md). Validation here is structural;
// cross-references (workload and policy names, node names) are checked in load.ts.

const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, "must be an IPv4 address");
const cidr24 = z.string().regex(/^\d+\.\d+\.\d+\.0\/24$/, "must be an IPv4 /24 prefix such as 10.244.1.0/24");
const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a lower-case DNS label")
  .max(63);
const labels = z.record(z.string().min(1), z.string());
const positive = z.number().positive();
const port = z.number().int().min(1).max(65535);

export const NodeSpec = z.strictObject({
  name: z.string().min(1),
  ip: ipv4,
  podCIDR: cidr24.optional(),
  labels: labels.default({}),
});

export const NamespaceSpec = z.strictObject({
  name: dnsLabel,
  labels: labels.default({}),
});

export const ServiceSpec = z.strictObject({
  name: dnsLabel,
  port,
  /** Container port behind the service port; defaults to `port`. */
  targetPort: port.optional(),
});

export const WorkloadSpec = z.strictObject({
  namespace: dnsLabel,
  name: dnsLabel,
  kind: z.enum(["Deployment", "StatefulSet", "DaemonSet", "Pod"]),
  labels: labels.default({}),
  /** Ignored for DaemonSets (one pod per eligible node) and Pods (always one). */
  replicas: z.number().int().min(1).max(50).default(1),
  serviceAccount: z.string().min(1).default("default"),
  /** Cilium security identity; derived from the name when omitted. */
  identity: z.number().int().min(256).max(65535).optional(),
  /** Nodes the pods may be scheduled on; all nodes when omitted. */
  nodes: z.array(z.string()).min(1).optional(),
  service: ServiceSpec.optional(),
});

export const WorldSpec = z.strictObject({
  fqdn: z.string().regex(/^[a-z0-9.-]+$/, "must be a lower-case DNS name without trailing dot"),
  ips: z.array(ipv4).min(1),
});

export const EntitiesSpec = z.strictObject({
  world: z.array(WorldSpec).default([]),
  kubeApiserver: z.strictObject({ ips: z.array(ipv4).min(1), port: port.default(6443) }).default({ ips: ["10.0.0.1"], port: 6443 }),
});

/** "CiliumNetworkPolicy/<ns>/<name>", "NetworkPolicy/<ns>/<name>", "CiliumClusterwideNetworkPolicy/<name>", or a built-in. */
export const PolicyRef = z
  .string()
  .regex(
    /^((CiliumNetworkPolicy|NetworkPolicy)\/[a-z0-9-]+\/[a-z0-9.-]+|CiliumClusterwideNetworkPolicy\/[a-z0-9.-]+|allow-localhost-ingress)$/,
    "must be Kind/namespace/name (CiliumClusterwideNetworkPolicy/name) or allow-localhost-ingress",
  );

export const MATCH_TYPES = ["none", "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto", "Proto-Only"] as const;
export const MatchType = z.enum(MATCH_TYPES);

export const SideAllow = z.strictObject({
  allowedBy: z.array(PolicyRef).min(1),
  matchType: MatchType.default("L3-L4"),
  /** Traffic is redirected to the L7 proxy on this side (REDIRECTED verdict, L7 records here). */
  proxy: z.boolean().default(false),
  /**
   * The allowing rule requires mutual authentication (`authentication.mode: required`); the peers
   * authenticated through SPIRE, so this side's policy verdicts carry auth_type SPIRE.
   */
  auth: z.enum(["spire"]).optional(),
});

const Direction = z.enum(["ingress", "egress"]);

export const Outcome = z
  .strictObject({
    result: z.enum(["forwarded", "default-deny", "deny-rule", "l7-deny", "audit"]),
    /** Where the drop / L7 denial / audit happens. */
    direction: Direction.optional(),
    /** default-deny: isolating policies; deny-rule: denying policies; audit: would-deny policies. */
    policies: z.array(PolicyRef).default([]),
    /** policy_match_type of the deny entry (deny-rule, and audit of a deny rule). */
    denyMatchType: MatchType.default("L3-L4"),
    /**
     * audit only: what the endpoint's policies would have done outside audit mode. An audited
     * deny rule is named in `*_denied_by` (as Cilium correlates AUDIT verdicts); an audited
     * default deny has no rule to name.
     */
    wouldBe: z.enum(["default-deny", "deny-rule"]).default("default-deny"),
    egress: SideAllow.optional(),
    ingress: SideAllow.optional(),
  })
  .superRefine((o, ctx) => {
    if (o.result === "forwarded") {
      if (o.direction) ctx.addIssue({ code: "custom", path: ["direction"], message: "not allowed for forwarded" });
      return;
    }
    if (!o.direction) {
      ctx.addIssue({ code: "custom", path: ["direction"], message: `required for ${o.result}` });
      return;
    }
    if ((o.result === "default-deny" || o.result === "deny-rule") && o[o.direction]) {
      ctx.addIssue({ code: "custom", path: [o.direction], message: `the ${o.direction} side drops; it cannot also allow` });
    }
    if ((o.result === "default-deny" || o.result === "deny-rule") && o.direction === "egress" && o.ingress) {
      ctx.addIssue({ code: "custom", path: ["ingress"], message: "an egress drop never reaches ingress" });
    }
    if (o.result !== "l7-deny" && o.policies.length === 0) {
      ctx.addIssue({ code: "custom", path: ["policies"], message: `${o.result} must name the policies responsible` });
    }
    if (o.result === "l7-deny" && !o[o.direction]?.proxy) {
      ctx.addIssue({ code: "custom", path: [o.direction], message: "l7-deny needs this side allowed with proxy: true" });
    }
  });

const LatencyMs = z.strictObject({ median: positive, p99: positive });

export const HttpSpec = z.strictObject({
  requests: z.array(z.strictObject({ method: z.string().regex(/^[A-Z]+$/), path: z.string().startsWith("/"), weight: positive.default(1) })).min(1),
  /** Response status code → relative weight. */
  status: z.record(z.string().regex(/^[1-5]\d\d$/), positive).default({ "200": 1 }),
  latencyMs: LatencyMs.default({ median: 8, p99: 120 }),
  /** Host part of the URL; defaults to the service DNS name. */
  host: z.string().optional(),
  userAgent: z.string().default("Go-http-client/1.1"),
});

export const GrpcSpec = z.strictObject({
  /** Fully qualified service, e.g. shop.cart.v1.CartService. */
  service: z.string().regex(/^[A-Za-z0-9_.]+$/),
  methods: z.array(z.string().regex(/^[A-Za-z0-9_]+$/)).min(1),
  latencyMs: LatencyMs.default({ median: 4, p99: 60 }),
  /** Share of calls answered with an error grpc-status (reported as HTTP 200 by the proxy). */
  errorShare: z.number().min(0).max(1).default(0),
});

export const DnsSpec = z.strictObject({
  queries: z.array(z.strictObject({ name: z.string().regex(/^[a-z0-9.-]+$/), weight: positive.default(1), qtype: z.enum(["A", "AAAA"]).default("A") })).min(1),
  /** Share of lookups that first try a search-path expansion answered NXDOMAIN. */
  nxdomainShare: z.number().min(0).max(1).default(0),
});

export const KafkaSpec = z.strictObject({
  topics: z.array(z.string().min(1)).min(1),
  apiKeys: z.array(z.enum(["produce", "fetch", "metadata", "offsetcommit"])).min(1),
  apiVersion: z.number().int().min(0).default(7),
  latencyMs: LatencyMs.default({ median: 3, p99: 40 }),
});

export const Protocol = z.enum(["http", "grpc", "dns", "kafka", "tcp", "tls", "cilium-health"]);

/** "ns/workload", "world:<fqdn>", "host", "remote-node" or "kube-apiserver". */
export const EndpointRef = z
  .string()
  .regex(/^([a-z0-9-]+\/[a-z0-9-]+|world:[a-z0-9.-]+|host|remote-node|kube-apiserver)$/, "must be ns/workload, world:<fqdn>, host, remote-node or kube-apiserver");

export const TrafficSpec = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9-]+$/, "must be lower-case words joined by -"),
    description: z.string().optional(),
    from: EndpointRef.optional(),
    to: EndpointRef.optional(),
    protocol: Protocol,
    port: port.optional(),
    weight: positive,
    /** Name of a dns pattern whose client looks up the destination FQDN before connecting. */
    resolveVia: z.string().optional(),
    http: HttpSpec.optional(),
    grpc: GrpcSpec.optional(),
    dns: DnsSpec.optional(),
    kafka: KafkaSpec.optional(),
    outcome: Outcome.default({ result: "forwarded", policies: [], denyMatchType: "L3-L4", wouldBe: "default-deny" }),
    /**
     * Random stream the pattern's connections are drawn from. Patterns of a stream other than
     * "main" get their own generator and arrival process, so adding them leaves the flows of
     * every other pattern unchanged for a given seed.
     */
    stream: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .default("main"),
  })
  .superRefine((t, ctx) => {
    if (t.protocol === "cilium-health") {
      if (t.from || t.to) ctx.addIssue({ code: "custom", path: ["from"], message: "cilium-health picks node pairs itself; omit from/to" });
      return;
    }
    for (const key of ["from", "to"] as const) {
      if (!t[key]) ctx.addIssue({ code: "custom", path: [key], message: "required" });
    }
    const needs: Record<string, keyof typeof t | undefined> = { http: "http", grpc: "grpc", dns: "dns", kafka: "kafka" };
    const section = needs[t.protocol];
    if (section && !t[section]) ctx.addIssue({ code: "custom", path: [section], message: `required for protocol ${t.protocol}` });
  });

export const ScenarioSpec = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().default(""),
  cluster: z.string().regex(/^[a-z0-9-]+$/),
  hubbleVersion: z.string().default("1.19.1+gd0d0c879"),
  /** Policy repository revision reported in Policy.revision. */
  policyRevision: z.number().int().min(1).default(12),
  /**
   * Transparent encryption between nodes (cilium `encryption.type`): pod traffic that arrives
   * from another node was decrypted there, so its trace events carry IP.encrypted.
   */
  encryption: z.enum(["none", "wireguard", "ipsec"]).default("none"),
  /** Multi-document policy YAML files, relative to the scenario file. */
  policyFiles: z.array(z.string()).default([]),
  nodes: z.array(NodeSpec).min(3),
  namespaces: z.array(NamespaceSpec).min(1),
  workloads: z.array(WorkloadSpec).min(1),
  entities: EntitiesSpec.default({ world: [], kubeApiserver: { ips: ["10.0.0.1"], port: 6443 } }),
  traffic: z.array(TrafficSpec).min(1),
});

export type NodeSpec = z.infer<typeof NodeSpec>;
export type NamespaceSpec = z.infer<typeof NamespaceSpec>;
export type WorkloadSpec = z.infer<typeof WorkloadSpec>;
export type WorldSpec = z.infer<typeof WorldSpec>;
export type SideAllow = z.infer<typeof SideAllow>;
export type Outcome = z.infer<typeof Outcome>;
export type MatchType = z.infer<typeof MatchType>;
export type TrafficSpec = z.infer<typeof TrafficSpec>;
export type ScenarioSpec = z.infer<typeof ScenarioSpec>;
export type PolicyKind = "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy" | "NetworkPolicy";

/** A network policy as written by the user, one YAML document. */
export type ScenarioPolicy = {
  kind: PolicyKind;
  /** Absent for CiliumClusterwideNetworkPolicy. */
  namespace?: string;
  name: string;
  /** The document's text exactly as in the policy file. */
  yamlText: string;
  /** The parsed document (apiVersion, kind, metadata, spec). */
  object: Record<string, unknown>;
};

/** A loaded, validated scenario. */
export type Scenario = ScenarioSpec & {
  /** Absolute path of the scenario file. */
  file: string;
  policies: ScenarioPolicy[];
};

/** The reference string used in outcomes for a policy. */
export function policyRef(p: { kind: PolicyKind; namespace?: string; name: string }): string {
  return p.kind === "CiliumClusterwideNetworkPolicy" ? `${p.kind}/${p.name}` : `${p.kind}/${p.namespace}/${p.name}`;
}
