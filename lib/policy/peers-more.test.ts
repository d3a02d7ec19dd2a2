import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { explainFlow } from "./explain";
import type { ClusterSettings, Explanation } from "./types";
import { type Endpoint, type FlowSpec, flow, HOST, pod, policies, REMOTE_NODE, WORLD } from "./test-builders";

// Peer kinds beyond endpoints, entities and plain CIDRs: CiliumCIDRGroup references,
// toServices, fromNodes/toNodes. Table-driven: each case states who decides.

const web = pod("shop", "web-1", { app: "web" }, 5001);
const api = pod("shop", "api-1", { app: "api" }, 5002);
const other = pod("other", "api-2", { app: "api" }, 5003);

function doc(kind: string, name: string, ns: string | null, body: string, api = "cilium.io/v2"): string {
  return `apiVersion: ${api}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ""}${body}\n---\n`;
}
const spec = (s: string) => `spec:\n${s.replace(/^/gm, "  ")}`;
const cnp = (name: string, s: string, ns = "shop") => doc("CiliumNetworkPolicy", name, ns, spec(s));
const ccnp = (name: string, s: string) => doc("CiliumClusterwideNetworkPolicy", name, null, spec(s));
const group = (name: string, labels: string, cidrs: string[], apiVersion = "cilium.io/v2") =>
  doc("CiliumCIDRGroup", name, null, `  labels: ${labels}\nspec:\n  externalCIDRs: [${cidrs.join(", ")}]`, apiVersion);

interface Case {
  name: string;
  policies: string;
  settings?: Partial<ClusterSettings>;
  flow: FlowSpec;
  verdict: Explanation["verdict"];
  decisive?: string | null;
  reason?: RegExp;
}

function check(c: Case): void {
  const e = explainFlow(flow(c.flow), policies(c.policies, c.settings ?? {}));
  const ctx = `${c.name}\n${JSON.stringify(e, null, 1)}`;
  assert.equal(e.verdict, c.verdict, ctx);
  if (c.decisive !== undefined) assert.equal(e.decisive ? `${e.decisive.kind}/${e.decisive.namespace}/${e.decisive.name}#${e.decisive.rule}` : null, c.decisive, ctx);
  if (c.reason) assert.match(e.reason, c.reason, ctx);
}

const FROM_VPN_REF = cnp("from-vpn", `endpointSelector: {matchLabels: {app: web}}\ningress:\n- fromCIDRSet:\n  - cidrGroupRef: vpn`);
const FROM_VPN_SEL = cnp("from-vpn", `endpointSelector: {matchLabels: {app: web}}\ningress:\n- fromCIDRSet:\n  - cidrGroupSelector: {matchLabels: {role: vpn}}`);
const VPN = group("vpn", "{role: vpn}", ["10.48.0.0/24", "10.16.0.0/24"]);
const fromWorld = (ip: string, extra: Partial<FlowSpec> = {}): FlowSpec => ({ src: WORLD, srcIp: ip, dst: web, ...extra });

