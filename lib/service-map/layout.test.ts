import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceMapModel } from "./aggregate";
import { edgeGeometry, edgeLanes } from "./geometry";
import { CELL_W, contentBounds, MapLayout, namespaceBoxes, NODE_H, NODE_W, nodeRectAt, type NodePosition, rectsOverlap, viewportGrid } from "./layout";
import { syntheticRows } from "./testing";

type Snap = { nodes: { id: string; namespace: string }[]; edges: { source: string; target: string }[] };
const VIEW = { width: 1280, height: 800 };

function graph(edges: [string, string][], ns: (id: string) => string = (id) => id.split("/")[0]): Snap {
  const ids = [...new Set(edges.flat())];
  return { nodes: ids.map((id) => ({ id, namespace: ns(id) })), edges: edges.map(([source, target]) => ({ source, target })) };
}

function assertNoOverlap(pos: ReadonlyMap<string, NodePosition>) {
  const list = [...pos.entries()];
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length; j++) {
      const [a, pa] = list[i];
      const [b, pb] = list[j];
      if (pa.pinned || pb.pinned) continue;
      assert.ok(!rectsOverlap(nodeRectAt(pa.x, pa.y), nodeRectAt(pb.x, pb.y)), `${a} overlaps ${b}`);
    }
}

function assertKept(before: ReadonlyMap<string, NodePosition>, after: ReadonlyMap<string, NodePosition>) {
  for (const [id, p] of before) assert.deepEqual(after.get(id), p, `${id} moved`);
}

const base = graph([
  ["shop/frontend", "shop/checkout"],
  ["shop/checkout", "shop/payments"],
  ["shop/frontend", "kube-system/coredns"],
  ["shop/payments", "/world:api.stripe.com"],
]);

