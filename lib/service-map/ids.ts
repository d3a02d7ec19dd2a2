// Node and edge ids of the service map, derived from a flow row alone (no model state), so the
// table can be filtered to a map selection with `rowMatchesNode` / `rowMatchesEdge`.
//
// Ids are URL-safe-ish: every part taken from the flow is kept when it only holds [A-Za-z0-9._~-]
// (true for Kubernetes names and FQDNs) and percent-encoded otherwise, so `/`, `|` and `:` only ever
// appear as separators; parts longer than MAX_ID_PART are cut and suffixed with a hash of the whole.
//
//   wl:<ns>/<workload>      workload (grouping "workload")
//   app:<ns>/<app>          app label (grouping "app", or the workload grouping's fallback)
//   id:<identity>           security identity (grouping "identity", or the fallback)
//   world:<fqdn>            the world entity for one DNS name; `entity:world` when none is known
//   entity:<kind>           host, remote-node, kube-apiserver, health, init, ingress, unmanaged
//   entity:unknown          an endpoint with no identity at all
//
// Edge id: `<source id>|<target id>|<port>/<protocol>`, oriented as the connection was opened:
// a reply (isReply === true) is swapped back, so it counts for the request's edge.

import type { FlowEndpointView, FlowRow } from "../flow-model";
import type { Grouping } from "../view-state";

export const MAX_ID_PART = 120;
/** Port part of the edge that folds ports beyond the per-pair maximum. */
export const FOLDED_PORT = "*";

const SAFE_PART = /^[A-Za-z0-9._~-]*$/;
const APP_LABEL = "k8s:app=";
const APP_NAME_LABEL = "k8s:app.kubernetes.io/name=";

export function idPart(text: string): string {
  const safe = SAFE_PART.test(text) ? text : encodeURIComponent(text);
  if (safe.length <= MAX_ID_PART) return safe;
  return `${safe.slice(0, MAX_ID_PART - 9)}~${fnv1a(text)}`;
}

const NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace=";

/**
 * The endpoint's namespace; for endpoints Hubble only knows by identity (often on other nodes)
 * it comes from the identity's namespace label.
 */
export function namespaceOf(ep: FlowEndpointView): string {
  if (ep.namespace) return ep.namespace;
  for (const l of ep.labels) if (l.startsWith(NAMESPACE_LABEL)) return l.slice(NAMESPACE_LABEL.length);
  return "";
}

/** The app label (`app`, else `app.kubernetes.io/name`), "" when there is none. */
export function appLabelOf(labels: readonly string[]): string {
  let name = "";
  for (const l of labels) {
    if (l.startsWith(APP_LABEL)) return l.slice(APP_LABEL.length);
    if (!name && l.startsWith(APP_NAME_LABEL)) name = l.slice(APP_NAME_LABEL.length);
  }
  return name;
}

/** The name a world endpoint is known by: the smallest of its DNS names, normalised; "" if none. */
export function worldNameOf(ep: FlowEndpointView): string {
  let best = "";
  for (const n of ep.names) {
    const name = normaliseDnsName(n);
    if (name && (!best || name < best)) best = name;
  }
  return best;
}

export function normaliseDnsName(name: string): string {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  return trimmed.toLowerCase();
}

// Pods that a controller made are named after it, with a suffix from Kubernetes' "safe" alphabet
// (k8s.io/apimachinery rand.SafeEncodeString: no vowels, no 0, 1, 3): `<replicaset>-<5>` for
// ReplicaSets, DaemonSets and Jobs, where a Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`
// (6–10 of the same characters); `<statefulset>-<ordinal>` for StatefulSets.
const POD_SUFFIX = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{5}$/;
const TEMPLATE_HASH = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/;
const ORDINAL = /^(.+)-(0|[1-9]\d{0,3})$/;

/**
 * The workload a pod belongs to, from its name alone (for flows that do not carry `workloads`,
 * e.g. from Cilium before 1.12, or field-masked exports): `kube-dns-b4f5c58c7-vnx5s` → `kube-dns`,
 * `node-local-dns-88zrp` → `node-local-dns`, `db-0` → `db`, a bare pod `xwing` → `xwing`.
 */
export function workloadFromPodName(pod: string): string {
  const owned = POD_SUFFIX.exec(pod);
  if (owned) return TEMPLATE_HASH.exec(owned[1])?.[1] ?? owned[1];
  return ORDINAL.exec(pod)?.[1] ?? pod;
}

/** The endpoint's workload: Hubble's `workloads`, else the one its pod's name tells; "" for neither. */
export function workloadOf(ep: FlowEndpointView): string {
  return ep.workload || (ep.pod ? workloadFromPodName(ep.pod) : "");
}

/**
 * A node's id. Every grouping falls back to the next thing that names the endpoint, the way the
 * table names it (namespace/pod): workload → app label → the workload its pod's name tells →
 * identity; app label → workload → pod's workload → identity; identity.
 */
