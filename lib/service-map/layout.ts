// A stable layout for the service map: a node keeps its position once placed. New nodes go to the
// free grid cell nearest to their already placed neighbours (destinations to the right of their
// sources), preferably joining a box of their namespace, never inside another namespace's box;
// nodes without placed neighbours go near their namespace, a new namespace next to the others. Spots inside the viewport (the panel in map units) come first, so the map fits the panel it was laid out for.
//
// A namespace is drawn as one box per cluster of its nodes (nodes in neighbouring grid cells form
// a cluster): when a namespace is hemmed in by others it gets a second box with the same label
// rather than a box that overlaps its neighbours.
//
// Invariants (pinned by layout.test.ts):
// - `update` never moves a node that was placed in the previous update, nor a pinned node.
// - Auto-placed nodes never overlap placed nodes (pinned nodes are where the user put them).
// - Deterministic: the same calls give the same positions (no randomness, sorted iteration).
// - `serialize()` → `restore()` on a fresh layout, then `update` with the same nodes, gives the
//   same positions. The component persists positions per view (namespaces + grouping).
//
// Positions are node centres in map coordinates; a node is a NODE_W × NODE_H card.

import {
  type Bounds,
  boxOf,
  CELL_H,
  CELL_W,
  extend,
  intersects,
  linked,
  MARGIN_BOTTOM,
  MARGIN_TOP,
  MARGIN_X,
  NODE_H,
  NODE_W,
  type NodePosition,
  nodeRectAt,
  type Rect,
  type ViewportSize,
  union,
  viewportGrid,
} from "./layout-geometry";
import type { ServiceMapEdge, ServiceMapNode } from "./types";

export {
  BOX_LABEL,
  BOX_PAD,
  CELL_H,
  CELL_W,
  contentBounds,
  type NamespaceBox,
  namespaceBoxes,
  NODE_H,
  NODE_W,
  nodeRectAt,
  type NodePosition,
  type Rect,
  rectsOverlap,
  type ViewportSize,
  viewportGrid,
} from "./layout-geometry";

const SEP_X = NODE_W + 32;
const SEP_Y = NODE_H + 32;
/** Free space kept between namespace boxes, and between a box and a node outside it. */
const BOX_GAP = 24;
const MAX_RING = 40;
/** How far (in cells) a node looks for a spot in a box of its namespace before starting a new one. */
const JOIN_RADIUS = 6;
const MAX_REMEMBERED = 5000;

export interface SerializedLayout {
  readonly v: 1;
  /** [id, x, y, pinned ? 1 : 0], sorted by id. */
  readonly nodes: readonly (readonly [string, number, number, 0 | 1])[];
}

type LayoutNode = Pick<ServiceMapNode, "id" | "namespace">;
type LayoutEdge = Pick<ServiceMapEdge, "source" | "target">;

/**
 * Grid offsets in search order: by distance in cells, columns weighted by `stretch` (so the map
 * grows with the panel's aspect: a wide panel gets more columns than rows), then same row before
 * other rows, right before left (edges run left to right), above before below. One list per
 * stretch, made once.
 */
const offsetCache = new Map<number, { readonly offsets: readonly (readonly [number, number])[]; readonly distance: (i: number, j: number) => number }>();

function offsetsFor(stretch: number) {
  let entry = offsetCache.get(stretch);
  if (entry) return entry;
  const distance = (i: number, j: number) => (i / stretch) ** 2 + j * j;
  const out: [number, number][] = [];
  for (let j = -MAX_RING; j <= MAX_RING; j++) for (let i = -MAX_RING; i <= MAX_RING; i++) out.push([i, j]);
  out.sort((a, b) => distance(a[0], a[1]) - distance(b[0], b[1]) || Math.abs(a[1]) - Math.abs(b[1]) || b[0] - a[0] || a[1] - b[1]);
  entry = { offsets: out, distance };
  offsetCache.set(stretch, entry);
  return entry;
}

