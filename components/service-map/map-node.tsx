"use client";

import { type KeyboardEvent, memo } from "react";
import { WORLD_GROUP } from "@/lib/service-map/collapse";
import { NODE_H, NODE_W } from "@/lib/service-map/layout";
import { type NodeLock, nodeLockText } from "@/lib/service-map/policy-annotations";
import type { ServiceMapNode } from "@/lib/service-map/types";
import { clip, kindLetter, nodeAriaLabel, nodeSubtitle } from "./format";

export type Emphasis = "normal" | "selected" | "related" | "dim";

export interface NodeHandlers {
  readonly onSelect: (id: string) => void;
  readonly onHover: (id: string | undefined) => void;
}

const BADGE: Record<string, string> = {
  workload: "fill-sky-600 dark:fill-sky-500",
  app: "fill-indigo-600 dark:fill-indigo-500",
  identity: "fill-slate-500",
  world: "fill-violet-600 dark:fill-violet-500",
  entity: "fill-slate-600 dark:fill-slate-500",
  unknown: "fill-slate-400",
  dns: "fill-teal-600 dark:fill-teal-500",
  namespace: "fill-slate-700 dark:fill-slate-500",
};

/** Font size of a card's name (map units): the map never fits below NODE_LABEL_MIN_PX / this scale. */
export const NODE_LABEL_FONT = 14;

const CARD: Record<Emphasis, string> = {
  normal: "fill-white stroke-slate-300 dark:fill-slate-900 dark:stroke-slate-600",
  related: "fill-white stroke-slate-400 dark:fill-slate-900 dark:stroke-slate-500",
  selected: "fill-sky-50 stroke-sky-600 dark:fill-sky-950 dark:stroke-sky-400",
  dim: "fill-white stroke-slate-200 dark:fill-slate-900 dark:stroke-slate-800",
};

/** Lines listed under a destination card when the map is zoomed in. */
const INLINE_LINES = 3;

/**
 * One node card. React owns what it shows; d3-drag (attached once to the nodes layer) finds it by
 * `data-node-id`. Memoised: it re-renders only when its node, position or emphasis changes.
 */
export const MapNode = memo(function MapNode({
  node,
  x,
  y,
  pinned,
  emphasis,
  detailed,
  lock,
  members,
  handlers,
}: {
  node: ServiceMapNode;
  x: number;
  y: number;
  pinned: boolean;
  emphasis: Emphasis;
  detailed: boolean;
  /** Set when the node's endpoints are in default deny in some direction. */
  lock?: NodeLock;
  /** For a collapsed namespace: how many nodes it holds (a click or Enter expands it). */
  members?: number;
  handlers: NodeHandlers;
}) {
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      e.stopPropagation();
      handlers.onSelect(node.id);
    }
  };
  const lines = detailed ? inlineLines(node) : [];
  const collapsed = node.kind === "namespace";
  // A collapsed namespace, or the world's nodes (FQDNs, CIDRs, the world) collapsed into one.
  const group = node.namespace === WORLD_GROUP ? "The world outside the cluster" : `Namespace ${node.namespace}`;
  const name = collapsed
    ? `${group}, collapsed: ${members ?? 0} nodes, ${node.flowsIn} flows in, ${node.flowsOut} out; press Enter to expand`
    : lock
      ? `${nodeAriaLabel(node)}; ${lockSummary(lock)}`
      : nodeAriaLabel(node);
  return (
    <g
      data-node-id={node.id}
      data-collapsed-namespace={collapsed ? node.namespace : undefined}
      transform={`translate(${x},${y})`}
      role="button"
      tabIndex={0}
      aria-label={name}
      aria-pressed={collapsed ? undefined : emphasis === "selected"}
      aria-expanded={collapsed ? false : undefined}
      className={`group cursor-pointer outline-none ${emphasis === "dim" ? "opacity-35" : ""}`}
      onClick={(e) => {
        e.stopPropagation();
        handlers.onSelect(node.id);
      }}
      onKeyDown={onKeyDown}
      onPointerEnter={() => handlers.onHover(node.id)}
      onPointerLeave={() => handlers.onHover(undefined)}
      onFocus={() => handlers.onHover(node.id)}
      onBlur={() => handlers.onHover(undefined)}
    >
      <title>{collapsed ? `${group} (${members ?? 0} nodes): click to expand` : `${node.label}${node.namespace ? ` (${node.namespace})` : ""}`}</title>
      {collapsed && (
        <rect x={-NODE_W / 2 + 6} y={-NODE_H / 2 - 6} width={NODE_W} height={NODE_H} rx={8} className="fill-slate-100 stroke-slate-300 dark:fill-slate-800 dark:stroke-slate-600" />
      )}
      <rect
        x={-NODE_W / 2}
        y={-NODE_H / 2}
        width={NODE_W}
        height={NODE_H}
        rx={8}
        strokeWidth={emphasis === "selected" ? 2 : 1}
        className={`${CARD[emphasis]} group-focus-visible:stroke-sky-500 group-focus-visible:[stroke-width:3px]`}
      />
      <circle cx={-NODE_W / 2 + 20} cy={0} r={12} className={BADGE[node.kubeDns ? "dns" : node.kind]} />
      {node.kind === "world" ? (
        <g transform={`translate(${-NODE_W / 2 + 20},0)`} className="pointer-events-none fill-none stroke-white" strokeWidth={1.2}>
          <circle r={6.5} />
          <ellipse rx={3} ry={6.5} />
          <path d="M-6.5,0H6.5" />
        </g>
      ) : (
        <text x={-NODE_W / 2 + 20} y={4} textAnchor="middle" className="pointer-events-none fill-white text-[11px] font-semibold select-none">
          {kindLetter(node)}
        </text>
      )}
      <text data-node-label="" x={-NODE_W / 2 + 40} y={-4} fontSize={NODE_LABEL_FONT} className="pointer-events-none fill-slate-900 font-medium select-none dark:fill-slate-100">
        {clip(node.label, 17)}
      </text>
      <text x={-NODE_W / 2 + 40} y={14} className="pointer-events-none fill-slate-500 text-[11px] select-none dark:fill-slate-400">
        {/* Our own text, a count and a hint: short enough to fit the card whole with a three-digit count
            (clipped like flow text it read "click to expa…"; the card's title says "click to expand"). */}
        {collapsed ? `${members ?? 0} nodes · expand` : clip(nodeSubtitle(node), 24)}
      </text>
      {pinned && (
        <circle cx={NODE_W / 2 - 8} cy={-NODE_H / 2 + 8} r={3} className="fill-sky-600 dark:fill-sky-400">
          <title>Pinned</title>
        </circle>
      )}
      {lock && <LockMarkers lock={lock} />}
      {lines.length > 0 && (
        <g className="pointer-events-none select-none" transform={`translate(${-NODE_W / 2 + 4},${NODE_H / 2 + 13})`}>
          {lines.map((line, i) => (
            <text key={i} y={i * 13} className="fill-slate-600 font-mono text-[10px] dark:fill-slate-300">
              {line}
            </text>
          ))}
        </g>
      )}
    </g>
  );
});