describe("MapLayout stability", () => {
  it("places every node without overlaps", () => {
    const pos = new MapLayout().update(base, VIEW);
    assert.equal(pos.size, base.nodes.length);
    assertNoOverlap(pos);
  });

  it("adding flows and nodes never moves nodes already placed", () => {
    const layout = new MapLayout();
    let prev = layout.update(base, VIEW);
    let edges: [string, string][] = base.edges.map((e) => [e.source, e.target]);
    for (let round = 0; round < 20; round++) {
      edges = [...edges, [`shop/svc-${round}`, round % 2 ? "shop/checkout" : `other/db-${round}`], [`shop/frontend`, `ns${round % 3}/x-${round}`]];
      const next = layout.update(graph(edges), VIEW);
      assertKept(prev, next);
      assertNoOverlap(next);
      prev = next;
    }
  });

  it("a new node goes next to its placed neighbour (destinations to the right)", () => {
    const layout = new MapLayout();
    const before = layout.update(base, VIEW);
    const after = layout.update(graph([...base.edges.map((e) => [e.source, e.target] as [string, string]), ["shop/payments", "shop/ledger"]]), VIEW);
    const p = before.get("shop/payments")!;
    const l = after.get("shop/ledger")!;
    assert.ok(Math.hypot(l.x - p.x, l.y - p.y) <= 2.5 * CELL_W, `ledger at ${l.x},${l.y}, payments at ${p.x},${p.y}`);
    assert.ok(l.x >= p.x, "a destination is not placed left of its source when there is room");
  });

  it("a chain stays inside a wide viewport while there is room, using its aspect", () => {
    const wide = { width: 1830, height: 406 };
    const chain: [string, string][] = Array.from({ length: 11 }, (_, i) => [`a/n${i}`, `a/n${i + 1}`]);
    const pos = new MapLayout().update(graph(chain), wide);
    assertNoOverlap(pos);
    const b = contentBounds(pos.values())!;
    assert.ok(b.x >= 0 && b.x + b.width <= wide.width, `x ${b.x}..${b.x + b.width}`);
    assert.ok(b.y >= 0 && b.y + b.height <= wide.height, `y ${b.y}..${b.y + b.height}`);
    assert.ok(b.width > 2 * b.height, "wider than tall, like the viewport");
  });

  it("as many cards as the viewport's grid has spots all lie inside it (a panel at 1440×900: 7 × 3)", () => {
    // The map panel of a 1440×900 window in map units at the legible zoom (what the map passes).
    const panel = { width: 1830, height: 396 };
    const grid = viewportGrid(panel);
    assert.deepEqual([grid.cols, grid.rows], [7, 3]);
    // Collapsed namespaces and entities: cards without a box, linked in a ring.
    const n = grid.cols * grid.rows;
    const ring: [string, string][] = Array.from({ length: n }, (_, i) => [`/ns-${i}`, `/ns-${(i + 1) % n}`]);
    const pos = new MapLayout().update(
      graph(ring, () => ""),
      panel,
    );
    assertNoOverlap(pos);
    for (const [id, p] of pos) {
      const r = nodeRectAt(p.x, p.y);
      assert.ok(r.x >= 0 && r.x + r.width <= panel.width && r.y >= 0 && r.y + r.height <= panel.height, `${id} at ${p.x},${p.y} is outside the panel`);
    }
  });

  it("pinned nodes keep their position, even where they overlap", () => {
    const layout = new MapLayout();
    const before = layout.update(base, VIEW);
    const f = before.get("shop/frontend")!;
    layout.pin("shop/checkout", f.x + 10.5, f.y + 5);
    const after = layout.update(graph([...base.edges.map((e) => [e.source, e.target] as [string, string]), ["shop/checkout", "shop/new"]]), VIEW);
    assert.deepEqual(after.get("shop/checkout"), { x: f.x + 10.5, y: f.y + 5, pinned: true });
    assert.deepEqual(after.get("shop/frontend"), f);
    const n = after.get("shop/new")!;
    for (const [id, p] of after) if (id !== "shop/new") assert.ok(!rectsOverlap(nodeRectAt(n.x, n.y), nodeRectAt(p.x, p.y)), `new overlaps ${id}`);
    layout.unpin("shop/checkout");
    assert.deepEqual(layout.update(graph(base.edges.map((e) => [e.source, e.target])), VIEW).get("shop/checkout"), { x: f.x + 10.5, y: f.y + 5, pinned: false });
  });

  it("a node that leaves and comes back returns to its spot when it is free", () => {
    const layout = new MapLayout();
    const before = layout.update(base, VIEW);
    layout.update(graph([["shop/frontend", "shop/checkout"]]), VIEW);
    const after = layout.update(base, VIEW);
    assertKept(before, after);
  });

  it("is deterministic and restores the same positions", () => {
    const model = new ServiceMapModel();
    model.add(syntheticRows(20_000, 120, 6));
    const snap = model.snapshot();
    const a = new MapLayout();
    const pa = a.update(snap, VIEW);
    assert.deepEqual(new MapLayout().update(snap, VIEW), pa, "same input, same layout");
    assertNoOverlap(pa);
    a.pin(snap.nodes[3].id, 1.25, -7);
    const saved = JSON.parse(JSON.stringify(a.serialize()));
    const b = new MapLayout();
    assert.equal(b.restore(saved), true);
    const pb = b.update(snap, VIEW);
    assert.deepEqual(pb, a.update(snap, VIEW));
    assert.equal(new MapLayout().restore({ v: 1, nodes: [["x", "NaN", 0, 0]] }), false);
    assert.equal(new MapLayout().restore(null), false);
  });

  it("namespace boxes hold their nodes and do not overlap each other", () => {
    const model = new ServiceMapModel();
    model.add(syntheticRows(20_000, 120, 6));
    const snap = model.snapshot();
    const pos = new MapLayout().update(snap, VIEW);
    const boxes = namespaceBoxes(snap.nodes, pos);
    assert.deepEqual([...new Set(boxes.map((b) => b.namespace))], snap.namespaces);
    assert.equal(new Set(boxes.map((b) => b.key)).size, boxes.length, "box keys are unique");
    for (const n of snap.nodes) {
      const p = pos.get(n.id)!;
      const inside = boxes.some(
        (box) =>
          box.namespace === n.namespace &&
          p.x - NODE_W / 2 >= box.x &&
          p.y - NODE_H / 2 >= box.y &&
          p.x + NODE_W / 2 <= box.x + box.width &&
          p.y + NODE_H / 2 <= box.y + box.height,
      );
      assert.ok(inside, `${n.id} is inside a box of its namespace`);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) assert.ok(!rectsOverlap(boxes[i], boxes[j]), `${boxes[i].key} overlaps ${boxes[j].key}`);
    for (const [id, p] of pos) {
      if (snap.nodes.find((n) => n.id === id)!.namespace) continue;
      for (const box of boxes) assert.ok(!rectsOverlap(nodeRectAt(p.x, p.y), box), `entity ${id} inside ${box.key}`);
    }
    const bounds = contentBounds(pos.values(), boxes)!;
    for (const b of boxes) assert.ok(b.x >= bounds.x && b.y >= bounds.y);
  });

  it("while a map grows, namespace boxes never overlap and entities stay outside them", () => {
    for (const [workloads, namespaces] of [
      [40, 3],
      [90, 9],
      [150, 15],
    ]) {
      const rows = syntheticRows(12_000, workloads, namespaces);
      const withEntities = rows.map((r, i) => (i % 97 === 0 ? { ...r, destination: { ...r.destination, entity: "world" as const, names: [`host${i % 7}.example.com`] } } : r));
      const layout = new MapLayout();
      const model = new ServiceMapModel();
      let prev: ReadonlyMap<string, NodePosition> = new Map();
      for (let start = 0; start < withEntities.length; start += 1500) {
        model.add(withEntities.slice(start, start + 1500));
        const snap = model.snapshot();
        const pos = layout.update(snap, VIEW);
        assertKept(prev, pos);
        assertNoOverlap(pos);
        const boxes = namespaceBoxes(snap.nodes, pos);
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++)
            if (boxes[i].namespace !== boxes[j].namespace) assert.ok(!rectsOverlap(boxes[i], boxes[j]), `${boxes[i].key} overlaps ${boxes[j].key}`);
        for (const n of snap.nodes) {
          if (n.namespace) continue;
          const p = pos.get(n.id)!;
          for (const box of boxes) assert.ok(!rectsOverlap(nodeRectAt(p.x, p.y), box), `entity ${n.id} inside ${box.key}`);
        }
        prev = pos;
      }
    }
  });

  // Its speed is measured in bench/service-map.ts, not timed here.
  it("lays out 300 nodes without overlaps", () => {
    const model = new ServiceMapModel();
    model.add(syntheticRows(50_000, 300, 12));
    const pos = new MapLayout().update(model.snapshot(), VIEW);
    assert.equal(pos.size, 300);
    assertNoOverlap(pos);
  });
});

describe("edge geometry", () => {
  it("edges of one node pair get distinct lanes; a lone edge is straight", () => {
    const lanes = edgeLanes([
      { id: "a|b|80/TCP", source: "a", target: "b" },
      { id: "b|a|80/TCP", source: "b", target: "a" },
      { id: "a|c|80/TCP", source: "a", target: "c" },
    ]);
    assert.equal(lanes.get("a|c|80/TCP"), 0);
    assert.notEqual(lanes.get("a|b|80/TCP"), lanes.get("b|a|80/TCP"));
    const straight = edgeGeometry("a", "c", { x: 0, y: 0 }, { x: 400, y: 0 }, 0);
    assert.equal(straight.d, `M${NODE_W / 2},0L${400 - NODE_W / 2 - 3},0`);
    assert.match(edgeGeometry("a", "a", { x: 0, y: 0 }, { x: 0, y: 0 }, 0).d, /^M.*C/);
  });
});