/**
 * How much wider than tall (in cells) the map should grow to match the viewport: 1 for a panel
 * of the cells' own aspect or narrower, up to 4; in quarter steps so few lists are made.
 */
export function layoutStretch(viewport: ViewportSize): number {
  if (!(viewport.width > 0 && viewport.height > 0)) return 1;
  const s = viewport.width / viewport.height / (CELL_W / CELL_H);
  return clamp(Math.round(s * 4) / 4, 1, 4);
}

export class MapLayout {
  private positions = new Map<string, NodePosition>();
  /** Nodes placed by the previous update (or restored): they never move. */
  private placed = new Set<string>();
  private changes = 0;
  private lastResult: { readonly revision: number; readonly positions: ReadonlyMap<string, NodePosition> } | undefined;

  /** Increases whenever a position is set, so callers persist only real changes. */
  get revision(): number {
    return this.changes;
  }

  /**
   * Places new nodes; `viewport` is the visible area in map units (the panel at the zoom the map
   * is meant to be read at): the map starts at its centre, grows with its aspect and stays inside
   * it while there is room.
   */
  update(snapshot: { readonly nodes: readonly LayoutNode[]; readonly edges: readonly LayoutEdge[] }, viewport: ViewportSize): ReadonlyMap<string, NodePosition> {
    // The common case while streaming: the same nodes, nothing moved. Same answer, same object.
    const last = this.lastResult;
    if (last && last.revision === this.changes && last.positions.size === snapshot.nodes.length && snapshot.nodes.every((n) => last.positions.has(n.id))) {
      return last.positions;
    }
    const nodes = [...snapshot.nodes].sort((a, b) => cmp(a.id, b.id));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const state = new Placement();
    const pending: LayoutNode[] = [];
    const returning: LayoutNode[] = [];
    // Kept: pinned nodes and nodes placed last time.
    for (const n of nodes) {
      const p = this.positions.get(n.id);
      if (p && (p.pinned || this.placed.has(n.id))) state.put(n.id, n.namespace, p);
      else if (p) returning.push(n);
      else pending.push(n);
    }
    // Returning nodes take their remembered spot when it is still free.
    for (const n of returning) {
      const p = this.positions.get(n.id)!;
      if (state.fits(p.x, p.y, n.namespace, "box")) state.put(n.id, n.namespace, p);
      else pending.push(n);
    }

    const neighbours = new Map<string, { id: string; incoming: boolean }[]>();
    for (const e of snapshot.edges) {
      if (e.source === e.target || !byId.has(e.source) || !byId.has(e.target)) continue;
      push(neighbours, e.target, { id: e.source, incoming: true });
      push(neighbours, e.source, { id: e.target, incoming: false });
    }

    const remaining = new Set(pending.map((n) => n.id));
    while (remaining.size > 0) {
      const node = this.pickNext(remaining, byId, neighbours, state);
      remaining.delete(node.id);
      const [x, y] = this.place(node, neighbours.get(node.id) ?? [], state, viewport);
      const p = { x, y, pinned: false };
      this.positions.set(node.id, p);
      this.changes++;
      state.put(node.id, node.namespace, p);
    }

    this.placed = new Set(nodes.map((n) => n.id));
    this.forgetOld();
    const out = new Map<string, NodePosition>();
    for (const n of nodes) out.set(n.id, this.positions.get(n.id)!);
    this.lastResult = { revision: this.changes, positions: out };
    return out;
  }

  /** Puts a node where the user dropped it; it stays there until unpinned (and after). */
  pin(id: string, x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.positions.delete(id);
    this.positions.set(id, { x: round2(x), y: round2(y), pinned: true });
    this.placed.add(id);
    this.changes++;
  }

  /** Clears the pin; the node keeps its position (placed nodes never move). */
  unpin(id: string): void {
    const p = this.positions.get(id);
    if (!p?.pinned) return;
    this.positions.set(id, { ...p, pinned: false });
    this.changes++;
  }

