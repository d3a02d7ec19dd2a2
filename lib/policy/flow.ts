// What the explainer needs from one Hubble flow, read defensively: flows are hostile input,
// any field may be missing or of the wrong type, so every read checks its type and every
// string that can end up in a reason is bounded.

import { RESERVED_IDENTITY_NAME } from "@/lib/hubble-names";
import { type Label, LabelSet, NAMESPACE_LABELS_PREFIX, parseLabel, POD_NAMESPACE } from "./labels";
import type { NamespaceLabels, PolicyId, PolicyKind } from "./types";
import { NETWORK_POLICY_KINDS } from "./types";

/** Thrown only when the input is not a JSON object at all or has no flow. */
export class ExplainInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExplainInputError";
  }
}

const MAX = 200;
export function bound(s: string, max = MAX): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

type Obj = Record<string, unknown>;
function obj(v: unknown): Obj | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\d{1,10}$/.test(v)) return Number(v);
  return undefined;
}
function strings(v: unknown, limit = 256): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) {
    if (typeof x === "string") out.push(x.length > 1024 ? x.slice(0, 1024) : x);
    if (out.length >= limit) break;
  }
  return out;
}

export type SideKind = "pod" | "host" | "other";

export interface FlowSide {
  readonly kind: SideKind;
  readonly labels: LabelSet;
  readonly rawLabels: readonly string[];
  /** The flow gave no labels for this pod: label selectors cannot be checked. */
  readonly labelsMissing: boolean;
  /** Identifies the effective label set (raw labels + what was filled in), for caches. */
  readonly cacheKey: string;
  readonly identity: number | undefined;
  readonly namespace: string;
  readonly podName: string;
  readonly ip: string | undefined;
  /** DNS names Hubble knows for this side's IP (destination_names / source_names). */
  readonly names: readonly string[];
  /** Outside the cluster: world or a CIDR/FQDN identity. CIDR rules only match these. */
  readonly external: boolean;
  /** The Kubernetes Service the flow was addressed to on this side (destination_service), for toServices. */
  readonly service: { readonly name: string; readonly namespace: string } | undefined;
}

export type L4 =
  | { readonly proto: "TCP" | "UDP" | "SCTP"; readonly port: number; readonly sourcePort?: number }
  | { readonly proto: "ICMPv4" | "ICMPv6"; readonly type: number }
  | { readonly proto: "other"; readonly name: string }
  | { readonly proto: "none" };

export type L7 =
  | {
      readonly kind: "http";
      readonly method: string;
      readonly path: string;
      readonly host: string;
      readonly headers: readonly { key: string; value: string }[];
      readonly url: string;
      readonly code: number;
    }
  | { readonly kind: "dns"; readonly query: string }
  | { readonly kind: "kafka"; readonly apiKey: string; readonly topic: string }
  | { readonly kind: "other" };

export interface FlowFacts {
  readonly source: FlowSide;
  readonly destination: FlowSide;
  readonly l4: L4;
  readonly l7: L7 | undefined;
  readonly l7Type: "REQUEST" | "RESPONSE" | "SAMPLE" | "UNKNOWN" | undefined;
  readonly verdict: string;
  /** Drop reason name (POLICY_DENIED…) and number, when the flow is a drop. */
  readonly dropReason: { readonly name: string; readonly code: number } | undefined;
  readonly direction: "ingress" | "egress" | undefined;
  readonly isReply: boolean | undefined;
  readonly eventType: number | undefined;
  readonly nodeName: string;
  readonly nodeLabels: readonly string[];
  readonly allowedBy: { readonly ingress: PolicyId[]; readonly egress: PolicyId[] };
  readonly deniedBy: { readonly ingress: PolicyId[]; readonly egress: PolicyId[] };
}

