// CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy → RuleBlocks (policy-semantics.md §2-§9).
// Validation follows E-val: Cilium rejects a whole policy when one of its rules fails
// sanitisation, so such a policy becomes a problem and contributes nothing.

import { compileSelector, mentions, POD_NAMESPACE, type Selector, selectorMatches } from "./labels";
import { compileL7 } from "./l7";
import type { AllowRule, IcmpEntry, PeerMatcher, PortEntry, RuleBlock } from "./model";
import { type CidrGroup, cidrPeer, endpointPeer, entityPeer, fqdnPeer, nodePeer, type Scope, servicePeer, unsupportedPeer } from "./peers";
import type { ClusterSettings, Direction, PolicyObject } from "./types";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

class RuleError extends Error {}

export function compileCiliumPolicy(p: PolicyObject, settings: ClusterSettings, groups: ReadonlyMap<string, CidrGroup> = new Map()): { blocks: RuleBlock[]; problems: string[] } {
  const specs: { prefix: string; spec: unknown }[] = [];
  if (p.object.spec !== undefined && p.object.spec !== null) specs.push({ prefix: "", spec: p.object.spec });
  if (Array.isArray(p.object.specs)) p.object.specs.forEach((s, i) => specs.push({ prefix: `specs[${i}].`, spec: s }));
  const blocks: RuleBlock[] = [];
  const warnings: string[] = [];
  try {
    for (const { prefix, spec } of specs) blocks.push(compileSpec(p, prefix, spec, settings, warnings, groups));
  } catch (e) {
    if (e instanceof RuleError) return { blocks: [], problems: [`${e.message} — Cilium rejects the whole policy, so it is ignored`] };
    throw e;
  }
  if (specs.length === 0) return { blocks: [], problems: ["no spec or specs"] };
  return { blocks, problems: warnings };
}

function compileSpec(p: PolicyObject, prefix: string, raw: unknown, settings: ClusterSettings, warnings: string[], groups: ReadonlyMap<string, CidrGroup>): RuleBlock {
  const where = prefix === "" ? "spec" : prefix.slice(0, -1);
  if (!isObj(raw)) throw new RuleError(`${where} must be an object`);
  const clusterwide = p.kind === "CiliumClusterwideNetworkPolicy";
  const hasEp = raw.endpointSelector !== undefined && raw.endpointSelector !== null;
  const hasNode = raw.nodeSelector !== undefined && raw.nodeSelector !== null;
  if (hasEp === hasNode) throw new RuleError(`${where}: exactly one of endpointSelector and nodeSelector is required`);
  if (hasNode && !clusterwide) throw new RuleError(`${where}: nodeSelector is only allowed in a CiliumClusterwideNetworkPolicy`);
  const subjectRaw = compileSelector(hasEp ? raw.endpointSelector : raw.nodeSelector);
  if (typeof subjectRaw === "string") throw new RuleError(`${where}.${hasEp ? "endpointSelector" : "nodeSelector"}: ${subjectRaw}`);
  const subject: Selector = clusterwide
    ? subjectRaw
    : {
        // A CNP only ever selects pods of its own namespace; a namespace key the user wrote is overridden.
        requirements: [...subjectRaw.requirements.filter((r) => r.key !== POD_NAMESPACE), { source: "k8s", key: POD_NAMESPACE, op: "In", values: [p.namespace] }],
      };
  const selectsHost = hasNode || mentions(subjectRaw, (r) => r.source === "reserved" && r.key === "host" && r.op === "In");
  const scope: Scope = clusterwide ? { kind: "cluster" } : { kind: "namespace", namespace: p.namespace };
  const ctx: RuleContext = { scope, groups, settings };
  const section = (name: "ingress" | "ingressDeny" | "egress" | "egressDeny"): AllowRule[] => {
    const list = raw[name];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new RuleError(`${prefix}${name} must be a list`);
    const dir: Direction = name.startsWith("ingress") ? "ingress" : "egress";
    return list.map((r, i) => compileRule(r, `${prefix}${name}[${i}]`, dir, name.endsWith("Deny"), ctx, hasNode, warnings));
  };
  const allow = { ingress: section("ingress"), egress: section("egress") };
  const deny = { ingress: section("ingressDeny"), egress: section("egressDeny") };
  const hasRules = { ingress: allow.ingress.length + deny.ingress.length > 0, egress: allow.egress.length + deny.egress.length > 0 };
  if (!hasRules.ingress && !hasRules.egress) throw new RuleError(`${where}: a rule must have at least one of ingress, ingressDeny, egress, egressDeny`);
  const dd = isObj(raw.enableDefaultDeny) ? raw.enableDefaultDeny : {};
  const honour = settings["enable-non-default-deny-policies"];
  const defaultDeny = { ingress: !honour || dd.ingress !== false, egress: !honour || dd.egress !== false };
  if (!honour && (dd.ingress === false || dd.egress === false)) {
    warnings.push(`${where}.enableDefaultDeny is ignored: enable-non-default-deny-policies is false`);
  }
  return {
    policy: { kind: p.kind, namespace: p.namespace, name: p.name },
    source: p,
    prefix,
    subject,
    nodeSelector: hasNode,
    selects: (labels, kind) => (kind === "host" ? selectsHost : !hasNode) && selectorMatches(subject, labels),
    allow,
    deny,
    hasRules,
    defaultDeny,
    isKnp: false,
  };
}