  position(id: string): NodePosition | undefined {
    return this.positions.get(id);
  }

  serialize(): SerializedLayout {
    const nodes = [...this.positions.entries()].sort((a, b) => cmp(a[0], b[0])).map(([id, p]) => [id, round2(p.x), round2(p.y), p.pinned ? 1 : 0] as const);
    return { v: 1, nodes };
  }

  /** Replaces all positions with saved ones; ignores malformed input. Returns whether it applied. */
  restore(data: unknown): boolean {
    if (!isSerialized(data)) return false;
    this.positions = new Map();
    for (const [id, x, y, pinned] of data.nodes.slice(0, MAX_REMEMBERED)) this.positions.set(id, { x, y, pinned: pinned === 1 });
    this.placed = new Set(this.positions.keys());
    this.changes++;
    return true;
  }

  clear(): void {
    this.positions = new Map();
    this.placed = new Set();
    this.changes++;
  }

  private pickNext(
    remaining: ReadonlySet<string>,
    byId: ReadonlyMap<string, LayoutNode>,
    neighbours: ReadonlyMap<string, readonly { id: string }[]>,
    state: Placement,
  ): LayoutNode {
    // Most placed neighbours first, then nodes whose namespace is already on the map, then hubs.
    let best: LayoutNode | undefined;
    let bestScore = [-1, -1, -1];
    for (const id of remaining) {
      const n = byId.get(id)!;
      const list = neighbours.get(id) ?? [];
      let placedNeighbours = 0;
      for (const nb of list) if (state.has(nb.id)) placedNeighbours++;
      const score = [placedNeighbours, n.namespace && state.hasNamespace(n.namespace) ? 1 : 0, list.length];
      if (!best || greater(score, bestScore) || (equal(score, bestScore) && id < best.id)) {
        best = n;
        bestScore = score;
      }
    }
    return best!;
  }

  private place(node: LayoutNode, list: readonly { id: string; incoming: boolean }[], state: Placement, viewport: ViewportSize): [number, number] {
    const placedNb = list.filter((nb) => state.has(nb.id));
    const sameNs = node.namespace ? placedNb.filter((nb) => state.namespaceOf(nb.id) === node.namespace) : [];
    const anchorNb = sameNs.length > 0 ? sameNs : placedNb;
    let ax: number;
    let ay: number;
    if (anchorNb.length > 0) {
      let sx = 0;
      let sy = 0;
      let dir = 0;
      for (const nb of anchorNb) {
        const p = state.get(nb.id)!;
        sx += p.x;
        sy += p.y;
        dir += nb.incoming ? 1 : -1;
      }
      ax = sx / anchorNb.length + Math.sign(dir) * CELL_W;
      ay = sy / anchorNb.length;
      // Neighbours only in other namespaces: start from the edge of our own box nearest to them.
      const own = sameNs.length === 0 && node.namespace ? state.namespaceBounds(node.namespace) : undefined;
      if (own) {
        ax = clamp(ax, own.minX - CELL_W, own.maxX + CELL_W);
        ay = clamp(ay, own.minY - CELL_H, own.maxY + CELL_H);
      }
    } else if (node.namespace && state.hasNamespace(node.namespace)) {
      const b = state.namespaceBounds(node.namespace)!;
      ax = (b.minX + b.maxX) / 2;
      ay = b.maxY + CELL_H;
    } else if (state.size > 0) {
      const b = state.allBounds();
      ax = (b.minX + b.maxX) / 2;
      ay = (b.minY + b.maxY) / 2;
    } else {
      ax = viewport.width / 2;
      ay = viewport.height / 2;
    }
    // Spots on the viewport's grid (see viewportGrid).
    const { x0, y0 } = viewportGrid(viewport);
    const gx = Math.round((ax - x0) / CELL_W);
    const gy = Math.round((ay - y0) / CELL_H);
    const modes: Fit[] = node.namespace && state.hasNamespace(node.namespace) ? ["join", "box", "free"] : ["box", "free"];
    const { offsets, distance } = offsetsFor(layoutStretch(viewport));
    // Spots inside the viewport first (the map then fits its panel at the size it was laid out
    // for); outside it only when it is full, before giving up a namespace's box.
    const inside = (x: number, y: number) => x - MARGIN_X >= 0 && x + MARGIN_X <= viewport.width && y - MARGIN_TOP >= 0 && y + MARGIN_BOTTOM <= viewport.height;
    const passes: [Fit, boolean][] = [];
    for (const mode of modes) passes.push([mode, true]);
    for (const mode of modes) passes.push([mode, false]);
    passes.sort((a, b) => Number(a[0] === "free") - Number(b[0] === "free"));
    for (const [mode, framed] of passes) {
      for (const [i, j] of offsets) {
        if (mode === "join" && distance(i, j) > JOIN_RADIUS * JOIN_RADIUS) break;
        const x = x0 + (gx + i) * CELL_W;
        const y = y0 + (gy + j) * CELL_H;
        if (framed && !inside(x, y)) continue;
        if (state.fits(x, y, node.namespace, mode)) return [x, y];
      }
    }
    // Everything near is taken: the first column right of the whole map is free.
    const b = state.allBounds();
    return [(Math.ceil(b.maxX / CELL_W) + 2) * CELL_W, Math.round(ay / CELL_H) * CELL_H];
  }

