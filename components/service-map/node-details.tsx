"use client";

import { NODE_H, NODE_W } from "@/lib/service-map/layout";
import type { NodeLock } from "@/lib/service-map/policy-annotations";
import type { ServiceMapNode } from "@/lib/service-map/types";
import { clip, formatPercent } from "./format";

const MAX_LINES = 8;
const WIDTH = 300;
const LINE = 14;

/**
 * The card under a hovered or selected node: its HTTP endpoints (method + grouped path) and the
 * DNS names queried from it, and the directions in default deny with the policies that isolate
 * it, bounded. Drawn in the overlay layer, above edges and other nodes.
 */
export function NodeDetails({ node, at, lock }: { node: ServiceMapNode; at: { x: number; y: number }; lock?: NodeLock }) {
  const lines: { key: string; left: string; right: string; heading?: boolean; bad?: boolean }[] = [];
  if (lock) {
    lines.push({ key: "l", left: "Default deny", right: "isolated by", heading: true });
    for (const d of ["ingress", "egress"] as const) {
      const list = d === "ingress" ? lock.ingress : lock.egress;
      if (list.length === 0) continue;
      for (const [i, p] of list.slice(0, 4).entries()) {
        lines.push({
          key: `l${d}${i}`,
          left: i === 0 ? `${d} locked` : "",
          right: clip(`${p.kind === "NetworkPolicy" ? "KNP" : p.kind === "CiliumNetworkPolicy" ? "CNP" : "CCNP"} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`, 30),
          bad: true,
        });
      }
      if (list.length > 4) lines.push({ key: `l${d}m`, left: "", right: `… ${list.length - 4} more` });
    }
  }
  if (node.httpEndpoints.length > 0) {
    lines.push({ key: "h", left: "HTTP endpoints", right: "req · 5xx", heading: true });
    for (const e of node.httpEndpoints.slice(0, MAX_LINES)) {
      const err = e.responses > 0 ? formatPercent((e.status5xx / e.responses) * 100) : "–";
      lines.push({ key: `e${lines.length}`, left: clip(`${e.method} ${e.path}`, 36), right: `${e.requests} · ${err}`, bad: e.status5xx > 0 });
    }
    const more = node.httpEndpoints.length - MAX_LINES;
    if (more > 0 || node.httpEndpointsOverflow > 0) lines.push({ key: "hm", left: `… ${more > 0 ? `${more} more` : "more"} endpoints`, right: "" });
  }
  if (node.dnsNames.length > 0) {
    lines.push({ key: "d", left: "DNS names queried", right: "queries · errors", heading: true });
    for (const d of node.dnsNames.slice(0, MAX_LINES)) {
      lines.push({ key: `n${lines.length}`, left: clip(d.name, 36), right: `${d.queries} · ${d.errors}`, bad: d.errors > 0 });
    }
    const more = node.dnsNames.length - MAX_LINES;
    if (more > 0 || node.dnsNamesOverflow > 0) lines.push({ key: "dm", left: `… ${more > 0 ? `${more} more` : "more"} names`, right: "" });
  }
  if (lines.length === 0) return null;
  const height = lines.length * LINE + 10;
  return (
    <g transform={`translate(${at.x - NODE_W / 2},${at.y + NODE_H / 2 + 6})`} className="pointer-events-none select-none">
      <rect width={WIDTH} height={height} rx={6} className="fill-white stroke-slate-300 drop-shadow-sm dark:fill-slate-900 dark:stroke-slate-600" />
      {lines.map((l, i) => (
        <g key={l.key} transform={`translate(0,${i * LINE + 16})`}>
          <text x={8} className={`text-[10.5px] ${l.heading ? "fill-slate-500 font-semibold dark:fill-slate-400" : "fill-slate-800 font-mono dark:fill-slate-100"}`}>
            {l.left}
          </text>
          <text x={WIDTH - 8} textAnchor="end" className={`font-mono text-[10px] ${l.bad ? "fill-red-600 dark:fill-red-400" : "fill-slate-500 dark:fill-slate-400"}`}>
            {l.right}
          </text>
        </g>
      ))}
    </g>
  );
}