function lockSummary(lock: NodeLock): string {
  const locked = [lock.ingress.length > 0 ? "ingress" : "", lock.egress.length > 0 ? "egress" : ""].filter(Boolean);
  return `default deny: ${locked.join(" and ")}`;
}

/**
 * One small lock per direction in default deny, on the card's top edge (ingress left, egress
 * right of it); its tooltip names the isolating policies.
 */
function LockMarkers({ lock }: { lock: NodeLock }) {
  const marks = (["ingress", "egress"] as const).filter((d) => (d === "ingress" ? lock.ingress : lock.egress).length > 0);
  return (
    <g transform={`translate(${NODE_W / 2 - 18 - (marks.length - 1) * 34},${-NODE_H / 2 - 7})`}>
      {marks.map((d, i) => (
        <g key={d} data-lock={d} transform={`translate(${i * 34 - 14},0)`} className="select-none">
          <title>{nodeLockText(lock, d)}</title>
          <rect x={0} y={0} width={32} height={14} rx={7} className="fill-amber-100 stroke-amber-500 dark:fill-amber-900 dark:stroke-amber-500" strokeWidth={1} />
          <path d="M5,7.5h6v4.5h-6z M6.2,7.5v-1.6a1.8,1.8 0 0 1 3.6,0v1.6" className="fill-none stroke-amber-700 dark:stroke-amber-300" strokeWidth={1.1} />
          <text x={13} y={10.5} className="fill-amber-800 text-[9px] font-semibold dark:fill-amber-200">
            {d === "ingress" ? "in" : "out"}
          </text>
        </g>
      ))}
    </g>
  );
}

function inlineLines(node: ServiceMapNode): string[] {
  const out: string[] = [];
  for (const e of node.httpEndpoints) {
    if (out.length >= INLINE_LINES) break;
    out.push(clip(`${e.method} ${e.path}`, 30));
  }
  for (const d of node.dnsNames) {
    if (out.length >= INLINE_LINES) break;
    out.push(clip(`DNS ${d.name}`, 30));
  }
  const listed = node.httpEndpoints.length + node.dnsNames.length;
  const overflow = node.httpEndpointsOverflow + node.dnsNamesOverflow > 0;
  if (out.length === INLINE_LINES && (listed > INLINE_LINES || overflow)) {
    out[INLINE_LINES - 1] = `+${listed - INLINE_LINES + 1}${overflow ? "+" : ""} more…`;
  }
  return out;
}