export function nodeIdOf(ep: FlowEndpointView, grouping: Grouping): string {
  if (ep.entity !== undefined) {
    if (ep.entity === "world") {
      const name = worldNameOf(ep);
      return name ? `world:${idPart(name)}` : "entity:world";
    }
    return `entity:${ep.entity}`;
  }
  if (grouping === "workload" && ep.workload) return `wl:${idPart(namespaceOf(ep))}/${idPart(ep.workload)}`;
  if (grouping !== "identity") {
    const app = appLabelOf(ep.labels);
    if (app) return `app:${idPart(namespaceOf(ep))}/${idPart(app)}`;
    const workload = workloadOf(ep);
    if (workload) return `wl:${idPart(namespaceOf(ep))}/${idPart(workload)}`;
  }
  if (ep.identity > 0) return `id:${ep.identity}`;
  return "entity:unknown";
}

/** Source and destination as the connection was opened: replies are swapped back. */
export function orientedEndpoints(row: FlowRow): { from: FlowEndpointView; to: FlowEndpointView } {
  return row.isReply === true ? { from: row.destination, to: row.source } : { from: row.source, to: row.destination };
}

export function portPart(port: number | undefined): string {
  return port === undefined || port === 0 ? "-" : String(port);
}

export function edgeId(source: string, target: string, port: string, protocol: string): string {
  return `${source}|${target}|${port}/${idPart(protocol)}`;
}

export function edgeIdOf(row: FlowRow, grouping: Grouping): string {
  const { from, to } = orientedEndpoints(row);
  return edgeId(nodeIdOf(from, grouping), nodeIdOf(to, grouping), portPart(to.port), row.l4Protocol);
}

export function rowMatchesNode(row: FlowRow, nodeId: string, grouping: Grouping): boolean {
  return nodeIdOf(row.source, grouping) === nodeId || nodeIdOf(row.destination, grouping) === nodeId;
}

/**
 * Whether the row is counted for the edge. The folded edge (port `*`) matches every row of its
 * node pair and protocol, including the ports that have an edge of their own.
 */
export function rowMatchesEdge(row: FlowRow, id: string, grouping: Grouping): boolean {
  const parts = id.split("|");
  if (parts.length !== 3) return false;
  const { from, to } = orientedEndpoints(row);
  if (nodeIdOf(from, grouping) !== parts[0] || nodeIdOf(to, grouping) !== parts[1]) return false;
  const slash = parts[2].indexOf("/");
  const port = parts[2].slice(0, slash);
  const proto = parts[2].slice(slash + 1);
  if (idPart(row.l4Protocol) !== proto) return false;
  return port === FOLDED_PORT || port === portPart(to.port);
}

/** A reusable predicate for filtering many rows to a node or edge selection. */
export function selectionMatcher(selection: { readonly nodeId?: string; readonly edgeId?: string }, grouping: Grouping): ((row: FlowRow) => boolean) | undefined {
  const { edgeId: e, nodeId: n } = selection;
  if (e) return (row) => rowMatchesEdge(row, e, grouping);
  if (n) return (row) => rowMatchesNode(row, n, grouping);
  return undefined;
}

export function isKubeDns(ep: FlowEndpointView): boolean {
  if (namespaceOf(ep) !== "kube-system") return false;
  if (ep.workload === "coredns" || ep.workload === "kube-dns") return true;
  for (const l of ep.labels) if (l === "k8s:k8s-app=kube-dns" || l === "k8s:k8s-app=coredns") return true;
  return false;
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * A node id as people read it, for the filter bar's selection chip: `wl:shop/cart` → `shop/cart`,
 * `id:4242` → `identity 4242`, `world:api.stripe.com` → `api.stripe.com`, `entity:host` → `host`.
 * Parts are decoded for display only (the result is text, never markup).
 */
export function nodeIdText(id: string): string {
  const colon = id.indexOf(":");
  if (colon < 0) return id;
  const kind = id.slice(0, colon);
  const rest = id
    .slice(colon + 1)
    .split("/")
    .map(decodePart)
    .join("/");
  if (kind === "id") return `identity ${rest}`;
  if (kind === "entity" && rest === "world") return "world";
  return rest;
}

/** An edge id as people read it: `shop/frontend → shop/cart 8080/TCP`; the folded port reads "other ports". */
export function edgeIdText(id: string): string {
  const parts = id.split("|");
  if (parts.length !== 3) return id;
  const [port, proto] = parts[2].split("/");
  const where = port === FOLDED_PORT ? "other ports" : port === "-" ? decodePart(proto ?? "") : `${port}/${decodePart(proto ?? "")}`;
  return `${nodeIdText(parts[0])} → ${nodeIdText(parts[1])} ${where}`;
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
