import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { explainFlow } from "./explain";
import { compilePolicySet } from "./compile";
import { parsePolicyDocuments } from "./documents";
import type { Explanation } from "./types";
import { DEFAULT_SETTINGS } from "./types";
import { type FlowSpec, flow, HOST, KUBE_APISERVER, pod, policies, REMOTE_NODE, WORLD } from "./test-builders";
import type { CompiledPolicySet } from "./model";

// Star Wars demo workloads (docs.cilium.io getting started).
const deathstar = pod("default", "deathstar-6fb5694d48-5hmds", { org: "empire", class: "deathstar", "app.kubernetes.io/name": "deathstar" }, 45219);
const tiefighter = pod("default", "tiefighter", { org: "empire", class: "tiefighter", "app.kubernetes.io/name": "tiefighter" }, 30002);
const xwing = pod("default", "xwing", { org: "alliance", class: "xwing", "app.kubernetes.io/name": "xwing" }, 27863);
const web = (ns: string) => pod(ns, `web-${ns}`, { app: "web" }, 5001);
const api = (ns: string) => pod(ns, `api-${ns}`, { app: "api" }, 5002);
const db = pod("db", "db-0", { app: "db" }, 5003);
const kubeDns = pod("kube-system", "coredns-1", { "k8s-app": "kube-dns" }, 5004);

const RULE1_L4 = `apiVersion: "cilium.io/v2"
kind: CiliumNetworkPolicy
metadata:
  name: "rule1"
spec:
  description: "L3-L4 policy to restrict deathstar access to empire ships only"
  endpointSelector:
    matchLabels:
      org: empire
      class: deathstar
  ingress:
  - fromEndpoints:
    - matchLabels:
        org: empire
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
`;

const RULE1_L7 = `${RULE1_L4}      rules:
        http:
        - method: "POST"
          path: "/v1/request-landing"
`;

