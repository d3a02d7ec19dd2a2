// Where edges are drawn: from border to border of the node cards, straight for a lone edge and
// bent into lanes when a pair of nodes has several (other ports, the reverse direction), so they
// never lie on top of each other. Self-edges are loops on the card's right side. Pure.

import { NODE_H, NODE_W } from "./layout";

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface EdgeGeometry {
  /** SVG path data. */
  readonly d: string;
  /** Where a label goes (the middle of the path). */
  readonly label: Point;
}

const LANE = 26;
/** Space left between the arrow tip and the card. */
const TIP_GAP = 3;

/**
 * The bend of each edge in pixels, perpendicular to the line between its nodes: lanes are
 * assigned per unordered node pair, in id order, centred on the straight line. Bends are measured
 * in the orientation from the smaller to the larger node id, so A→B and B→A never share a lane.
 */
export function edgeLanes(edges: readonly { readonly id: string; readonly source: string; readonly target: string }[]): Map<string, number> {
  const groups = new Map<string, string[]>();
  for (const e of edges) {
    const key = e.source < e.target ? `${e.source}|${e.target}` : `${e.target}|${e.source}`;
    const list = groups.get(key);
    if (list) list.push(e.id);
    else groups.set(key, [e.id]);
  }
  const out = new Map<string, number>();
  for (const ids of groups.values()) {
    ids.sort();
    const n = ids.length;
    ids.forEach((id, k) => out.set(id, (k - (n - 1) / 2) * LANE));
  }
  return out;
}

export function edgeGeometry(source: string, target: string, a: Point, b: Point, bend: number): EdgeGeometry {
  if (source === target) return loop(a, bend);
  // Perpendicular of the canonical orientation (smaller id → larger id).
  const [p, q] = source < target ? [a, b] : [b, a];
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const len = Math.hypot(dx, dy) || 1;
  const nx = -dy / len;
  const ny = dx / len;
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  // A quadratic's middle lies halfway to its control point: double the bend.
  const c = { x: mid.x + nx * bend * 2, y: mid.y + ny * bend * 2 };
  const start = borderPoint(a, bend === 0 ? b : c, 0);
  const end = borderPoint(b, bend === 0 ? a : c, TIP_GAP);
  if (bend === 0) return { d: `M${f(start.x)},${f(start.y)}L${f(end.x)},${f(end.y)}`, label: { x: (start.x + end.x) / 2, y: (start.y + end.y) / 2 } };
  return {
    d: `M${f(start.x)},${f(start.y)}Q${f(c.x)},${f(c.y)} ${f(end.x)},${f(end.y)}`,
    label: { x: 0.25 * start.x + 0.5 * c.x + 0.25 * end.x, y: 0.25 * start.y + 0.5 * c.y + 0.25 * end.y },
  };
}

/** The point where the line from the card's centre towards `toward` leaves the card, plus `gap`. */
export function borderPoint(centre: Point, toward: Point, gap: number): Point {
  const dx = toward.x - centre.x;
  const dy = toward.y - centre.y;
  if (dx === 0 && dy === 0) return centre;
  const hw = NODE_W / 2 + gap;
  const hh = NODE_H / 2 + gap;
  const t = Math.min(dx === 0 ? Infinity : hw / Math.abs(dx), dy === 0 ? Infinity : hh / Math.abs(dy));
  return { x: centre.x + dx * t, y: centre.y + dy * t };
}

function loop(a: Point, bend: number): EdgeGeometry {
  const r = 22 + Math.abs(bend);
  const sx = a.x + NODE_W / 2 - 16;
  const sy = a.y - NODE_H / 2;
  const ex = a.x + NODE_W / 2 + TIP_GAP;
  const ey = a.y - 6;
  return {
    d: `M${f(sx)},${f(sy)}C${f(sx + 8)},${f(sy - r * 1.4)} ${f(ex + r * 1.6)},${f(ey - r * 0.6)} ${f(ex)},${f(ey)}`,
    label: { x: ex + r * 0.9, y: sy - r * 0.5 },
  };
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