  private forgetOld(): void {
    if (this.positions.size <= MAX_REMEMBERED) return;
    for (const [id, p] of this.positions) {
      if (this.positions.size <= MAX_REMEMBERED) break;
      if (!p.pinned && !this.placed.has(id)) this.positions.delete(id);
    }
  }
}

/**
 * How strictly a spot is checked: `join` — next to a box of the node's namespace, which may grow
 * but not into another box; `box` — the same, or a new box of its own; `free` — only no overlap.
 */
type Fit = "join" | "box" | "free";

interface Cluster {
  readonly ns: string;
  bounds: Bounds;
  box: Rect;
  members: string[];
}

/** The placed nodes of one update: a spatial hash for overlap checks, namespace clusters. */
class Placement {
  private readonly at = new Map<string, { p: NodePosition; ns: string; cluster: Cluster | undefined }>();
  private readonly grid = new Map<string, string[]>();
  private readonly clusters = new Set<Cluster>();
  private readonly nsBounds = new Map<string, Bounds>();
  /** Positions of nodes outside any namespace (entities): they must stay out of the boxes. */
  private readonly loose: NodePosition[] = [];
  private all: Bounds | undefined;

  get size(): number {
    return this.at.size;
  }

  has(id: string): boolean {
    return this.at.has(id);
  }

  get(id: string): NodePosition | undefined {
    return this.at.get(id)?.p;
  }

  namespaceOf(id: string): string | undefined {
    return this.at.get(id)?.ns;
  }

  hasNamespace(ns: string): boolean {
    return this.nsBounds.has(ns);
  }

  namespaceBounds(ns: string): Bounds | undefined {
    return this.nsBounds.get(ns);
  }

