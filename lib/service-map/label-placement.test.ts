import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type LabelRequest, overlaps, placeEdgeLabels } from "./label-placement";

const rectOf = (r: LabelRequest, p: { x: number; y: number }) => ({ x: p.x - r.width / 2, y: p.y - r.height / 2, width: r.width, height: r.height });

describe("edge labels never overlap", () => {
  it("labels at the same spot are shifted or left out, never stacked", () => {
    const requests: LabelRequest[] = Array.from({ length: 12 }, (_, i) => ({ id: `e${i}`, x: 100 + (i % 3) * 10, y: 100, width: 120, height: 18, priority: i }));
    const placed = placeEdgeLabels(requests);
    assert.ok(placed.length > 1 && placed.length < requests.length);
    const byId = new Map(requests.map((r) => [r.id, r]));
    for (let i = 0; i < placed.length; i++)
      for (let j = i + 1; j < placed.length; j++)
        assert.ok(!overlaps(rectOf(byId.get(placed[i].id)!, placed[i]), rectOf(byId.get(placed[j].id)!, placed[j])), `${placed[i].id} / ${placed[j].id}`);
  });

  it("the busiest edges win; required labels always get a spot, first", () => {
    const requests: LabelRequest[] = [
      { id: "quiet", x: 0, y: 0, width: 100, height: 18, priority: 1 },
      { id: "busy", x: 0, y: 0, width: 100, height: 18, priority: 100 },
      ...Array.from({ length: 8 }, (_, i) => ({ id: `crowd${i}`, x: 0, y: 0, width: 100, height: 18, priority: 50 })),
      { id: "selected", x: 0, y: 0, width: 100, height: 18, priority: 0, required: true },
    ];
    const placed = placeEdgeLabels(requests);
    const ids = placed.map((p) => p.id);
    assert.equal(ids[0], "selected");
    assert.deepEqual(placed[0], { id: "selected", x: 0, y: 0 });
    assert.ok(ids.includes("busy"));
    assert.ok(!ids.includes("quiet"));
  });

  it("optional labels stay off node cards", () => {
    const card = { x: -50, y: -60, width: 100, height: 120 };
    const placed = placeEdgeLabels([{ id: "a", x: 0, y: 0, width: 40, height: 18, priority: 1 }], [card]);
    assert.deepEqual(placed, []);
    const beside = placeEdgeLabels([{ id: "a", x: 0, y: 80, width: 40, height: 18, priority: 1 }], [card]);
    assert.deepEqual(beside, [{ id: "a", x: 0, y: 80 }]);
  });

  it("is deterministic", () => {
    const requests: LabelRequest[] = Array.from({ length: 30 }, (_, i) => ({ id: `e${i}`, x: (i * 37) % 200, y: (i * 53) % 120, width: 90, height: 18, priority: i % 4 }));
    assert.deepEqual(placeEdgeLabels(requests), placeEdgeLabels([...requests].reverse()));
  });
});