const CIDR_GROUPS: Case[] = [
  {
    name: "cidrGroupRef: an address in the group is allowed",
    policies: FROM_VPN_REF + VPN,
    flow: fromWorld("10.16.0.7"),
    verdict: "allowed",
    decisive: "CiliumNetworkPolicy/shop/from-vpn#ingress[0]",
  },
  {
    name: "cidrGroupRef: an address outside the group is denied",
    policies: FROM_VPN_REF + VPN,
    flow: fromWorld("10.17.0.7"),
    verdict: "denied",
    reason: /10\.17\.0\.7 is not in fromCIDRSet cidrGroupRef vpn \(10\.48\.0\.0\/24, 10\.16\.0\.0\/24\)/,
  },
  {
    name: "cidrGroupRef: a group that is not there matches nothing, and says so",
    policies: FROM_VPN_REF,
    flow: fromWorld("10.16.0.7"),
    verdict: "denied",
    reason: /CiliumCIDRGroup vpn, which is not among the given objects/,
  },
  {
    name: "cidrGroupSelector: groups selected by label",
    policies: FROM_VPN_SEL + VPN + group("office", "{role: office}", ["192.0.2.0/24"]),
    flow: fromWorld("10.48.0.1"),
    verdict: "allowed",
  },
  {
    name: "cidrGroupSelector: a group with other labels is not selected",
    policies: FROM_VPN_SEL + VPN + group("office", "{role: office}", ["192.0.2.0/24"]),
    flow: fromWorld("192.0.2.9"),
    verdict: "denied",
  },
  {
    name: "cidrGroupRef with except",
    policies: cnp("from-vpn", `endpointSelector: {matchLabels: {app: web}}\ningress:\n- fromCIDRSet:\n  - cidrGroupRef: vpn\n    except: [10.16.0.0/28]`) + VPN,
    flow: fromWorld("10.16.0.7"),
    verdict: "denied",
    reason: /excluded by the except list/,
  },
  {
    name: "a v2alpha1 CiliumCIDRGroup is read too",
    policies: FROM_VPN_REF + group("vpn", "{role: vpn}", ["10.16.0.0/24"], "cilium.io/v2alpha1"),
    flow: fromWorld("10.16.0.7"),
    verdict: "allowed",
  },
  { name: "CIDR groups never select pods", policies: FROM_VPN_REF + VPN, flow: { src: api, srcIp: "10.16.0.7", dst: web }, verdict: "denied" },
  {
    name: "a peer Hubble labels with the group's name matches without an IP",
    policies: FROM_VPN_REF + VPN,
    flow: { src: { identity: 16777300, labels: ["reserved:world", "cidrgroup:io.cilium.policy.cidrgroupname/vpn"] }, dst: web, extra: { IP: { destination: "10.0.2.20" } } },
    verdict: "allowed",
  },
];

const toService = (entry: string, ns = "shop") => cnp("to-svc", `endpointSelector: {matchLabels: {app: web}}\negress:\n- toServices:\n  - ${entry}`, ns);
const viaService = (dst: Endpoint, name: string, namespace: string, extra: Partial<FlowSpec> = {}): FlowSpec => ({
  src: web,
  dst,
  port: 8080,
  direction: "EGRESS",
  ...extra,
  extra: { destination_service: { name, namespace } },
});

const SERVICES: Case[] = [
  {
    name: "k8sService: the flow's destination service matches",
    policies: toService("k8sService: {serviceName: api, namespace: shop}"),
    flow: viaService(api, "api", "shop"),
    verdict: "allowed",
    reason: /Egress at shop\/web-1 is allowed by CiliumNetworkPolicy shop\/to-svc egress\[0\]/,
  },
  { name: "k8sService: the namespace defaults to the policy's", policies: toService("k8sService: {serviceName: api}"), flow: viaService(api, "api", "shop"), verdict: "allowed" },
  {
    name: "k8sService: the same name in another namespace is denied",
    policies: toService("k8sService: {serviceName: api}"),
    flow: viaService(other, "api", "other"),
    verdict: "denied",
    reason: /went to service other\/api, not toServices service shop\/api/,
  },
  {
    name: "k8sService: a selector-less service to an external address",
    policies: toService("k8sService: {serviceName: legacy-db, namespace: shop}"),
    flow: viaService(WORLD, "legacy-db", "shop", { dstIp: "192.0.2.44" }),
    verdict: "allowed",
  },
  {
    name: "k8sService: a flow without destination_service cannot match",
    policies: toService("k8sService: {serviceName: api}"),
    flow: { src: web, dst: api, port: 8080, direction: "EGRESS" },
    verdict: "denied",
    reason: /names no destination Service/,
  },
  {
    name: "k8sServiceSelector {} selects every service of the namespace",
    policies: toService("k8sServiceSelector: {selector: {}, namespace: shop}"),
    flow: viaService(api, "api", "shop"),
    verdict: "allowed",
  },
  {
    name: "k8sServiceSelector with labels is a caveat, never a guess",
    policies: toService("k8sServiceSelector: {selector: {matchLabels: {tier: backend}}}"),
    flow: viaService(api, "api", "shop"),
    verdict: "denied",
    reason: /not evaluated: a flow names its Service but not the Service's labels/,
  },
  {
    name: "CCNP k8sService without namespace: any namespace",
    policies: ccnp("to-svc", `endpointSelector: {matchLabels: {app: web}}\negress:\n- toServices:\n  - k8sService: {serviceName: api}`),
    flow: viaService(other, "api", "other"),
    verdict: "allowed",
  },
];