  allBounds(): Bounds {
    return this.all ?? { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  }

  put(id: string, ns: string, p: NodePosition): void {
    let cluster: Cluster | undefined;
    if (ns) {
      const joined = this.adjacentClusters(p.x, p.y, ns);
      cluster = joined[0];
      if (!cluster) {
        cluster = { ns, bounds: extend(undefined, p.x, p.y), box: boxOf(extend(undefined, p.x, p.y)), members: [] };
        this.clusters.add(cluster);
      }
      for (const other of joined.slice(1)) {
        cluster.bounds = union(cluster.bounds, other.bounds);
        for (const m of other.members) {
          cluster.members.push(m);
          this.at.get(m)!.cluster = cluster;
        }
        this.clusters.delete(other);
      }
      cluster.bounds = extend(cluster.bounds, p.x, p.y);
      cluster.box = boxOf(cluster.bounds);
      cluster.members.push(id);
      this.nsBounds.set(ns, extend(this.nsBounds.get(ns), p.x, p.y));
    } else {
      this.loose.push(p);
    }
    this.at.set(id, { p, ns, cluster });
    const key = cellKey(Math.floor(p.x / CELL_W), Math.floor(p.y / CELL_H));
    const list = this.grid.get(key);
    if (list) list.push(id);
    else this.grid.set(key, [id]);
    this.all = extend(this.all, p.x, p.y);
  }

  /** Whether a node of namespace `ns` may go to (x, y) under `mode` (see Fit). */
  fits(x: number, y: number, ns: string, mode: Fit): boolean {
    const near = this.nearby(x, y);
    for (const id of near) {
      const p = this.at.get(id)!.p;
      if (Math.abs(p.x - x) < SEP_X && Math.abs(p.y - y) < SEP_Y) return false;
    }
    if (mode === "free") return true;
    if (!ns) {
      const mine = nodeRectAt(x, y);
      for (const c of this.clusters) if (intersects(mine, c.box, BOX_GAP)) return false;
      return true;
    }
    const joined = this.adjacentClusters(x, y, ns, near);
    if (mode === "join" && joined.length === 0) return false;
    let bounds = extend(undefined, x, y);
    for (const c of joined) bounds = union(bounds, c.bounds);
    const mine = boxOf(bounds);
    for (const c of this.clusters) {
      if (joined.includes(c)) continue;
      // Boxes of one namespace may touch (they would merge); other namespaces keep a gap.
      if (intersects(mine, c.box, c.ns === ns ? 0 : BOX_GAP)) return false;
    }
    for (const p of this.loose) if (intersects(mine, nodeRectAt(p.x, p.y), BOX_GAP)) return false;
    return true;
  }

  /** Ids of nodes in the 3×3 cells around (x, y). */
  private nearby(x: number, y: number): string[] {
    const cx = Math.floor(x / CELL_W);
    const cy = Math.floor(y / CELL_H);
    const out: string[] = [];
    for (let j = -1; j <= 1; j++) {
      for (let i = -1; i <= 1; i++) {
        const ids = this.grid.get(cellKey(cx + i, cy + j));
        if (ids) for (const id of ids) out.push(id);
      }
    }
    return out;
  }

  /** Clusters of `ns` with a node in a neighbouring grid cell of (x, y) (diagonals included). */
  private adjacentClusters(x: number, y: number, ns: string, near = this.nearby(x, y)): Cluster[] {
    const out: Cluster[] = [];
    for (const id of near) {
      const e = this.at.get(id)!;
      if (e.ns !== ns || !e.cluster || out.includes(e.cluster)) continue;
      if (linked(e.p, { x, y })) out.push(e.cluster);
    }
    return out;
  }
}

function cellKey(i: number, j: number): string {
  return `${i},${j}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function greater(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

function equal(a: number[], b: number[]): boolean {
  return a.every((v, i) => v === b[i]);
}

function clamp(n: number, min: number, max: number): number {
  return n < min ? min : n > max ? max : n;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function isSerialized(data: unknown): data is SerializedLayout {
  if (typeof data !== "object" || data === null) return false;
  const d = data as { v?: unknown; nodes?: unknown };
  if (d.v !== 1 || !Array.isArray(d.nodes)) return false;
  return d.nodes.every(
    (e) => Array.isArray(e) && e.length === 4 && typeof e[0] === "string" && e[0].length <= 1024 && Number.isFinite(e[1]) && Number.isFinite(e[2]) && (e[3] === 0 || e[3] === 1),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