const L3_FIELDS: Record<Direction, readonly string[]> = {
  ingress: ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups"],
  egress: ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toNodes", "toGroups", "toServices", "toFQDNs"],
};

/** What peer fields need besides the rule: the policy's scope, the set's CIDR groups, the agent settings. */
interface RuleContext {
  readonly scope: Scope;
  readonly groups: ReadonlyMap<string, CidrGroup>;
  readonly settings: ClusterSettings;
}

function compileRule(raw: unknown, path: string, dir: Direction, isDeny: boolean, ctx: RuleContext, hostPolicy: boolean, warnings: string[]): AllowRule {
  if (!isObj(raw)) throw new RuleError(`${path} must be an object`);
  const present = L3_FIELDS[dir].filter((f) => raw[f] !== undefined && raw[f] !== null);
  const nonEmpty = present.filter((f) => !Array.isArray(raw[f]) || (raw[f] as unknown[]).length > 0);
  if (nonEmpty.length > 1) throw new RuleError(`${path}: combining ${nonEmpty[0]} and ${nonEmpty[1]} is not supported`);
  if (isDeny && present.includes("toFQDNs")) throw new RuleError(`${path}: toFQDNs is not supported in deny rules`);
  let peers: PeerMatcher[] | null = null;
  const field = present[0];
  if (field !== undefined) {
    const value = raw[field];
    // An empty, non-nil peer list selects nothing (E-ing); a missing one means any peer.
    if (Array.isArray(value) && value.length === 0) peers = [];
    else peers = [compilePeerField(field, value, path, ctx)];
  }
  if (raw.fromRequires !== undefined || raw.toRequires !== undefined) warnings.push(`${path}: fromRequires/toRequires are deprecated and not evaluated`);
  const ports = raw.toPorts === undefined || raw.toPorts === null ? null : compilePorts(raw.toPorts, `${path}.toPorts`, dir, isDeny, hostPolicy);
  const icmps = raw.icmps === undefined || raw.icmps === null ? null : compileIcmps(raw.icmps, path);
  if (ports && icmps) throw new RuleError(`${path}: icmps cannot be combined with toPorts in one rule`);
  // An empty rule (`{}`) selects no peer and no port: it allows nothing but still isolates (§8).
  if (peers === null && ports === null && icmps === null) peers = [];
  return { path, peers, ports, icmps, raw };
}

function compilePeerField(field: string, value: unknown, path: string, ctx: RuleContext): PeerMatcher {
  const scope = ctx.scope;
  const fail = (m: string): never => {
    throw new RuleError(`${path}.${field}: ${m}`);
  };
  const orFail = (m: PeerMatcher | string): PeerMatcher => (typeof m === "string" ? fail(m) : m);
  switch (field) {
    case "fromEndpoints":
    case "toEndpoints": {
      if (!Array.isArray(value)) return fail("must be a list of label selectors");
      const ms = value.map((s) => orFail(endpointPeer(s, field, scope)));
      return ms.length === 1 ? ms[0]! : anyOf(field, ms);
    }
    case "fromEntities":
    case "toEntities":
      return orFail(entityPeer(value, field));
    case "fromCIDR":
    case "toCIDR":
      return orFail(cidrPeer(value, field, false));
    case "fromCIDRSet":
    case "toCIDRSet":
      return orFail(cidrPeer(value, field, true, ctx.groups));
    case "toFQDNs":
      return orFail(fqdnPeer(value));
    case "toServices":
      return orFail(servicePeer(value, scope));
    case "fromNodes":
    case "toNodes":
      // Cilium's validation: node selectors need node labels in identities (E-val).
      if (!ctx.settings["enable-node-selector-labels"]) return fail("needs enable-node-selector-labels=true (node labels are not in identities otherwise)");
      return orFail(nodePeer(value, field));
    default:
      return unsupportedPeer(field, "cloud provider groups resolve to CIDRs outside the explainer's view");
  }
}

