// Kubernetes NetworkPolicy → RuleBlock, the way Cilium translates it (policy-semantics.md §10):
// policyTypes decide isolation, an absent/empty `from`/`to` is every identity, peers in one
// element are ANDed and separate elements ORed, ports default to TCP, ipBlock only matches
// peers outside the cluster. Rule paths stay in NetworkPolicy terms (`spec.ingress[0].from[1]`).

import { compileSelector, describeSelector, NAMESPACE_LABELS_PREFIX, POD_NAMESPACE, type Requirement, type Selector, selectorMatches } from "./labels";
import type { AllowRule, PeerMatcher, PortEntry, RuleBlock } from "./model";
import { cidrPeer, peerName } from "./peers";
import type { Direction, PolicyObject } from "./types";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function compileNetworkPolicy(p: PolicyObject): { blocks: RuleBlock[]; problems: string[] } {
  const spec = isObj(p.object.spec) ? p.object.spec : {};
  const problems: string[] = [];
  const sel = compileSelector(spec.podSelector, "k8s");
  if (typeof sel === "string") return { blocks: [], problems: [`spec.podSelector: ${sel}`] };
  const subject: Selector = { requirements: [...sel.requirements, { source: "k8s", key: POD_NAMESPACE, op: "In", values: [p.namespace] }] };
  const types = Array.isArray(spec.policyTypes)
    ? spec.policyTypes.map(String)
    : // The API server's default: Ingress always, Egress only when there are egress rules.
      ["Ingress", ...(Array.isArray(spec.egress) && spec.egress.length > 0 ? ["Egress"] : [])];
  const isolates = { ingress: types.includes("Ingress"), egress: types.includes("Egress") };
  const rules = (dir: Direction): AllowRule[] => {
    if (!isolates[dir]) return [];
    const list = Array.isArray(spec[dir]) ? (spec[dir] as unknown[]) : [];
    const out: AllowRule[] = [];
    list.forEach((r, i) => {
      try {
        out.push(...compileKnpRule(r, `spec.${dir}[${i}]`, dir, p.namespace));
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      }
    });
    return out;
  };
  const allow = { ingress: rules("ingress"), egress: rules("egress") };
  return {
    blocks: [
      {
        policy: { kind: p.kind, namespace: p.namespace, name: p.name },
        source: p,
        prefix: "spec.",
        subject,
        nodeSelector: false,
        selects: (labels, kind) => kind === "pod" && selectorMatches(subject, labels),
        allow,
        deny: { ingress: [], egress: [] },
        hasRules: isolates,
        defaultDeny: isolates,
        isKnp: true,
      },
    ],
    problems,
  };
}

function compileKnpRule(raw: unknown, path: string, dir: Direction, namespace: string): AllowRule[] {
  const r = isObj(raw) ? raw : {};
  const ports = compileKnpPorts(r.ports, path);
  const peersRaw = r[dir === "ingress" ? "from" : "to"];
  const field = dir === "ingress" ? "from" : "to";
  if (!Array.isArray(peersRaw) || peersRaw.length === 0) {
    return [{ path, peers: null, ports, icmps: null, raw }];
  }
  return peersRaw.map((peer, j) => ({ path: `${path}.${field}[${j}]`, peers: [knpPeer(peer, `${path}.${field}[${j}]`, namespace)], ports, icmps: null, raw }));
}

function knpPeer(raw: unknown, path: string, namespace: string): PeerMatcher {
  if (!isObj(raw)) throw new Error(`${path} must be an object`);
  if (raw.ipBlock !== undefined) {
    const b = isObj(raw.ipBlock) ? raw.ipBlock : {};
    const m = cidrPeer([{ cidr: b.cidr, except: b.except ?? [] }], "ipBlock", true);
    if (typeof m === "string") throw new Error(`${path}.ipBlock: ${m}`);
    return m;
  }
  const pod = raw.podSelector === undefined || raw.podSelector === null ? undefined : compileSelector(raw.podSelector, "k8s");
  const ns = raw.namespaceSelector === undefined || raw.namespaceSelector === null ? undefined : compileSelector(raw.namespaceSelector, "k8s");
  if (typeof pod === "string") throw new Error(`${path}.podSelector: ${pod}`);
  if (typeof ns === "string") throw new Error(`${path}.namespaceSelector: ${ns}`);
  if (!pod && !ns) throw new Error(`${path}: a peer needs podSelector, namespaceSelector or ipBlock`);
  const reqs: Requirement[] = [...(pod?.requirements ?? [])];
  if (ns) {
    // Namespace labels appear on pod identities as io.cilium.k8s.namespace.labels.<key>.
    for (const r of ns.requirements) reqs.push({ ...r, source: "k8s", key: NAMESPACE_LABELS_PREFIX + r.key });
    if (ns.requirements.length === 0) reqs.push({ source: "k8s", key: POD_NAMESPACE, op: "Exists", values: [] });
  } else {
    reqs.push({ source: "k8s", key: POD_NAMESPACE, op: "In", values: [namespace] });
  }
  const sel: Selector = { requirements: reqs };
  const podText = pod ? (pod.requirements.length ? describeSelector(pod) : "all pods") : "all pods";
  const nsText = ns ? (ns.requirements.length ? `namespaces with ${describeSelector(ns)}` : "any namespace") : `namespace ${namespace}`;
  const describe = `${podText} in ${nsText}`;
  return {
    field: "from",
    describe,
    all: false,
    matches: (p) => selectorMatches(sel, p.labels),
    whyNot: (p) => {
      if (p.kind !== "pod") return `${peerName(p)} is not a pod; the peer selects ${describe}`;
      if (pod && !selectorMatches({ requirements: [...pod.requirements] }, p.labels)) return `${peerName(p)} does not match podSelector ${describeSelector(pod)}`;
      const peerNs = p.labels.get("k8s", POD_NAMESPACE) ?? "?";
      return `${peerName(p)} is in namespace ${peerNs}, not in ${nsText}`;
    },
  };
}

function compileKnpPorts(raw: unknown, path: string): PortEntry[] | null {
  if (!Array.isArray(raw) || raw.length === 0) return null;
  return raw.map((pp, k) => {
    const o = isObj(pp) ? pp : {};
    const protocol = String(o.protocol ?? "TCP").toUpperCase() as PortEntry["protocol"];
    const portText = o.port === undefined || o.port === null ? "0" : String(o.port);
    const numeric = /^\d+$/.test(portText);
    const port = numeric ? Number(portText) : 0;
    const endPort = typeof o.endPort === "number" && o.endPort >= port ? o.endPort : port;
    const named = numeric ? undefined : portText.slice(0, 63);
    const text = named !== undefined ? `${named}/${protocol}` : port === 0 ? `any port/${protocol}` : endPort !== port ? `${port}-${endPort}/${protocol}` : `${port}/${protocol}`;
    return { path: `${path}.ports[${k}]`, port, endPort, protocol, ...(named !== undefined ? { named } : {}), l7: null, text };
  });
}
