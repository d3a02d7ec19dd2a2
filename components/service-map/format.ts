// Text for the map's labels and accessible names. Values from flows are only ever clipped here,
// never interpreted; the components render the result as text.

import { WORLD_GROUP } from "@/lib/service-map/collapse";
import { edgeFlowsPerSecond } from "@/lib/service-map/aggregate-snapshot";
import { type EdgeHealth, edgeHealth, edgeHealthText, formatShare } from "@/lib/service-map/edge-health";
import { edgeSecurityText } from "@/lib/service-map/edge-security";
import type { ServiceMapEdge, ServiceMapNode } from "@/lib/service-map/types";

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 10) return `${perSecond.toFixed(1)}/s`;
  if (perSecond >= 0.01) return `${perSecond.toFixed(2)}/s`;
  return "<0.01/s";
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "–";
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)}s`;
  if (ms >= 10) return `${Math.round(ms)}ms`;
  return `${ms.toFixed(1)}ms`;
}

export function formatPercent(p: number): string {
  if (p === 0) return "0%";
  if (p < 0.1) return "<0.1%";
  return p < 10 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

export function portLabel(edge: ServiceMapEdge): string {
  if (edge.folded && edge.id.endsWith("|*") && (edge.source.startsWith("ns:") || edge.target.startsWith("ns:"))) return `all ports${edge.protocol ? `/${edge.protocol}` : ""}`;
  if (edge.folded) return `other ports/${edge.protocol || "?"}`;
  return edge.port === undefined ? edge.protocol || "?" : `${edge.port}/${edge.protocol || "?"}`;
}

/** The edge label: rate, and for HTTP the error share and latency percentiles. */
export function edgeLabelParts(edge: ServiceMapEdge, windowMs: number): string[] {
  const parts = [portLabel(edge), formatRate(edgeFlowsPerSecond(edge, windowMs))];
  const h = edge.http;
  if (h && h.errorPercent !== undefined) parts.push(`${formatPercent(h.errorPercent)} 5xx`);
  if (h && h.p50Ms !== undefined) parts.push(`p50 ${formatMs(h.p50Ms)} · p95 ${formatMs(h.p95Ms)}`);
  if (edge.verdicts.dropped > 0) parts.push(`${edge.verdicts.dropped.toLocaleString("en-US")} dropped (${formatShare(edge.verdicts.dropped / edge.flows)})`);
  return parts;
}

const KIND_TEXT: Record<ServiceMapNode["kind"], string> = {
  workload: "workload",
  app: "app",
  identity: "identity",
  world: "outside the cluster",
  entity: "cluster entity",
  unknown: "unknown endpoint",
  namespace: "collapsed namespace",
};

export function nodeSubtitle(node: ServiceMapNode): string {
  if (node.kind === "world") return node.id === "entity:world" ? "outside the cluster" : "world · FQDN";
  if (node.kind === "entity") return "reserved entity";
  if (node.kind === "namespace") return "namespace · click to expand";
  const ns = node.namespace || "cluster-wide";
  if (node.kind === "identity") return `${ns} · #${node.identities[0] ?? "?"}`;
  return node.workloadKind ? `${ns} · ${node.workloadKind}` : ns;
}

export function nodeAriaLabel(node: ServiceMapNode): string {
  const where = node.namespace ? ` in namespace ${node.namespace}` : "";
  const dns = node.kubeDns ? ", cluster DNS" : "";
  return `${node.label}, ${KIND_TEXT[node.kind]}${where}${dns}: ${node.flowsIn} flows in, ${node.flowsOut} out`;
}

/** Counts rather than rates, so the name does not change with every snapshot's window. */
export function edgeAriaLabel(edge: ServiceMapEdge, source: string, target: string, health: EdgeHealth = edgeHealth(edge)): string {
  const parts = [`${source} to ${target}`, portLabel(edge), `${edge.flows.toLocaleString("en-US")} flows`, edgeHealthText(edge, health)];
  const h = edge.http;
  if (h && h.p50Ms !== undefined) parts.push(`p50 ${formatMs(h.p50Ms)}, p95 ${formatMs(h.p95Ms)}`);
  const security = edgeSecurityText(edge);
  if (security) parts.push(security);
  return parts.join(", ");
}

/** One letter for the node's kind badge. */
export function kindLetter(node: ServiceMapNode): string {
  if (node.kubeDns) return "D";
  switch (node.kind) {
    case "workload":
      return "W";
    case "app":
      return "A";
    case "identity":
      return "#";
    case "namespace":
      return node.namespace === WORLD_GROUP ? "G" : "N";
    case "world":
      return "G";
    case "entity":
      return node.entity === "host" ? "H" : node.entity === "remote-node" ? "R" : node.entity === "kube-apiserver" ? "K" : "E";
    default:
      return "?";
  }
}