function anyOf(field: string, ms: PeerMatcher[]): PeerMatcher {
  return {
    field,
    describe: ms.map((m) => m.describe).join(" or "),
    all: ms.some((m) => m.all),
    matches: (p) => ms.some((m) => m.matches(p)),
    // The first selector's reason is the readable one; the rest would only repeat the pattern.
    whyNot: (p) => `${ms[0]!.whyNot(p)}${ms.length > 1 ? ` (nor any of the other ${ms.length - 1} selectors)` : ""}`,
  };
}

const PROTOCOLS = new Set(["TCP", "UDP", "SCTP", "ANY", ""]);

function compilePorts(raw: unknown, path: string, dir: Direction, isDeny: boolean, hostPolicy: boolean): PortEntry[] {
  if (!Array.isArray(raw)) throw new RuleError(`${path} must be a list`);
  const out: PortEntry[] = [];
  raw.forEach((pr, j) => {
    const prPath = `${path}[${j}]`;
    if (!isObj(pr)) throw new RuleError(`${prPath} must be an object`);
    const l7Problems: string[] = [];
    const l7 = isDeny ? null : compileL7(pr.rules, `${prPath}.rules`, l7Problems);
    if (l7Problems.length) throw new RuleError(l7Problems[0]!);
    if (l7 && hostPolicy) throw new RuleError(`${prPath}: L7 rules are not supported in host policies`);
    if (l7?.dns && dir === "ingress") throw new RuleError(`${prPath}: DNS rules are only allowed on egress`);
    const ports = Array.isArray(pr.ports) && pr.ports.length > 0 ? pr.ports : [{}];
    for (const [k, pp] of ports.entries()) {
      const o = isObj(pp) ? pp : {};
      const protocol = String(o.protocol ?? "ANY").toUpperCase();
      if (!PROTOCOLS.has(protocol)) throw new RuleError(`${prPath}.ports[${k}]: protocol ${protocol.slice(0, 20)} is not TCP, UDP, SCTP or ANY`);
      const proto = (protocol === "" ? "ANY" : protocol) as PortEntry["protocol"];
      const portText = o.port === undefined || o.port === null ? "0" : String(o.port);
      let port = 0;
      let named: string | undefined;
      if (/^\d+$/.test(portText)) {
        port = Number(portText);
        if (port > 65535) throw new RuleError(`${prPath}.ports[${k}]: port ${port} is out of range`);
      } else named = portText.slice(0, 63);
      const endPort = o.endPort === undefined || o.endPort === null ? port : Number(o.endPort);
      if (!Number.isInteger(endPort) || (o.endPort !== undefined && o.endPort !== null && (endPort < port || named !== undefined))) {
        throw new RuleError(`${prPath}.ports[${k}]: endPort must be a number not below port`);
      }
      if (l7 && endPort !== port) throw new RuleError(`${prPath}: L7 rules cannot be used with port ranges`);
      if (l7 && port === 0 && named === undefined) throw new RuleError(`${prPath}: L7 rules need a specific port (not 0)`);
      if (l7 && (l7.http || l7.kafka) && proto !== "TCP" && proto !== "ANY") throw new RuleError(`${prPath}: HTTP/Kafka rules are only allowed on TCP ports`);
      const text = named !== undefined ? `${named}/${proto}` : port === 0 ? `any port/${proto}` : endPort !== port ? `${port}-${endPort}/${proto}` : `${port}/${proto}`;
      out.push({ path: prPath, port, endPort, protocol: proto, ...(named !== undefined ? { named } : {}), l7, text });
    }
  });
  return out;
}

const ICMP_NAMES: Record<string, number> = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  Redirect: 5,
  EchoRequest: 8,
  RouterAdvertisement: 9,
  RouterSelection: 10,
  TimeExceeded: 11,
  ParameterProblem: 12,
  Timestamp: 13,
  TimestampReply: 14,
  EchoRequestV6: 128,
  EchoReplyV6: 129,
};

function compileIcmps(raw: unknown, path: string): IcmpEntry[] {
  if (!Array.isArray(raw)) throw new RuleError(`${path}.icmps must be a list`);
  const out: IcmpEntry[] = [];
  for (const r of raw) {
    const fields = isObj(r) && Array.isArray(r.fields) ? r.fields : [];
    for (const f of fields) {
      if (!isObj(f)) continue;
      const family = f.family === "IPv6" ? "IPv6" : "IPv4";
      const t = typeof f.type === "number" ? f.type : typeof f.type === "string" ? (/^\d+$/.test(f.type) ? Number(f.type) : ICMP_NAMES[f.type]) : undefined;
      if (t === undefined) throw new RuleError(`${path}.icmps: unknown ICMP type ${String(f.type).slice(0, 30)}`);
      out.push({ family, type: family === "IPv6" && f.type === "EchoRequest" ? 128 : family === "IPv6" && f.type === "EchoReply" ? 129 : t });
    }
  }
  return out;
}