const ON = { "enable-node-selector-labels": true } as const;
const NODE_LABELS = ["kubernetes.io/hostname=node-1", "node-role.kubernetes.io/worker=", "topology.kubernetes.io/zone=eu-1a"];
const fromNodes = (sel: string) => cnp("from-nodes", `endpointSelector: {matchLabels: {app: web}}\ningress:\n- fromNodes:\n  - ${sel}`);
const remoteNode = (labels: string[]): Endpoint => ({
  identity: 16777400 + labels.length,
  labels: ["reserved:remote-node", "k8s:io.cilium.k8s.policy.cluster=default", ...labels.map((l) => `node:${l}`)],
});

const NODES: Case[] = [
  {
    name: "a remote node whose labels match is allowed",
    settings: ON,
    policies: fromNodes("matchLabels: {node-role.kubernetes.io/control-plane: ''}"),
    flow: { src: remoteNode(["node-role.kubernetes.io/control-plane="]), dst: web },
    verdict: "allowed",
    decisive: "CiliumNetworkPolicy/shop/from-nodes#ingress[0]",
  },
  {
    name: "a remote node with other labels is denied",
    settings: ON,
    policies: fromNodes("matchLabels: {node-role.kubernetes.io/control-plane: ''}"),
    flow: { src: remoteNode(["node-role.kubernetes.io/worker="]), dst: web },
    verdict: "denied",
    reason: /lacks node-role\.kubernetes\.io\/control-plane/,
  },
  {
    name: "the local host is a node: its labels are the flow's node_labels",
    settings: { ...ON, "allow-localhost": "policy" },
    policies: fromNodes("matchLabels: {topology.kubernetes.io/zone: eu-1a}"),
    flow: { src: HOST, dst: web, extra: { node_labels: NODE_LABELS } },
    verdict: "allowed",
  },
  { name: "an empty node selector selects every node", settings: ON, policies: fromNodes("{}"), flow: { src: REMOTE_NODE, dst: web }, verdict: "allowed" },
  {
    name: "a remote node without labels in the flow cannot match a labelled selector",
    settings: ON,
    policies: fromNodes("matchLabels: {a: b}"),
    flow: { src: REMOTE_NODE, dst: web },
    verdict: "denied",
    reason: /carries no node labels/,
  },
  { name: "pods are not nodes, whatever their labels", settings: ON, policies: fromNodes("{}"), flow: { src: api, dst: web }, verdict: "denied", reason: /is not a node/ },
  {
    name: "toNodes on egress",
    settings: ON,
    policies: cnp("to-nodes", `endpointSelector: {matchLabels: {app: web}}\negress:\n- toNodes:\n  - matchLabels: {node-role.kubernetes.io/worker: ''}`),
    flow: { src: web, dst: remoteNode(["node-role.kubernetes.io/worker="]), port: 10250, direction: "EGRESS" },
    verdict: "allowed",
  },
];

describe("peers: CiliumCIDRGroup, toServices, fromNodes/toNodes", () => {
  for (const [title, cases] of [
    ["CiliumCIDRGroup references (cidrGroupRef, cidrGroupSelector)", CIDR_GROUPS],
    ["toServices: the flow's destination service", SERVICES],
    ["fromNodes/toNodes with enable-node-selector-labels", NODES],
  ] as const) {
    describe(title, () => {
      for (const c of cases) it(c.name, () => check(c));
    });
  }

  it("without enable-node-selector-labels Cilium rejects a policy using fromNodes, and the problem says why", () => {
    const compiled = policies(fromNodes("{}"));
    assert.equal(compiled.blocks.length, 0);
    assert.match(compiled.problems[0]?.message ?? "", /fromNodes: needs enable-node-selector-labels=true .*Cilium rejects the whole policy/);
    assert.equal(explainFlow(flow({ src: REMOTE_NODE, dst: web }), compiled).decision, "not-enforced");
  });
});