const DROP_NAMES: Record<number, string> = {
  133: "POLICY_DENIED",
  181: "POLICY_DENY",
  189: "AUTH_REQUIRED",
  155: "CT_MAP_INSERTION_FAILED",
  132: "INVALID_SOURCE_IP",
  158: "SERVICE_BACKEND_NOT_FOUND",
  151: "STALE_OR_UNROUTABLE_IP",
  139: "UNSUPPORTED_L3_PROTOCOL",
  169: "FIB_LOOKUP_FAILED",
  171: "INVALID_IDENTITY",
  172: "UNKNOWN_SENDER",
  196: "TTL_EXCEEDED",
  203: "DROP_EP_NOT_READY",
  165: "NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION",
  180: "PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL",
  177: "DENIED_BY_LB_SRC_RANGE_CHECK",
  195: "UNENCRYPTED_TRAFFIC",
  198: "DROP_RATE_LIMITED",
};
const DROP_CODES: Record<string, number> = Object.fromEntries(Object.entries(DROP_NAMES).map(([k, v]) => [v, Number(k)]));

/** Unwraps `{"flow": …}`; throws ExplainInputError when there is no flow object at all. */
export function unwrapFlow(input: unknown): Obj {
  let value = input;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ExplainInputError("the input is not JSON");
    }
  }
  const o = obj(value);
  if (!o) throw new ExplainInputError("the input is not a JSON object");
  if ("flow" in o) {
    const f = obj(o.flow);
    if (!f) throw new ExplainInputError("the input has no flow object");
    return f;
  }
  return o;
}

export function readFlow(flow: Obj, namespaceLabels: NamespaceLabels): FlowFacts {
  const ip = obj(flow.IP) ?? obj(flow.ip);
  const nodeLabels = strings(flow.node_labels ?? flow.nodeLabels, 64);
  const source = readSide(
    obj(flow.source),
    str(ip?.source),
    strings(flow.source_names ?? flow.sourceNames),
    namespaceLabels,
    nodeLabels,
    readService(flow.source_service ?? flow.sourceService),
  );
  const destination = readSide(
    obj(flow.destination),
    str(ip?.destination),
    strings(flow.destination_names ?? flow.destinationNames),
    namespaceLabels,
    nodeLabels,
    readService(flow.destination_service ?? flow.destinationService),
  );
  const verdict = str(flow.verdict) ?? (num(flow.verdict) === 2 ? "DROPPED" : num(flow.verdict) === 1 ? "FORWARDED" : "VERDICT_UNKNOWN");
  const et = obj(flow.event_type) ?? obj(flow.eventType);
  const eventType = num(et?.type);
  const td = flow.traffic_direction ?? flow.trafficDirection;
  const direction = td === "INGRESS" || td === 1 ? "ingress" : td === "EGRESS" || td === 2 ? "egress" : undefined;
  const isReplyRaw = flow.is_reply ?? flow.isReply;
  const isReply = typeof isReplyRaw === "boolean" ? isReplyRaw : undefined;
  const l7o = obj(flow.l7);
  const l7TypeRaw = str(l7o?.type);
  const l7Type = l7TypeRaw === "REQUEST" || l7TypeRaw === "RESPONSE" || l7TypeRaw === "SAMPLE" ? l7TypeRaw : l7o ? "UNKNOWN" : undefined;
  return {
    source,
    destination,
    l4: readL4(obj(flow.l4)),
    l7: l7o ? readL7(l7o) : undefined,
    l7Type,
    verdict,
    dropReason: verdict === "DROPPED" ? readDropReason(flow, eventType, num(et?.sub_type ?? et?.subType)) : undefined,
    direction,
    isReply,
    eventType,
    nodeName: bound(str(flow.node_name) ?? str(flow.nodeName) ?? "", 120),
    nodeLabels,
    allowedBy: { ingress: readPolicies(flow.ingress_allowed_by), egress: readPolicies(flow.egress_allowed_by) },
    deniedBy: { ingress: readPolicies(flow.ingress_denied_by), egress: readPolicies(flow.egress_denied_by) },
  };
}