function cnp(name: string, ns: string, spec: string): string {
  return `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^/gm, "  ")}\n---\n`;
}
function ccnp(name: string, spec: string): string {
  return `apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n${spec.replace(/^/gm, "  ")}\n---\n`;
}
function knp(name: string, ns: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^/gm, "  ")}\n---\n`;
}

const NS_LABELS = {
  prod: { team: "a", "kubernetes.io/metadata.name": "prod" },
  staging: { team: "b", "kubernetes.io/metadata.name": "staging" },
  db: { "kubernetes.io/metadata.name": "db" },
};

interface Case {
  name: string;
  policies: string;
  settings?: Partial<typeof DEFAULT_SETTINGS>;
  flow: FlowSpec;
  expect: Partial<Pick<Explanation, "verdict" | "decision" | "evidence">> & {
    decisive?: string | null; // "Kind/ns/name#rule"
    isolating?: string[];
    point?: string | null; // "ns/pod ingress"
    reason?: RegExp;
  };
}

function refText(r: { kind: string; namespace: string; name: string; rule?: string } | null): string | null {
  return r === null ? null : `${r.kind}/${r.namespace}/${r.name}${r.rule !== undefined ? `#${r.rule}` : ""}`;
}

function check(e: Explanation, c: Case): void {
  const x = c.expect;
  const ctx = `${c.name}: ${JSON.stringify(e, null, 1)}`;
  if (x.verdict) assert.equal(e.verdict, x.verdict, ctx);
  if (x.decision) assert.equal(e.decision, x.decision, ctx);
  if (x.evidence) assert.equal(e.evidence, x.evidence, ctx);
  if (x.decisive !== undefined) assert.equal(refText(e.decisive), x.decisive, ctx);
  if (x.isolating)
    assert.deepEqual(
      e.isolating.map((i) => `${i.kind}/${i.namespace}/${i.name}`),
      x.isolating,
      ctx,
    );
  if (x.point !== undefined) assert.equal(e.enforcementPoint ? `${e.enforcementPoint.endpoint} ${e.enforcementPoint.direction}` : null, x.point, ctx);
  if (x.reason) assert.match(e.reason, x.reason, ctx);
  assert.equal(e.suggestion === null, e.verdict === "allowed", `${c.name}: suggestion only for denied flows`);
}

const DS = "default/deathstar-6fb5694d48-5hmds";

const CASES: Case[] = [
  // §1/§4 Star Wars L3/L4
  {
    name: "starwars: tiefighter (org=empire) is allowed by rule1 ingress[0]",
    policies: RULE1_L4,
    flow: { src: tiefighter, dst: deathstar },
    expect: { verdict: "allowed", decision: "allow-rule", decisive: "CiliumNetworkPolicy/default/rule1#ingress[0]", point: `${DS} ingress` },
  },
  {
    name: "starwars: xwing is in default-deny because of rule1",
    policies: RULE1_L4,
    flow: { src: xwing, dst: deathstar, verdict: "DROPPED", dropReason: "POLICY_DENIED" },
    expect: { verdict: "denied", decision: "default-deny", decisive: null, isolating: ["CiliumNetworkPolicy/default/rule1"], point: `${DS} ingress`, reason: /default-deny/ },
  },
  {
    name: "starwars: xwing egress is not enforced (no egress rules)",
    policies: RULE1_L4,
    flow: { src: xwing, dst: tiefighter },
    expect: { verdict: "allowed", decision: "not-enforced" },
  },
  // §9 L7
  {
    name: "L7: POST /v1/request-landing matches http[0]",
    policies: RULE1_L7,
    flow: { src: tiefighter, dst: deathstar, http: { method: "POST", url: "http://deathstar.default.svc.cluster.local/v1/request-landing" } },
    expect: { verdict: "allowed", decision: "allow-rule", decisive: "CiliumNetworkPolicy/default/rule1#ingress[0].toPorts[0].rules.http[0]" },
  },
  {
    name: "L7: PUT /v1/exhaust-port is an l7-deny",
    policies: RULE1_L7,
    flow: { src: tiefighter, dst: deathstar, verdict: "DROPPED", http: { method: "PUT", url: "http://deathstar.default.svc.cluster.local/v1/exhaust-port" } },
    expect: { verdict: "denied", decision: "l7-deny", decisive: "CiliumNetworkPolicy/default/rule1#ingress[0].toPorts[0].rules.http", reason: /403/ },
  },
  {
    name: "L7: the TCP connection itself is allowed (proxied)",
    policies: RULE1_L7,
    flow: { src: tiefighter, dst: deathstar },
    expect: { verdict: "allowed", decision: "allow-rule", reason: /L7 proxy/ },
  },
  {
    name: "L7: path is an anchored full match (/v1/ does not match /v1/x)",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{path: "/v1/"}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "GET", url: "http://ds/v1/x" } },
    expect: { decision: "l7-deny" },
  },
  {
    name: "L7: regex path /v1/.* matches /v1/x",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{path: "/v1/.*"}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "GET", url: "http://ds/v1/x" } },
    expect: { decision: "allow-rule", decisive: "CiliumNetworkPolicy/default/p#ingress[0].toPorts[0].rules.http[0]" },
  },
  {
    name: "L7: method regex GET|HEAD",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{method: "GET|HEAD"}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "DELETE", url: "http://ds/" } },
    expect: { decision: "l7-deny" },
  },
  {
    name: "L7: host regex must match the request host",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{host: "api\\\\.example\\\\.com"}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "GET", url: "http://other.example.com/" } },
    expect: { decision: "l7-deny", reason: /api/ },
  },
  {
    name: "L7: headers: presence required",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{method: GET, headers: ["X-Has-Force"]}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "GET", url: "http://ds/", headers: [{ key: "x-has-force", value: "yes" }] } },
    expect: { decision: "allow-rule" },
  },
  {
    name: "L7: headers: exact value required",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{method: GET, headers: ["X-Token: s3cret"]}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "GET", url: "http://ds/", headers: [{ key: "X-Token", value: "nope" }] } },
    expect: { decision: "l7-deny" },
  },
  {
    name: "L7: an L4-only rule on the same port voids the L7 restriction",
    policies: RULE1_L7 + `---\n` + cnp("l4only", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]`),
    flow: { src: tiefighter, dst: deathstar, http: { method: "PUT", url: "http://ds/v1/exhaust-port" } },
    expect: { verdict: "allowed", decision: "allow-rule" },
  },
  {
    name: "L7: enableDefaultDeny false does not switch L7 rules off",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\nenableDefaultDeny: {ingress: false}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{method: GET}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "PUT", url: "http://ds/" } },
    expect: { decision: "l7-deny" },
  },
  {
    name: "L7: with enableDefaultDeny false a request the proxy allowed names its http rule",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\nenableDefaultDeny: {ingress: false}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules:\n      http: [{method: GET}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: { method: "GET", url: "http://ds/" } },
    expect: { decision: "allow-rule", decisive: "CiliumNetworkPolicy/default/p#ingress[0].toPorts[0].rules.http[0]" },
  },
  {
    name: "L7: the proxy's 403 response is explained by the request it answers",
    policies: RULE1_L7,
    flow: { src: deathstar, dst: tiefighter, srcPort: 80, port: 40000, isReply: true, l7Type: "RESPONSE", http: { code: 403, method: "PUT", url: "http://ds/v1/exhaust-port" } },
    expect: { decision: "l7-deny", decisive: "CiliumNetworkPolicy/default/rule1#ingress[0].toPorts[0].rules.http", point: `${DS} ingress`, reason: /403/ },
  },
  // §1 step 4, D-deny
  {
    name: "deny: ingressDeny world wins over fromEntities all",
    policies: cnp("deny-world", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEntities: [all]\ningressDeny:\n- fromEntities: [world]`),
    flow: { src: WORLD, dst: deathstar, srcIp: "203.0.113.9", verdict: "DROPPED", dropReason: "POLICY_DENY" },
    expect: { verdict: "denied", decision: "deny-rule", decisive: "CiliumNetworkPolicy/default/deny-world#ingressDeny[0]", reason: /deny rules win/ },
  },
  {
    name: "deny: the allow-all still admits pods",
    policies: cnp("deny-world", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEntities: [all]\ningressDeny:\n- fromEntities: [world]`),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "allowed", decision: "allow-rule", decisive: "CiliumNetworkPolicy/default/deny-world#ingress[0]" },
  },
  {
    name: "deny: a CCNP egressDeny beats a CNP allow",
    policies:
      cnp("allow", "default", `endpointSelector: {}\negress:\n- toEntities: [all]`) +
      ccnp("no-443-out", `endpointSelector: {}\negressDeny:\n- toEntities: [world]\n  toPorts:\n  - ports: [{port: "443", protocol: TCP}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "198.51.100.1", port: 443, direction: "EGRESS" },
    expect: { verdict: "denied", decision: "deny-rule", decisive: "CiliumClusterwideNetworkPolicy//no-443-out#egressDeny[0]", point: "default/xwing egress" },
  },
  // Hubble evidence
  {
    name: "evidence: ingress_denied_by on a 181 drop → hubble",
    policies: cnp("deny-world", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEntities: [all]\ningressDeny:\n- fromEntities: [world]`),
    flow: {
      src: WORLD,
      dst: deathstar,
      verdict: "DROPPED",
      dropReason: "POLICY_DENY",
      extra: { event_type: { type: 5 }, ingress_denied_by: [{ name: "deny-world", namespace: "default", kind: "CiliumNetworkPolicy", revision: "3" }] },
    },
    expect: { verdict: "denied", decision: "deny-rule", evidence: "hubble", decisive: "CiliumNetworkPolicy/default/deny-world#ingressDeny[0]" },
  },
  {
    name: "evidence: Hubble names a policy the given set does not have → Hubble's policy decides, reason says so",
    policies: RULE1_L4,
    flow: {
      src: tiefighter,
      dst: deathstar,
      verdict: "DROPPED",
      dropReason: "POLICY_DENY",
      extra: { event_type: { type: 5 }, ingress_denied_by: [{ name: "block-all", namespace: "default", labels: ["k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy"] }] },
    },
    expect: { verdict: "denied", decision: "deny-rule", evidence: "hubble", decisive: "CiliumNetworkPolicy/default/block-all#", reason: /not among the given policies/ },
  },
  {
    name: "evidence: a 133 drop naming the isolating policy (newer agents) stays a default-deny",
    policies: RULE1_L4,
    flow: {
      src: xwing,
      dst: deathstar,
      verdict: "DROPPED",
      dropReason: "POLICY_DENIED",
      extra: { event_type: { type: 5 }, ingress_denied_by: [{ name: "rule1", namespace: "default", kind: "CiliumNetworkPolicy" }] },
    },
    expect: { verdict: "denied", decision: "default-deny", evidence: "hubble", decisive: null, isolating: ["CiliumNetworkPolicy/default/rule1"], reason: /^Hubble names/ },
  },
  {
    name: "evidence: Hubble says allowed where the given policies deny → Hubble wins, reason says they disagree",
    policies: RULE1_L4,
    flow: {
      src: xwing,
      dst: deathstar,
      verdict: "FORWARDED",
      extra: { event_type: { type: 5 }, ingress_allowed_by: [{ name: "rule1", namespace: "default", kind: "CiliumNetworkPolicy" }] },
    },
    expect: { verdict: "allowed", decision: "allow-rule", evidence: "hubble", decisive: "CiliumNetworkPolicy/default/rule1#ingress[0]", reason: /disagree/ },
  },
  {
    name: "evidence: egress_allowed_by → allowed with hubble evidence",
    policies: cnp("out", "default", `endpointSelector: {matchLabels: {class: tiefighter}}\negress:\n- toEndpoints: [{matchLabels: {class: deathstar}}]`),
    flow: {
      src: tiefighter,
      dst: deathstar,
      direction: "EGRESS",
      extra: { event_type: { type: 5 }, egress_allowed_by: [{ name: "out", namespace: "default", kind: "CiliumNetworkPolicy" }] },
    },
    expect: { verdict: "allowed", decision: "allow-rule", evidence: "hubble", decisive: "CiliumNetworkPolicy/default/out#egress[0]", point: "default/tiefighter egress" },
  },
  // §5 entities
  ...entityCases(),
  // §6 CIDR / FQDN
  {
    name: "CIDR: toCIDR covering the pod network does not select pods",
    policies: cnp("c", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toCIDR: [10.0.0.0/8]`),
    flow: { src: xwing, dst: deathstar, dstIp: "10.0.2.20", direction: "EGRESS" },
    expect: { verdict: "denied", decision: "default-deny", point: "default/xwing egress" },
  },
  {
    name: "CIDR: toCIDR selects a world IP inside it",
    policies: cnp("c", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toCIDR: [10.0.0.0/8]`),
    flow: { src: xwing, dst: WORLD, dstIp: "10.9.9.9" },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/c#egress[0]", point: "default/xwing egress" },
  },
  {
    name: "CIDRSet: except carves out a range",
    policies: cnp("c", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toCIDRSet: [{cidr: 0.0.0.0/0, except: [192.168.0.0/16]}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "192.168.1.1" },
    expect: { verdict: "denied", decision: "default-deny", reason: /except/ },
  },
  {
    name: "CIDRSet: outside the except it is allowed",
    policies: cnp("c", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toCIDRSet: [{cidr: 0.0.0.0/0, except: [192.168.0.0/16]}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "8.8.8.8" },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/c#egress[0]" },
  },
  {
    name: "CIDRSet: another entry still covers an excepted IP",
    policies: cnp("c", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toCIDRSet: [{cidr: 0.0.0.0/0, except: [192.168.0.0/16]}, {cidr: 192.168.1.0/24}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "192.168.1.1" },
    expect: { verdict: "allowed" },
  },
  {
    name: "FQDN: *.cilium.io matches one label",
    policies: cnp("f", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toFQDNs: [{matchPattern: "*.cilium.io"}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "104.198.14.52", port: 443, destinationNames: ["docs.cilium.io"] },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/f#egress[0]" },
  },
  {
    name: "FQDN: *.cilium.io does not match cilium.io",
    policies: cnp("f", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toFQDNs: [{matchPattern: "*.cilium.io"}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "104.198.14.52", port: 443, destinationNames: ["cilium.io"] },
    expect: { verdict: "denied", decision: "default-deny" },
  },
  {
    name: "FQDN: *.cilium.io does not match a.b.cilium.io",
    policies: cnp("f", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toFQDNs: [{matchPattern: "*.cilium.io"}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "104.198.14.52", port: 443, destinationNames: ["a.b.cilium.io"] },
    expect: { verdict: "denied" },
  },
  {
    name: "FQDN: **.cilium.io matches several labels",
    policies: cnp("f", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toFQDNs: [{matchPattern: "**.cilium.io"}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "104.198.14.52", port: 443, destinationNames: ["a.b.cilium.io"] },
    expect: { verdict: "allowed" },
  },
  {
    name: "FQDN: * alone matches every name",
    policies: cnp("f", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toFQDNs: [{matchPattern: "*"}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "1.2.3.4", destinationNames: ["anything.example"] },
    expect: { verdict: "allowed" },
  },
  {
    name: "FQDN: matchName is case-insensitive with an implied trailing dot",
    policies: cnp("f", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toFQDNs: [{matchName: "API.GitHub.com"}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "140.82.112.6", destinationNames: ["api.github.com."] },
    expect: { verdict: "allowed" },
  },
  {
    name: "FQDN: without destination_names the rule cannot match, and the reason says why",
    policies: cnp(
      "f",
      "default",
      `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toFQDNs: [{matchName: "api.github.com"}]\n  toPorts: [{ports: [{port: "443", protocol: TCP}]}]`,
    ),
    flow: { src: xwing, dst: WORLD, dstIp: "140.82.112.6", port: 443 },
    expect: { verdict: "denied", reason: /destination_names is empty/ },
  },
  {
    name: "DNS rules: a query outside matchPattern is refused",
    policies: cnp(
      "dns",
      "default",
      `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, k8s-app: kube-dns}}]\n  toPorts:\n  - ports: [{port: "53", protocol: ANY}]\n    rules:\n      dns: [{matchPattern: "*.cilium.io"}]`,
    ),
    flow: { src: xwing, dst: kubeDns, port: 53, proto: "UDP", dns: "evil.example.com.", verdict: "DROPPED", direction: "EGRESS" },
    expect: { verdict: "denied", decision: "l7-deny", decisive: "CiliumNetworkPolicy/default/dns#egress[0].toPorts[0].rules.dns", reason: /REFUSED/ },
  },
  {
    name: "DNS rules: a matching query is allowed",
    policies: cnp(
      "dns",
      "default",
      `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, k8s-app: kube-dns}}]\n  toPorts:\n  - ports: [{port: "53", protocol: ANY}]\n    rules:\n      dns: [{matchPattern: "*.cilium.io"}]`,
    ),
    flow: { src: xwing, dst: kubeDns, port: 53, proto: "UDP", dns: "docs.cilium.io.", direction: "EGRESS" },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/dns#egress[0].toPorts[0].rules.dns[0]" },
  },
  // §4 namespace scoping, §2 CCNP
  {
    name: "CNP peers are implicitly scoped to the policy's namespace",
    policies: cnp("p", "prod", `endpointSelector: {matchLabels: {app: api}}\ningress:\n- fromEndpoints: [{matchLabels: {app: web}}]`),
    flow: { src: web("staging"), dst: api("prod") },
    expect: { verdict: "denied", decision: "default-deny", reason: /namespace staging/ },
  },
  {
    name: "CNP peers cross namespaces with an explicit namespace key",
    policies: cnp("p", "prod", `endpointSelector: {matchLabels: {app: api}}\ningress:\n- fromEndpoints: [{matchLabels: {app: web, "k8s:io.kubernetes.pod.namespace": staging}}]`),
    flow: { src: web("staging"), dst: api("prod") },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/prod/p#ingress[0]" },
  },
  {
    name: "CNP fromEndpoints [{}] is all pods of its namespace, not world",
    policies: cnp("p", "prod", `endpointSelector: {}\ningress:\n- fromEndpoints: [{}]`),
    flow: { src: WORLD, dst: api("prod"), srcIp: "1.1.1.1" },
    expect: { verdict: "denied" },
  },
  {
    name: "CNP endpointSelector only selects its own namespace",
    policies: cnp("p", "prod", `endpointSelector: {matchLabels: {app: api}}\ningress:\n- fromEndpoints: [{matchLabels: {app: web}}]`),
    flow: { src: xwing, dst: api("staging") },
    expect: { verdict: "allowed", decision: "not-enforced" },
  },
  {
    name: "CCNP selects pods in every namespace and fromEndpoints [{}] means any pod",
    policies: ccnp("cw", `endpointSelector: {matchLabels: {app: api}}\ningress:\n- fromEndpoints: [{}]`),
    flow: { src: web("staging"), dst: api("prod") },
    expect: { verdict: "allowed", decisive: "CiliumClusterwideNetworkPolicy//cw#ingress[0]" },
  },
  {
    name: "CCNP fromEndpoints [{}] does not include world",
    policies: ccnp("cw", `endpointSelector: {matchLabels: {app: api}}\ningress:\n- fromEndpoints: [{}]`),
    flow: { src: WORLD, dst: api("prod") },
    expect: { verdict: "denied", isolating: ["CiliumClusterwideNetworkPolicy//cw"] },
  },
  {
    name: "CCNP subject can select a namespace",
    policies: ccnp("cw", `endpointSelector: {matchLabels: {"io.kubernetes.pod.namespace": staging}}\ningress:\n- fromEntities: [cluster]`),
    flow: { src: WORLD, dst: api("prod") },
    expect: { decision: "not-enforced" },
  },
  // §3 selectors
  {
    name: "matchExpressions NotIn is true when the key is absent",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchExpressions: [{key: env, operator: NotIn, values: [dev]}]}]`,
    ),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "allowed" },
  },
  {
    name: "matchExpressions In requires the key",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchExpressions: [{key: org, operator: In, values: [empire, rebels]}]}]`,
    ),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "denied", reason: /org in \(empire,rebels\)/ },
  },
  {
    name: "matchExpressions DoesNotExist",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchExpressions: [{key: org, operator: DoesNotExist}]}]`),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "denied" },
  },
  {
    name: "label source prefix k8s: matches k8s labels",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {"k8s:class": deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {"k8s:org": alliance}}]`),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "allowed" },
  },
  {
    name: "label source prefix container: does not match k8s labels",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {"container:org": alliance}}]`),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "denied" },
  },
  {
    name: "fromEndpoints with reserved:host works like the host entity",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {"reserved:remote-node": ""}}]`),
    flow: { src: REMOTE_NODE, dst: deathstar },
    expect: { verdict: "allowed" },
  },
  // §7 ports
  {
    name: "ports: endPort range is inclusive",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts: [{ports: [{port: "8000", endPort: 8080, protocol: TCP}]}]`),
    flow: { src: xwing, dst: deathstar, port: 8080 },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/p#ingress[0]" },
  },
  {
    name: "ports: outside the range is a near miss on port",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts: [{ports: [{port: "8000", endPort: 8080, protocol: TCP}]}]`),
    flow: { src: xwing, dst: deathstar, port: 8081 },
    expect: { verdict: "denied", reason: /port 8081 is not in \[8000-8080\/TCP\]/ },
  },
  {
    name: "ports: CNP protocol defaults to ANY (UDP allowed)",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts: [{ports: [{port: "53"}]}]`),
    flow: { src: xwing, dst: deathstar, port: 53, proto: "UDP" },
    expect: { verdict: "allowed" },
  },
  {
    name: "ports: port 0 means every port of the protocol",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts: [{ports: [{port: "0", protocol: UDP}]}]`),
    flow: { src: xwing, dst: deathstar, port: 9999, proto: "UDP" },
    expect: { verdict: "allowed" },
  },
  {
    name: "ICMP: once a direction has L4 rules, ICMP is blocked",
    policies: RULE1_L4,
    flow: { src: tiefighter, dst: deathstar, proto: "ICMPv4", icmpType: 8 },
    expect: { verdict: "denied", decision: "default-deny" },
  },
  {
    name: "ICMP: an L3-only rule allows ICMP",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {org: empire}}]`),
    flow: { src: tiefighter, dst: deathstar, proto: "ICMPv4", icmpType: 8 },
    expect: { verdict: "allowed" },
  },
  {
    name: "ICMP: icmps type 8 allows echo requests",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {org: empire}}]\n  icmps: [{fields: [{type: 8, family: IPv4}]}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, proto: "ICMPv4", icmpType: 8 },
    expect: { verdict: "allowed" },
  },
  {
    name: "named ports are not resolved: the reason says so instead of guessing",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {org: empire}}]\n  toPorts: [{ports: [{port: http, protocol: TCP}]}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, port: 80 },
    expect: { verdict: "denied", reason: /named port "http"/ },
  },
  {
    name: "toServices: a flow that names no destination Service cannot match it",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toServices: [{k8sService: {serviceName: api, namespace: default}}]`),
    flow: { src: xwing, dst: WORLD, dstIp: "192.0.2.1" },
    expect: { verdict: "denied", reason: /names no destination Service/ },
  },
  // §8 default deny
  {
    name: "ingress: [{}] is deny-all",
    policies: cnp("deny-all", "default", `endpointSelector: {}\ningress:\n- {}`),
    flow: { src: tiefighter, dst: deathstar },
    expect: { verdict: "denied", isolating: ["CiliumNetworkPolicy/default/deny-all"] },
  },
  {
    name: "fromEndpoints: [] (empty list) selects nothing",
    policies: cnp("p", "default", `endpointSelector: {}\ningress:\n- fromEndpoints: []`),
    flow: { src: tiefighter, dst: deathstar },
    expect: { verdict: "denied" },
  },
  {
    name: "ingressDeny alone puts the endpoint into default-deny",
    policies: cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningressDeny:\n- fromEntities: [world]`),
    flow: { src: tiefighter, dst: deathstar },
    expect: { verdict: "denied", decision: "default-deny", isolating: ["CiliumNetworkPolicy/default/p"] },
  },
  {
    name: "enableDefaultDeny false: unmatched traffic stays allowed",
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\nenableDefaultDeny: {ingress: false}\ningress:\n- fromEndpoints: [{matchLabels: {org: empire}}]`,
    ),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "allowed", decision: "not-enforced", reason: /enableDefaultDeny/ },
  },
  {
    name: "enableDefaultDeny false is ignored without enable-non-default-deny-policies",
    settings: { "enable-non-default-deny-policies": false },
    policies: cnp(
      "p",
      "default",
      `endpointSelector: {matchLabels: {class: deathstar}}\nenableDefaultDeny: {ingress: false}\ningress:\n- fromEndpoints: [{matchLabels: {org: empire}}]`,
    ),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "denied", decision: "default-deny" },
  },
  {
    name: "enableDefaultDeny false loses to another policy that wants default-deny",
    policies:
      cnp("p", "default", `endpointSelector: {matchLabels: {class: deathstar}}\nenableDefaultDeny: {ingress: false}\ningress:\n- fromEndpoints: [{matchLabels: {org: empire}}]`) +
      cnp("q", "default", `endpointSelector: {}\ningress:\n- fromEntities: [host]`),
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "denied", isolating: ["CiliumNetworkPolicy/default/q"] },
  },
  {
    name: "policy-enforcement-mode always: default-deny without any policy",
    settings: { "policy-enforcement-mode": "always" },
    policies: "",
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "denied", decision: "default-deny", isolating: [], reason: /always/, point: "default/xwing egress" },
  },
  {
    name: "policy-enforcement-mode never: nothing is enforced",
    settings: { "policy-enforcement-mode": "never" },
    policies: RULE1_L4,
    flow: { src: xwing, dst: deathstar },
    expect: { verdict: "allowed", decision: "not-enforced", reason: /never/ },
  },
  // §1 exceptions
  {
    name: "allow-localhost: host → local pod is allowed by default",
    policies: RULE1_L4,
    flow: { src: HOST, dst: deathstar },
    expect: { verdict: "allowed", decision: "implicit-allow", point: `${DS} ingress` },
  },
  {
    name: "allow-localhost=policy: host → pod needs a rule",
    settings: { "allow-localhost": "policy" },
    policies: RULE1_L4,
    flow: { src: HOST, dst: deathstar },
    expect: { verdict: "denied", decision: "default-deny" },
  },
  {
    name: "replies are allowed by conntrack",
    policies: RULE1_L4,
    flow: { src: deathstar, dst: xwing, isReply: true },
    expect: { verdict: "allowed", decision: "implicit-allow", point: "default/xwing ingress" },
  },
  { name: "world → world: nothing enforces", policies: RULE1_L4, flow: { src: WORLD, dst: WORLD }, expect: { verdict: "allowed", decision: "not-enforced", point: null } },
  {
    name: "host endpoint without host firewall: not enforced",
    policies: ccnp("h", `nodeSelector: {}\ningress:\n- fromEntities: [cluster]`),
    flow: { src: WORLD, dst: HOST, port: 22 },
    expect: { decision: "not-enforced", reason: /enable-host-firewall/ },
  },
  {
    name: "host firewall: a nodeSelector CCNP isolates the host",
    settings: { "enable-host-firewall": true },
    policies: ccnp("h", `nodeSelector: {}\ningress:\n- fromEntities: [cluster]`),
    flow: { src: WORLD, dst: HOST, port: 22, srcIp: "203.0.113.5" },
    expect: { verdict: "denied", isolating: ["CiliumClusterwideNetworkPolicy//h"], point: "reserved:host ingress" },
  },
  {
    name: "host firewall: nodeSelector matches the observing node's labels",
    settings: { "enable-host-firewall": true },
    policies: ccnp("workers", `nodeSelector: {matchLabels: {"node-role.kubernetes.io/worker": ""}}\ningress:\n- fromEntities: [cluster]`),
    flow: { src: WORLD, dst: HOST, port: 22, extra: { node_labels: ["kubernetes.io/hostname=w1", "node-role.kubernetes.io/worker="] } },
    expect: { verdict: "denied", isolating: ["CiliumClusterwideNetworkPolicy//workers"] },
  },
  {
    name: "host firewall: nodeSelector does not match another node role",
    settings: { "enable-host-firewall": true },
    policies: ccnp("workers", `nodeSelector: {matchLabels: {"node-role.kubernetes.io/worker": ""}}\ningress:\n- fromEntities: [cluster]`),
    flow: { src: WORLD, dst: HOST, port: 22, extra: { node_labels: ["kubernetes.io/hostname=cp", "node-role.kubernetes.io/control-plane="] } },
    expect: { verdict: "allowed", decision: "not-enforced" },
  },
  {
    name: "reserved identities without labels: identity 2 is world",
    policies: cnp("e", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEntities: [world]`),
    flow: { src: { identity: 2 }, srcIp: "198.51.100.7", dst: deathstar },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/e#ingress[0]" },
  },
  {
    name: "reserved identities without labels: identity 6 is remote-node, not world",
    policies: cnp("e", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEntities: [world]`),
    flow: { src: { identity: 6 }, dst: deathstar },
    expect: { verdict: "denied" },
  },
  {
    name: "reserved identities: a CIDR identity (≥2^24) is outside the cluster",
    policies: cnp("c", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toCIDR: [192.0.2.0/24]`),
    flow: { src: xwing, dst: { identity: 16777217, labels: ["cidr:192.0.2.0/24", "reserved:world"] }, dstIp: "192.0.2.10" },
    expect: { verdict: "allowed" },
  },
  // Non-policy drops
  {
    name: "non-policy drop: the reason says it was not a policy decision",
    policies: RULE1_L4,
    flow: { src: tiefighter, dst: deathstar, verdict: "DROPPED", dropReason: "CT_MAP_INSERTION_FAILED" },
    expect: { verdict: "allowed", decision: "allow-rule", reason: /^Dropped for CT_MAP_INSERTION_FAILED, not by policy; Allowed/ },
  },
  {
    name: "egress drop: traffic_direction EGRESS reports the source",
    policies:
      cnp(
        "xw",
        "default",
        `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, k8s-app: kube-dns}}]`,
      ) + RULE1_L4,
    flow: { src: xwing, dst: deathstar, verdict: "DROPPED", dropReason: "POLICY_DENIED", direction: "EGRESS" },
    expect: { verdict: "denied", decision: "default-deny", point: "default/xwing egress", isolating: ["CiliumNetworkPolicy/default/xw"] },
  },
  {
    name: "audit mode: an AUDIT flow is what the policies would deny",
    policies: RULE1_L4,
    flow: { src: xwing, dst: deathstar, verdict: "AUDIT" },
    expect: { verdict: "denied", decision: "default-deny", reason: /^Policy audit mode/ },
  },
  {
    name: "AUTH_REQUIRED drop: the allow rule needs mutual authentication",
    policies: RULE1_L4,
    flow: { src: tiefighter, dst: deathstar, verdict: "DROPPED", dropReason: "AUTH_REQUIRED" },
    expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/rule1#ingress[0]", reason: /mutual authentication/ },
  },
  // specs[]
  {
    name: "specs[n] paths",
    policies: `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: multi, namespace: default}\nspecs:\n- endpointSelector: {matchLabels: {class: xwing}}\n  egress: [{toEntities: [world]}]\n- endpointSelector: {matchLabels: {class: deathstar}}\n  ingress: [{fromEndpoints: [{matchLabels: {org: empire}}]}]\n`,
    flow: { src: tiefighter, dst: deathstar },
    expect: { decisive: "CiliumNetworkPolicy/default/multi#specs[1].ingress[0]" },
  },
  // §10 Kubernetes NetworkPolicy
  ...knpCases(),
];

function entityCases(): Case[] {
  const from = (entity: string) => cnp("e", "default", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEntities: [${entity}]`);
  const to = (entity: string) => cnp("e", "default", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toEntities: [${entity}]`);
  return [
    {
      name: "entity world: world is allowed",
      policies: from("world"),
      flow: { src: WORLD, dst: deathstar, srcIp: "203.0.113.1" },
      expect: { verdict: "allowed", decisive: "CiliumNetworkPolicy/default/e#ingress[0]" },
    },
    { name: "entity world: pods are not world", policies: from("world"), flow: { src: xwing, dst: deathstar }, expect: { verdict: "denied" } },
    {
      name: "entity cluster: pods in other namespaces are cluster (not namespace-scoped)",
      policies: from("cluster"),
      flow: { src: web("prod"), dst: deathstar },
      expect: { verdict: "allowed" },
    },
    { name: "entity cluster: remote-node is cluster", policies: from("cluster"), flow: { src: REMOTE_NODE, dst: deathstar }, expect: { verdict: "allowed" } },
    { name: "entity cluster: world is not cluster", policies: from("cluster"), flow: { src: WORLD, dst: deathstar }, expect: { verdict: "denied" } },
    {
      name: "entity host: host is allowed even with allow-localhost=policy",
      settings: { "allow-localhost": "policy" },
      policies: from("host"),
      flow: { src: HOST, dst: deathstar },
      expect: { verdict: "allowed", decision: "allow-rule" },
    },
    { name: "entity remote-node: only remote nodes", policies: from("remote-node"), flow: { src: REMOTE_NODE, dst: deathstar }, expect: { verdict: "allowed" } },
    {
      name: "entity kube-apiserver",
      policies: to("kube-apiserver"),
      flow: { src: xwing, dst: KUBE_APISERVER, port: 6443, dstIp: "10.0.0.1" },
      expect: { verdict: "allowed", point: "default/xwing egress" },
    },
    {
      name: "entity kube-apiserver does not match world",
      policies: to("kube-apiserver"),
      flow: { src: xwing, dst: WORLD, port: 443, dstIp: "1.1.1.1" },
      expect: { verdict: "denied" },
    },
    { name: "entity all: every identity", policies: from("all"), flow: { src: WORLD, dst: deathstar }, expect: { verdict: "allowed" } },
  ];
}

function knpCases(): Case[] {
  const and = knp(
    "and",
    "db",
    `podSelector: {matchLabels: {app: db}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {team: a}}\n    podSelector: {matchLabels: {app: web}}`,
  );
  const or = knp(
    "or",
    "db",
    `podSelector: {matchLabels: {app: db}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {team: a}}\n  - podSelector: {matchLabels: {app: web}}`,
  );
  return [
    {
      name: "KNP AND: namespaceSelector+podSelector in one element → both must match",
      policies: and,
      flow: { src: web("prod"), dst: db, port: 5432 },
      expect: { verdict: "allowed", decisive: "NetworkPolicy/db/and#spec.ingress[0].from[0]" },
    },
    {
      name: "KNP AND: another pod in the namespace is denied",
      policies: and,
      flow: { src: api("prod"), dst: db, port: 5432 },
      expect: { verdict: "denied", isolating: ["NetworkPolicy/db/and"] },
    },
    {
      name: "KNP OR: any pod in the namespace (from[0])",
      policies: or,
      flow: { src: api("prod"), dst: db, port: 5432 },
      expect: { verdict: "allowed", decisive: "NetworkPolicy/db/or#spec.ingress[0].from[0]" },
    },
    {
      name: "KNP OR: web pods in the policy's own namespace (from[1])",
      policies: or,
      flow: { src: pod("db", "web-x", { app: "web" }), dst: db, port: 5432 },
      expect: { verdict: "allowed", decisive: "NetworkPolicy/db/or#spec.ingress[0].from[1]" },
    },
    { name: "KNP OR: podSelector alone does not cross namespaces", policies: or, flow: { src: web("staging"), dst: db, port: 5432 }, expect: { verdict: "denied" } },
    {
      name: "KNP policyTypes omitted: an egress-only KNP also isolates ingress",
      policies: knp("eg", "db", `podSelector: {}\negress:\n- to:\n  - podSelector: {}`),
      flow: { src: web("prod"), dst: db, port: 5432 },
      expect: { verdict: "denied", decision: "default-deny", isolating: ["NetworkPolicy/db/eg"] },
    },
    {
      name: "KNP policyTypes [Egress]: ingress not isolated",
      policies: knp("eg", "db", `podSelector: {}\npolicyTypes: [Egress]\negress:\n- to:\n  - podSelector: {}`),
      flow: { src: web("prod"), dst: db, port: 5432 },
      expect: { verdict: "allowed", decision: "not-enforced" },
    },
    {
      name: "KNP policyTypes [Egress] with no egress rules: deny all egress",
      policies: knp("eg", "db", `podSelector: {}\npolicyTypes: [Egress]`),
      flow: { src: db, dst: WORLD, dstIp: "1.1.1.1", port: 443 },
      expect: { verdict: "denied", point: "db/db-0 egress" },
    },
    {
      name: "KNP ports without protocol are TCP: UDP 53 is a protocol near miss",
      policies: knp("p", "db", `podSelector: {}\ningress:\n- ports: [{port: 53}]`),
      flow: { src: web("prod"), dst: db, port: 53, proto: "UDP" },
      expect: { verdict: "denied", reason: /protocol 53\/UDP is not in \[53\/TCP\]/ },
    },
    {
      name: "KNP ports without protocol are TCP: TCP 53 allowed",
      policies: knp("p", "db", `podSelector: {}\ningress:\n- ports: [{port: 53}]`),
      flow: { src: web("prod"), dst: db, port: 53 },
      expect: { verdict: "allowed", decisive: "NetworkPolicy/db/p#spec.ingress[0]" },
    },
    {
      name: "KNP ipBlock except: excepted range denied",
      policies: knp("ip", "db", `podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}`),
      flow: { src: WORLD, srcIp: "10.1.1.1", dst: db },
      expect: { verdict: "denied" },
    },
    {
      name: "KNP ipBlock: world inside allowed",
      policies: knp("ip", "db", `podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}`),
      flow: { src: WORLD, srcIp: "8.8.4.4", dst: db },
      expect: { verdict: "allowed", decisive: "NetworkPolicy/db/ip#spec.ingress[0].from[0]" },
    },
    {
      name: "KNP ipBlock never matches pods (Cilium)",
      policies: knp("ip", "db", `podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8}`),
      flow: { src: web("prod"), srcIp: "10.0.1.10", dst: db },
      expect: { verdict: "denied" },
    },
    {
      name: "KNP ingress [{}] allows everything incl. world",
      policies: knp("all", "db", `podSelector: {}\ningress:\n- {}`),
      flow: { src: WORLD, srcIp: "8.8.4.4", dst: db },
      expect: { verdict: "allowed", decisive: "NetworkPolicy/db/all#spec.ingress[0]" },
    },
    {
      name: "KNP policyTypes [Ingress] without rules denies all ingress",
      policies: knp("none", "db", `podSelector: {}\npolicyTypes: [Ingress]`),
      flow: { src: web("prod"), dst: db },
      expect: { verdict: "denied", isolating: ["NetworkPolicy/db/none"] },
    },
    {
      name: "KNP namespaceSelector {} = all pods in all namespaces",
      policies: knp("ns", "db", `podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {}`),
      flow: { src: web("staging"), dst: db },
      expect: { verdict: "allowed" },
    },
    {
      name: "KNP endPort range",
      policies: knp("r", "db", `podSelector: {}\ningress:\n- ports: [{port: 32000, endPort: 32768, protocol: TCP}]`),
      flow: { src: web("prod"), dst: db, port: 32768 },
      expect: { verdict: "allowed" },
    },
  ];
}

const compiledCache = new Map<string, CompiledPolicySet>();
function compiledFor(c: Case): CompiledPolicySet {
  const key = JSON.stringify([c.policies, c.settings]);
  let v = compiledCache.get(key);
  if (!v) {
    v = policies(c.policies, c.settings ?? {}, NS_LABELS);
    const real = v.problems.filter((p) => !/is ignored: enable-non-default-deny-policies/.test(p.message));
    assert.deepEqual(real, [], `${c.name}: compile problems`);
    compiledCache.set(key, v);
  }
  return v;
}

describe("explainFlow: one case per rule of policy-semantics.md", () => {
  for (const c of CASES) {
    it(c.name, () => check(explainFlow(flow(c.flow), compiledFor(c)), c));
  }
});

describe("explainFlow: suggestions", () => {
  // The strongest check: applying the suggested YAML must make the flow allowed.
  const denied = CASES.filter((c) => {
    const e = explainFlow(flow(c.flow), compiledFor(c));
    return e.verdict === "denied" && (e.decision === "default-deny" || e.decision === "l7-deny") && e.evidence === "policies";
  });
  it("has denied cases to check", () => assert.ok(denied.length >= 20, String(denied.length)));
  for (const c of denied) {
    it(`applying the suggestion allows: ${c.name}`, () => {
      // One suggestion per enforcement point: at most two rounds (egress at the source, ingress at the destination).
      let compiled = compiledFor(c);
      const f = flow({ ...c.flow, verdict: "FORWARDED", dropReason: undefined });
      for (let round = 0; round < 2; round++) {
        const e = explainFlow(f, compiled);
        if (e.verdict === "allowed") break;
        assert.ok(e.suggestion, "a suggestion");
        assert.match(e.suggestion.summary, /^Suggestion:/);
        assert.equal(typeof parse(e.suggestion.yaml), "object");
        const added = parsePolicyDocuments(e.suggestion.yaml, "suggestion");
        assert.deepEqual(added.problems, []);
        const p = added.policies[0]!;
        const before = compiled.set.policies.find((x) => x.kind === p.kind && x.namespace === p.namespace && x.name === p.name);
        // The suggestion extends the policy: every rule it had is still there.
        if (before) assert.ok(JSON.stringify(p.object).length > JSON.stringify(before.object).length - 40);
        const rest = compiled.set.policies.filter((x) => x !== before);
        compiled = compilePolicySet({ ...compiled.set, policies: [...rest, p] });
        assert.deepEqual(
          compiled.problems.filter((x) => !/is ignored/.test(x.message)),
          [],
        );
        if (round === 0 && e.verdict === "denied") {
          const e2 = explainFlow(f, compiled);
          assert.ok(
            e2.verdict === "allowed" || e2.enforcementPoint?.direction !== e.enforcementPoint?.direction || e2.decision !== e.decision,
            `${e.suggestion.yaml}\n${JSON.stringify(e2, null, 1)}`,
          );
          if (e2.verdict === "denied") assert.match(e.suggestion.summary, /would also need a rule/);
        }
      }
      const final = explainFlow(f, compiled);
      assert.equal(final.verdict, "allowed", JSON.stringify(final, null, 1));
    });
  }
  it("a deny rule suggestion says it must be narrowed", () => {
    const c = CASES.find((x) => x.name.startsWith("deny: ingressDeny world"))!;
    const e = explainFlow(flow(c.flow), compiledFor(c));
    assert.match(e.suggestion!.summary, /narrow/);
    assert.match(e.suggestion!.summary, /cannot/);
    assert.ok(parse(e.suggestion!.yaml));
  });
});

describe("explainFlow: near misses", () => {
  it("right peer, wrong port → failed [port] naming the port and the allowed ports", () => {
    const c = policies(
      cnp(
        "metrics",
        "default",
        `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {org: empire}}]\n  toPorts: [{ports: [{port: "9090", protocol: TCP}]}]`,
      ),
    );
    const e = explainFlow(flow({ src: tiefighter, dst: deathstar, port: 8080 }), c);
    assert.equal(e.decision, "default-deny");
    assert.deepEqual(e.nearMisses, [
      { kind: "CiliumNetworkPolicy", namespace: "default", name: "metrics", rule: "ingress[0]", failed: ["port"], why: "port 8080 is not in [9090/TCP]" },
    ]);
  });
  it("right port, wrong peer → failed [peer]", () => {
    const e = explainFlow(flow({ src: xwing, dst: deathstar }), policies(RULE1_L4));
    assert.deepEqual(
      e.nearMisses.map((n) => n.failed),
      [["peer"]],
    );
    assert.match(e.nearMisses[0]!.why, /org=empire/);
  });
  it("L7 denials list the http rules that were tried", () => {
    const e = explainFlow(flow({ src: tiefighter, dst: deathstar, http: { method: "PUT", url: "http://ds/v1/exhaust-port" } }), policies(RULE1_L7));
    assert.deepEqual(
      e.nearMisses.map((n) => [n.rule, n.failed]),
      [["ingress[0].toPorts[0].rules.http[0]", ["l7"]]],
    );
    assert.match(e.nearMisses[0]!.why, /PUT/);
  });
});

describe("explainFlow: input handling", () => {
  const compiled = policies(RULE1_L7 + "---\n" + knp("k", "default", "podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8}"));
  it("accepts the {flow: …} envelope and JSON text", () => {
    const f = flow({ src: tiefighter, dst: deathstar });
    assert.equal(explainFlow({ flow: f, node_name: "n" }, compiled).verdict, "allowed");
    assert.equal(explainFlow(JSON.stringify({ flow: f }), compiled).verdict, "allowed");
  });
  it("throws ExplainInputError only for non-objects or a missing flow", () => {
    for (const bad of [null, 3, "x", [1], "[1]", { flow: 3 }, { flow: null }]) {
      assert.throws(
        () => explainFlow(bad, compiled),
        (e: Error) => e.name === "ExplainInputError",
        JSON.stringify(bad),
      );
    }
    assert.doesNotThrow(() => explainFlow({}, compiled));
  });
  it("never throws on random mutations of a flow, and bounds the reason", () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const junk = (): unknown => {
      const k = Math.floor(rnd() * 10);
      return [null, 7, -1, "x".repeat(5000), true, [], {}, [1, "a", null], { a: { b: 1 } }, "k8s:app=" + "y".repeat(3000)][k];
    };
    const mutate = (v: unknown, depth: number): unknown => {
      if (depth > 4) return v;
      if (Array.isArray(v)) return v.map((x) => (rnd() < 0.2 ? junk() : mutate(x, depth + 1)));
      if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          const r = rnd();
          if (r < 0.1) continue;
          out[k] = r < 0.3 ? junk() : mutate(x, depth + 1);
        }
        return out;
      }
      return v;
    };
    const seeds = [
      flow({ src: tiefighter, dst: deathstar, http: { method: "PUT", url: "http://ds/v1/exhaust-port", headers: [{ key: "a", value: "b" }] } }),
      flow({ src: xwing, dst: deathstar, verdict: "DROPPED", dropReason: "POLICY_DENIED", extra: { ingress_denied_by: [{ name: "x", namespace: "default" }] } }),
      flow({ src: WORLD, dst: deathstar, srcIp: "10.1.1.1", destinationNames: ["a.b"], isReply: true }),
    ];
    for (let i = 0; i < 3000; i++) {
      const f = mutate(seeds[i % seeds.length], 0);
      const e = explainFlow(f, compiled);
      assert.ok(e.reason.length <= 700, e.reason.length.toString());
      assert.ok(["allowed", "denied"].includes(e.verdict));
      for (const n of e.nearMisses) assert.ok(n.why.length <= 210);
      JSON.stringify(e);
    }
  });
  it("fills namespace labels from the policy set when the flow lacks them", () => {
    const c = policies(knp("k", "db", "podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {team: a}}"), {}, NS_LABELS);
    const bare = { identity: 4242, namespace: "prod", pod_name: "w", labels: ["k8s:app=web"] };
    assert.equal(explainFlow(flow({ src: bare, dst: db }), c).verdict, "allowed");
  });
});

describe("explainFlow: where the suggested rule goes", () => {
  it("extends the policy written for the endpoint, not the namespace-wide deny-all", () => {
    const compiled = policies(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: deny-all, namespace: shop }
spec:
  endpointSelector: {}
  ingress: [{}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: api-ingress, namespace: shop }
spec:
  endpointSelector: { matchLabels: { app: api } }
  ingress:
  - fromEndpoints: [{ matchLabels: { app: web } }]
    toPorts: [{ ports: [{ port: "8080", protocol: TCP }] }]
`);
    const e = explainFlow(
      flow({ src: pod("shop", "worker-1", { app: "worker" }), dst: pod("shop", "api-1", { app: "api" }), port: 8080, verdict: "DROPPED", dropReason: "POLICY_DENIED" }),
      compiled,
    );
    assert.equal(e.decision, "default-deny");
    assert.deepEqual(e.isolating.map((p) => p.name).sort(), ["api-ingress", "deny-all"]);
    assert.match(e.suggestion!.summary, /CiliumNetworkPolicy shop\/api-ingress/);
  });
});
