// The service map's per-node and per-edge tallies: their shapes, and how one row's flows are counted into them or taken back.

import type { FlowEndpointView, FlowRow } from "../flow-model";
import type { ServiceMapLimits } from "./aggregate";
import { endpointMethod, endpointPath } from "./http-endpoints";
import { normaliseDnsName } from "./ids";
import { LatencyHistogram } from "./latency";
import type { NodeEndpoint } from "./policy-annotations";
import type { EdgeVerdictMix, ServiceMapEdge, ServiceMapNode, ServiceMapNodeKind } from "./types";

const MAX_DNS_NAME = 253;

const enum V {
  Forwarded,
  Dropped,
  Audit,
  Redirected,
  Error,
  Other,
}

function verdictIndex(verdict: string): V {
  switch (verdict) {
    case "FORWARDED":
      return V.Forwarded;
    case "DROPPED":
      return V.Dropped;
    case "AUDIT":
      return V.Audit;
    case "REDIRECTED":
      return V.Redirected;
    case "ERROR":
      return V.Error;
    default:
      return V.Other;
  }
}

export interface EndpointAcc {
  method: string;
  path: string;
  requests: number;
  responses: number;
  status5xx: number;
}

export interface DnsAcc {
  name: string;
  queries: number;
  responses: number;
  errors: number;
}

export interface NodeAcc {
  readonly id: string;
  readonly kind: ServiceMapNodeKind;
  readonly entity: FlowEndpointView["entity"];
  readonly label: string;
  readonly namespace: string;
  readonly workloadKind: string;
  readonly kubeDns: boolean;
  identities: number[];
  /** One endpoint of the node (labels, namespace), for the policies that select it. */
  readonly endpoint: NodeEndpoint | undefined;
  refs: number;
  flowsIn: number;
  flowsOut: number;
  endpoints: Map<string, EndpointAcc> | undefined;
  endpointsOverflow: number;
  dns: Map<string, DnsAcc> | undefined;
  dnsOverflow: number;
  snap: ServiceMapNode | undefined;
  epoch: number;
}

export interface EdgeAcc {
  readonly id: string;
  readonly pair: string;
  readonly source: string;
  readonly target: string;
  readonly port: number | undefined;
  readonly protocol: string;
  /** The `*` edge of a pair with more ports than `maxPortsPerPair`. */
  readonly folded: boolean;
  flows: number;
  replies: number;
  encrypted: number;
  authenticated: number;
  readonly verdicts: number[];
  http: { requests: number; responses: number; s4xx: number; s5xx: number; latency: LatencyHistogram } | undefined;
  dns: { queries: number; responses: number; errors: number } | undefined;
  lastSeenMs: number;
  snap: ServiceMapEdge | undefined;
  epoch: number;
}

/** Adds (w > 0) or takes back (w < 0) one row's flows on its nodes and edge. */
export function countRow(row: FlowRow, src: NodeAcc, dst: NodeAcc, edge: EdgeAcc, w: number, limits: ServiceMapLimits): void {
  src.refs += w;
  dst.refs += w;
  src.flowsOut = nonNeg(src.flowsOut + w);
  dst.flowsIn = nonNeg(dst.flowsIn + w);
  edge.flows += w;
  if (row.isReply === true) edge.replies = nonNeg(edge.replies + w);
  if (row.encrypted) edge.encrypted = nonNeg(edge.encrypted + w);
  if (isAuthenticated(row)) edge.authenticated = nonNeg(edge.authenticated + w);
  const v = verdictIndex(row.verdict);
  edge.verdicts[v] = nonNeg(edge.verdicts[v] + w);
  countL7(row, edge, dst, w, limits);
}

