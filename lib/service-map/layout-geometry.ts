// The geometry of the map's layout: card and cell sizes, rectangles, namespace boxes around
// clusters of cards, and the bounds of what is drawn. Pure; MapLayout (layout.ts) places the cards.

import type { ServiceMapNode } from "./types";

export const NODE_W = 176;
export const NODE_H = 56;
export const CELL_W = 240;
export const CELL_H = 120;
/** Two nodes overlap when their centres are closer than this on both axes. */
export const BOX_PAD = 18;
export const BOX_LABEL = 22;

export interface NodePosition {
  readonly x: number;
  readonly y: number;
  readonly pinned: boolean;
}

export interface ViewportSize {
  readonly width: number;
  readonly height: number;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface NamespaceBox extends Rect {
  readonly namespace: string;
  /** Unique per box: a namespace may have several (see the header). */
  readonly key: string;
}

/** Min/max of node centres. */
export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

type LayoutNode = Pick<ServiceMapNode, "id" | "namespace">;

/** Two nodes belong to one namespace box when they sit in neighbouring grid cells. */
export function linked(a: { x: number; y: number }, b: { x: number; y: number }): boolean {
  return Math.abs(a.x - b.x) <= CELL_W * 1.05 && Math.abs(a.y - b.y) <= CELL_H * 1.05;
}

/** The rectangle of a node card centred at (x, y). */
export function nodeRectAt(x: number, y: number): Rect {
  return { x: x - NODE_W / 2, y: y - NODE_H / 2, width: NODE_W, height: NODE_H };
}

/**
 * Boxes around each namespace's clusters of nodes, with room for the label on top; sorted by
 * namespace, then position. Boxes of one namespace that would overlap are merged.
 */
export function namespaceBoxes(nodes: readonly LayoutNode[], positions: ReadonlyMap<string, { x: number; y: number }>): NamespaceBox[] {
  const byNs = new Map<string, { x: number; y: number }[]>();
  for (const n of nodes) {
    const p = n.namespace ? positions.get(n.id) : undefined;
    if (!p) continue;
    const list = byNs.get(n.namespace);
    if (list) list.push(p);
    else byNs.set(n.namespace, [p]);
  }
  const out: NamespaceBox[] = [];
  for (const ns of [...byNs.keys()].sort(cmp)) {
    const points = byNs.get(ns)!;
    // Union-find over linked pairs.
    const parent = points.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    for (let i = 0; i < points.length; i++) for (let j = i + 1; j < points.length; j++) if (linked(points[i], points[j])) parent[find(i)] = find(j);
    const groups = new Map<number, Bounds>();
    points.forEach((p, i) => groups.set(find(i), extend(groups.get(find(i)), p.x, p.y)));
    let bounds = [...groups.values()];
    for (let merged = true; merged;) {
      merged = false;
      for (let i = 0; i < bounds.length && !merged; i++)
        for (let j = i + 1; j < bounds.length && !merged; j++) {
          if (!intersects(boxOf(bounds[i]), boxOf(bounds[j]), 0)) continue;
          bounds = [...bounds.filter((_, k) => k !== i && k !== j), union(bounds[i], bounds[j])];
          merged = true;
        }
    }
    bounds.sort((a, b) => a.minY - b.minY || a.minX - b.minX);
    bounds.forEach((b, k) => out.push({ namespace: ns, key: k === 0 ? ns : `${ns}#${k}`, ...boxOf(b) }));
  }
  return out;
}

/** The rectangle holding every node and box, or undefined for an empty map. */
export function contentBounds(positions: Iterable<{ x: number; y: number }>, boxes: readonly Rect[] = []): Rect | undefined {
  let b: Bounds | undefined;
  for (const p of positions) b = extend(b, p.x, p.y);
  if (!b) return undefined;
  let minX = b.minX - NODE_W / 2;
  let minY = b.minY - NODE_H / 2;
  let maxX = b.maxX + NODE_W / 2;
  let maxY = b.maxY + NODE_H / 2;
  for (const r of boxes) {
    minX = Math.min(minX, r.x);
    minY = Math.min(minY, r.y);
    maxX = Math.max(maxX, r.x + r.width);
    maxY = Math.max(maxY, r.y + r.height);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

export function rectsOverlap(a: Rect, b: Rect): boolean {
  return intersects(a, b, 0);
}

export function boxOf(b: Bounds): Rect {
  return {
    x: b.minX - NODE_W / 2 - BOX_PAD,
    y: b.minY - NODE_H / 2 - BOX_PAD - BOX_LABEL,
    width: b.maxX - b.minX + NODE_W + 2 * BOX_PAD,
    height: b.maxY - b.minY + NODE_H + 2 * BOX_PAD + BOX_LABEL,
  };
}

export function intersects(a: Rect, b: Rect, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

export function union(a: Bounds, b: Bounds): Bounds {
  return { minX: Math.min(a.minX, b.minX), minY: Math.min(a.minY, b.minY), maxX: Math.max(a.maxX, b.maxX), maxY: Math.max(a.maxY, b.maxY) };
}

export function extend(b: Bounds | undefined, x: number, y: number): Bounds {
  if (!b) return { minX: x, minY: y, maxX: x, maxY: y };
  return { minX: Math.min(b.minX, x), minY: Math.min(b.minY, y), maxX: Math.max(b.maxX, x), maxY: Math.max(b.maxY, y) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Room a card needs around its centre inside the viewport: its half size, its box's padding and label. */
export const MARGIN_X = NODE_W / 2 + BOX_PAD;
export const MARGIN_TOP = NODE_H / 2 + BOX_PAD + BOX_LABEL;
export const MARGIN_BOTTOM = NODE_H / 2 + BOX_PAD;

/**
 * The grid of spots that lie inside a viewport: how many columns and rows, and where the first
 * spot is. The grid is centred in the viewport so that as many spots as possible fit (a grid at
 * multiples of the cell size from 0 would waste most of a row at the top).
 */
export function viewportGrid(viewport: ViewportSize): { cols: number; rows: number; x0: number; y0: number } {
  const spanX = Math.max(0, viewport.width - 2 * MARGIN_X);
  const spanY = Math.max(0, viewport.height - MARGIN_TOP - MARGIN_BOTTOM);
  const cols = Math.floor(spanX / CELL_W) + 1;
  const rows = Math.floor(spanY / CELL_H) + 1;
  return { cols, rows, x0: Math.round(MARGIN_X + (spanX - (cols - 1) * CELL_W) / 2), y0: Math.round(MARGIN_TOP + (spanY - (rows - 1) * CELL_H) / 2) };
}