function readDropReason(flow: Obj, eventType: number | undefined, subType: number | undefined): FlowFacts["dropReason"] {
  const desc = str(flow.drop_reason_desc) ?? str(flow.dropReasonDesc);
  if (desc && desc !== "DROP_REASON_UNKNOWN") return { name: bound(desc, 80), code: DROP_CODES[desc] ?? 0 };
  const code = num(flow.drop_reason) ?? num(flow.dropReason) ?? (eventType === 1 ? subType : undefined);
  if (code === undefined || code === 0) return undefined;
  return { name: DROP_NAMES[code] ?? `drop reason ${code}`, code };
}

function readService(v: unknown): FlowSide["service"] {
  const o = obj(v);
  const name = str(o?.name);
  if (!o || !name) return undefined;
  return { name: bound(name, 253), namespace: bound(str(o.namespace) ?? "", 253) };
}

function readSide(e: Obj | undefined, ip: string | undefined, names: string[], nsLabels: NamespaceLabels, nodeLabels: readonly string[], service: FlowSide["service"]): FlowSide {
  const rawLabels = strings(e?.labels);
  const labels: Label[] = rawLabels.map(parseLabel);
  const identity = num(e?.identity);
  const nsLabel = labels.find((l) => l.source === "k8s" && l.key === POD_NAMESPACE)?.value;
  const namespace = bound(str(e?.namespace) || nsLabel || "", 253);
  const podName = bound(str(e?.pod_name) ?? str(e?.podName) ?? "", 253);
  if (labels.length === 0 && identity !== undefined && RESERVED_IDENTITY_NAME[identity]) {
    labels.push({ source: "reserved", key: RESERVED_IDENTITY_NAME[identity]!, value: "" });
  }
  const has = (src: string, key: string) => labels.some((l) => l.source === src && l.key === key);
  const hasK8s = labels.some((l) => l.source === "k8s");
  const reservedHost = has("reserved", "host") || identity === 1;
  // Remote pods may come without pod_name; their namespace label still makes them pods.
  const podIdentity = identity !== undefined && identity >= 256 && identity < 16777216;
  // Exported flows sometimes keep only namespace and pod_name: still a pod, just without labels.
  const bare = rawLabels.length === 0 && identity === undefined && podName !== "" && namespace !== "";
  const pod = !reservedHost && (nsLabel !== undefined || bare || ((podName !== "" || namespace !== "") && (podIdentity || hasK8s)));
  if (pod && namespace !== "") {
    // Minimal flows (and older agents) may lack the namespace labels policies select on.
    if (!labels.some((l) => l.source === "k8s" && l.key === POD_NAMESPACE)) labels.push({ source: "k8s", key: POD_NAMESPACE, value: namespace });
    if (!labels.some((l) => l.key.startsWith(NAMESPACE_LABELS_PREFIX))) {
      const nl = nsLabels[namespace] ?? { "kubernetes.io/metadata.name": namespace };
      for (const [k, v] of Object.entries(nl)) labels.push({ source: "k8s", key: NAMESPACE_LABELS_PREFIX + k, value: v });
    }
  }
  if (reservedHost) {
    // reserved:host is always the node that observed the flow: its labels are what nodeSelector matches.
    for (const nl of nodeLabels) {
      const eq = nl.indexOf("=");
      labels.push({ source: "node", key: eq < 0 ? nl : nl.slice(0, eq), value: eq < 0 ? "" : nl.slice(eq + 1) });
    }
  }
  const world = labels.some((l) => l.source === "reserved" && (l.key === "world" || l.key === "world-ipv4" || l.key === "world-ipv6"));
  const cidrIdentity = identity !== undefined && identity >= 16777216 && !hasK8s;
  return {
    kind: pod ? "pod" : reservedHost ? "host" : "other",
    labels: new LabelSet(labels),
    rawLabels,
    labelsMissing: pod && rawLabels.length === 0,
    cacheKey: `${namespace}\n${identity ?? ""}\n${rawLabels.join("\n")}${reservedHost ? `\n${nodeLabels.join("\n")}` : ""}`,
    identity,
    namespace,
    podName,
    ip: ip && ip.length <= 64 ? ip : undefined,
    names,
    external: !pod && !reservedHost && (world || cidrIdentity || labels.some((l) => l.source === "cidr" || l.source === "fqdn")),
    // Always present (undefined when none): one object shape for every side keeps the hot paths monomorphic.
    service,
  };
}