function countL7(row: FlowRow, edge: EdgeAcc, dst: NodeAcc, delta: number, limits: ServiceMapLimits): void {
  const l7 = row.l7;
  if (!l7) return;
  const isResponse = l7.type === "RESPONSE";
  if (l7.kind === "http") {
    const h = (edge.http ??= { requests: 0, responses: 0, s4xx: 0, s5xx: 0, latency: new LatencyHistogram() });
    const code = l7.httpCode ?? 0;
    const is5xx = isResponse && code >= 500;
    if (isResponse) {
      h.responses = nonNeg(h.responses + delta);
      if (code >= 400 && code < 500) h.s4xx = nonNeg(h.s4xx + delta);
      if (is5xx) h.s5xx = nonNeg(h.s5xx + delta);
      if (l7.latencyNs !== undefined && l7.latencyNs > 0) h.latency.add(l7.latencyNs, delta);
    } else {
      h.requests = nonNeg(h.requests + delta);
    }
    countEndpoint(dst, endpointMethod(l7.httpMethod), endpointPath(l7.httpPath ?? ""), isResponse, is5xx, delta, limits);
  } else if (l7.kind === "dns") {
    const d = (edge.dns ??= { queries: 0, responses: 0, errors: 0 });
    const isError = isResponse && (l7.dnsRcode ?? 0) !== 0;
    if (isResponse) d.responses = nonNeg(d.responses + delta);
    else d.queries = nonNeg(d.queries + delta);
    if (isError) d.errors = nonNeg(d.errors + delta);
    if (l7.dnsQuery) countDnsName(dst, l7.dnsQuery, isResponse, isError, delta, limits);
  }
}

function countEndpoint(node: NodeAcc, method: string, path: string, isResponse: boolean, is5xx: boolean, delta: number, limits: ServiceMapLimits): void {
  const key = `${method} ${path}`;
  const map = (node.endpoints ??= new Map());
  let ep = map.get(key);
  if (!ep) {
    if (delta < 0 || map.size >= limits.maxEndpointsPerNode) {
      if (!isResponse) node.endpointsOverflow = nonNeg(node.endpointsOverflow + delta);
      return;
    }
    ep = { method, path, requests: 0, responses: 0, status5xx: 0 };
    map.set(key, ep);
  }
  if (isResponse) ep.responses = nonNeg(ep.responses + delta);
  else ep.requests = nonNeg(ep.requests + delta);
  if (is5xx) ep.status5xx = nonNeg(ep.status5xx + delta);
  if (ep.requests === 0 && ep.responses === 0) map.delete(key);
}

function countDnsName(node: NodeAcc, query: string, isResponse: boolean, isError: boolean, delta: number, limits: ServiceMapLimits): void {
  const normalised = normaliseDnsName(query);
  const name = normalised.length > MAX_DNS_NAME ? `${normalised.slice(0, MAX_DNS_NAME - 1)}…` : normalised;
  const map = (node.dns ??= new Map());
  let acc = map.get(name);
  if (!acc) {
    if (delta < 0 || map.size >= limits.maxDnsNamesPerNode) {
      if (!isResponse) node.dnsOverflow = nonNeg(node.dnsOverflow + delta);
      return;
    }
    acc = { name, queries: 0, responses: 0, errors: 0 };
    map.set(name, acc);
  }
  if (isResponse) acc.responses = nonNeg(acc.responses + delta);
  else acc.queries = nonNeg(acc.queries + delta);
  if (isError) acc.errors = nonNeg(acc.errors + delta);
  if (acc.queries === 0 && acc.responses === 0) map.delete(name);
}

/** A policy verdict of a rule that required mutual authentication, which passed (a failed one is a drop). */
export function isAuthenticated(row: FlowRow): boolean {
  return row.authType !== "" && row.verdict !== "DROPPED";
}

/** The verdict an edge is drawn with, and whether it saw more than one kind, from its tally (`EdgeAcc.verdicts`). */
export function verdictMix(v: readonly number[]): EdgeVerdictMix {
  const passed = v[V.Forwarded] + v[V.Redirected];
  const present = [passed, v[V.Dropped], v[V.Audit], v[V.Error]].filter((n) => n > 0).length;
  const dominant: EdgeVerdictMix["dominant"] = v[V.Dropped] > 0 ? "dropped" : v[V.Error] > 0 ? "error" : v[V.Audit] > 0 ? "audit" : passed > 0 ? "forwarded" : "other";
  return { dominant, mixed: present > 1 };
}

export function nonNeg(n: number): number {
  return n < 0 ? 0 : n;
}
