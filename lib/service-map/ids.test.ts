import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceMapModel } from "./aggregate";
import { edgeIdOf, edgeIdText, idPart, MAX_ID_PART, nodeIdText, rowMatchesEdge, rowMatchesNode, selectionMatcher } from "./ids";
import { diffRows } from "./row-diff";
import { entity, flow, pod, syntheticRows, world } from "./testing";

const frontend = pod("shop", "frontend");
const checkout = pod("shop", "checkout");

describe("rowMatchesNode / rowMatchesEdge: the table shows exactly the rows the map counted", () => {
  const request = flow({ source: frontend, destination: checkout, dport: 8080 });
  const reply = flow({ source: checkout, destination: frontend, dport: 8080, isReply: true });
  const other = flow({ source: frontend, destination: world(["api.stripe.com"]), dport: 443 });
  const edgeId = "wl:shop/frontend|wl:shop/checkout|8080/TCP";

  it("a node matches rows where it is source or destination", () => {
    assert.equal(rowMatchesNode(request, "wl:shop/checkout", "workload"), true);
    assert.equal(rowMatchesNode(reply, "wl:shop/checkout", "workload"), true);
    assert.equal(rowMatchesNode(other, "wl:shop/checkout", "workload"), false);
    assert.equal(rowMatchesNode(other, "world:api.stripe.com", "workload"), true);
    assert.equal(rowMatchesNode(request, `app:shop/checkout`, "app"), true);
    assert.equal(rowMatchesNode(request, `app:shop/checkout`, "workload"), false, "ids depend on the grouping");
  });

  it("an edge matches its requests and their replies, not other ports or directions", () => {
    assert.equal(rowMatchesEdge(request, edgeId, "workload"), true);
    assert.equal(rowMatchesEdge(reply, edgeId, "workload"), true);
    assert.equal(rowMatchesEdge(flow({ source: frontend, destination: checkout, dport: 9090 }), edgeId, "workload"), false);
    assert.equal(rowMatchesEdge(flow({ source: frontend, destination: checkout, dport: 8080, proto: "UDP" }), edgeId, "workload"), false);
    assert.equal(rowMatchesEdge(flow({ source: checkout, destination: frontend, dport: 8080 }), edgeId, "workload"), false);
    assert.equal(rowMatchesEdge(request, "garbage", "workload"), false);
  });

  it("the folded * edge matches every port of its pair", () => {
    assert.equal(rowMatchesEdge(flow({ source: frontend, destination: checkout, dport: 1234 }), "wl:shop/frontend|wl:shop/checkout|*/TCP", "workload"), true);
  });

  it("every edge of the model matches exactly the rows counted for it", () => {
    const rows = [...syntheticRows(2000, 20, 3), flow({ source: entity("host"), destination: frontend, proto: "ICMPv4" })];
    for (const grouping of ["workload", "app", "identity"] as const) {
      const m = new ServiceMapModel(grouping);
      m.add(rows);
      for (const e of m.snapshot().edges) {
        assert.equal(rows.filter((r) => rowMatchesEdge(r, e.id, grouping)).length, e.flows, `${grouping} ${e.id}`);
      }
      for (const n of m.snapshot().nodes) {
        const matched = rows.filter((r) => rowMatchesNode(r, n.id, grouping)).length;
        const selfRows = rows.filter((r) => edgeIdOf(r, grouping).startsWith(`${n.id}|${n.id}|`)).length;
        assert.equal(matched, n.flowsIn + n.flowsOut - selfRows, `${grouping} ${n.id}`);
      }
    }
  });

  it("selectionMatcher prefers the edge and is undefined without a selection", () => {
    assert.equal(selectionMatcher({}, "workload"), undefined);
    const m = selectionMatcher({ nodeId: "wl:shop/checkout", edgeId: "x|y|1/TCP" }, "workload")!;
    assert.equal(m(request), false);
  });
});

describe("idPart", () => {
  it("keeps Kubernetes names and FQDNs, encodes the rest, bounds the length with a hash", () => {
    assert.equal(idPart("api.stripe.com"), "api.stripe.com");
    assert.equal(idPart("a b|c"), "a%20b%7Cc");
    const a = idPart("x".repeat(500));
    const b = idPart(`${"x".repeat(499)}y`);
    assert.ok(a.length <= MAX_ID_PART);
    assert.notEqual(a, b);
  });
});

describe("diffRows: what the map feeds its model", () => {
  const rows = syntheticRows(10);
  it("new rows at the front and old rows cut from the end are a delta", () => {
    const prev = rows.slice(3, 10);
    const next = rows.slice(0, 8);
    const d = diffRows(prev, next);
    assert.equal(d.kind, "delta");
    if (d.kind !== "delta") return;
    assert.deepEqual(d.added, rows.slice(0, 3));
    assert.deepEqual(d.removed, rows.slice(8, 10));
  });
  it("the same list, or equal content, is same", () => {
    assert.equal(diffRows(rows, rows).kind, "same");
    assert.equal(diffRows(rows, [...rows]).kind, "same");
  });
  it("a late row merged into the middle is a delta of just that row", () => {
    const prev = [...rows.slice(0, 4), ...rows.slice(5, 9)];
    const next = [...rows.slice(0, 4), rows[4], ...rows.slice(5, 8)];
    const d = diffRows(prev, next);
    assert.equal(d.kind, "delta");
    if (d.kind !== "delta") return;
    assert.deepEqual(d.added, [rows[4]]);
    assert.deepEqual(d.removed, [rows[8]]);
  });
  it("a reordering of the same rows is same", () => {
    assert.equal(diffRows(rows, [rows[1], rows[0], ...rows.slice(2)]).kind, "same");
  });
  it("a mostly new list is a reset", () => {
    assert.equal(diffRows(rows.slice(0, 5), rows.slice(5)).kind, "reset");
    assert.equal(diffRows(rows, []).kind, "reset");
    assert.equal(diffRows([], rows).kind, "reset");
  });
});

describe("ids as people read them (the selection chip)", () => {
  const cases: [string, string][] = [
    ["wl:shop/cart", "shop/cart"],
    ["app:shop/cart", "shop/cart"],
    ["id:4242", "identity 4242"],
    ["world:api.stripe.com", "api.stripe.com"],
    ["entity:world", "world"],
    ["entity:host", "host"],
    ["wl:shop/a%7Cb", "shop/a|b"],
  ];
  for (const [id, text] of cases) it(`${id} → ${text}`, () => assert.equal(nodeIdText(id), text));
  it("edges name both ends and the port", () => {
    assert.equal(edgeIdText("wl:shop/frontend|wl:shop/cart|8080/TCP"), "shop/frontend → shop/cart 8080/TCP");
    assert.equal(edgeIdText("wl:a/b|entity:host|-/ICMPv4"), "a/b → host ICMPv4");
    assert.equal(edgeIdText("wl:a/b|wl:a/c|*/TCP"), "a/b → a/c other ports");
  });
});