function readL4(l4: Obj | undefined): L4 {
  if (!l4) return { proto: "none" };
  for (const proto of ["TCP", "UDP", "SCTP"] as const) {
    const p = obj(l4[proto]);
    if (p) {
      // The source port matters for replies: it is the server's port of the connection.
      const sourcePort = num(p.source_port ?? p.sourcePort);
      const port = num(p.destination_port ?? p.destinationPort) ?? 0;
      return { proto, port, sourcePort };
    }
  }
  for (const proto of ["ICMPv4", "ICMPv6"] as const) {
    const p = obj(l4[proto]);
    if (p) return { proto, type: num(p.type) ?? 0 };
  }
  for (const name of ["VRRP", "IGMP"]) if (obj(l4[name])) return { proto: "other", name };
  return { proto: "none" };
}

function readL7(l7: Obj): L7 | undefined {
  const http = obj(l7.http);
  if (http) {
    const url = str(http.url) ?? "";
    const { host, path } = splitUrl(url);
    const headers: { key: string; value: string }[] = [];
    if (Array.isArray(http.headers)) {
      for (const h of http.headers.slice(0, 100)) {
        const ho = obj(h);
        const key = str(ho?.key);
        if (key !== undefined) headers.push({ key, value: str(ho?.value) ?? "" });
      }
    }
    return { kind: "http", method: str(http.method) ?? "", path, host, headers, url, code: num(http.code) ?? 0 };
  }
  const dns = obj(l7.dns);
  if (dns) return { kind: "dns", query: str(dns.query) ?? "" };
  const kafka = obj(l7.kafka);
  if (kafka) return { kind: "kafka", apiKey: str(kafka.api_key) ?? str(kafka.apiKey) ?? "", topic: str(kafka.topic) ?? "" };
  return { kind: "other" };
}

/** `http://host:80/p?q` → host `host:80`, path `/p?q` (Envoy matches `:path`, query included). */
function splitUrl(url: string): { host: string; path: string } {
  const scheme = url.indexOf("://");
  if (scheme < 0) return { host: "", path: url.startsWith("/") ? url : `/${url}` };
  const rest = url.slice(scheme + 3);
  const slash = rest.indexOf("/");
  return slash < 0 ? { host: rest, path: "/" } : { host: rest.slice(0, slash), path: rest.slice(slash) };
}

function readPolicies(v: unknown): PolicyId[] {
  if (!Array.isArray(v)) return [];
  const out: PolicyId[] = [];
  for (const p of v.slice(0, 32)) {
    const o = obj(p);
    const name = str(o?.name);
    if (!o || !name) continue;
    const namespace = str(o.namespace) ?? "";
    let kind = str(o.kind) as PolicyKind | undefined;
    if (!kind || !(NETWORK_POLICY_KINDS as readonly string[]).includes(kind)) {
      const derived = strings(o.labels).find((l) => l.includes("io.cilium.k8s.policy.derived-from="));
      const d = derived?.slice(derived.indexOf("=") + 1);
      kind = d && (NETWORK_POLICY_KINDS as readonly string[]).includes(d) ? (d as PolicyKind) : namespace === "" ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy";
    }
    out.push({ kind, namespace: bound(namespace, 253), name: bound(name, 253) });
  }
  return out;
}
