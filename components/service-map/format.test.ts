import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceMapModel } from "@/lib/service-map/aggregate";
import { flow, httpResponse, pod, T0 } from "@/lib/service-map/testing";
import { clip, edgeAriaLabel, edgeLabelParts, formatMs, formatPercent, formatRate, nodeAriaLabel, portLabel } from "./format";

describe("map text", () => {
  it("numbers keep a few significant digits at every size", () => {
    assert.deepEqual([formatRate(1234.4), formatRate(12.34), formatRate(0.125), formatRate(0.001)], ["1234/s", "12.3/s", "0.13/s", "<0.01/s"]);
    assert.deepEqual([formatMs(undefined), formatMs(4.21), formatMs(42.4), formatMs(1500), formatMs(12_400)], ["–", "4.2ms", "42ms", "1.5s", "12s"]);
    assert.deepEqual([formatPercent(0), formatPercent(0.05), formatPercent(4.44), formatPercent(42.6)], ["0%", "<0.1%", "4.4%", "43%"]);
  });

  it("clip cuts long text to its limit with an ellipsis and leaves short text alone", () => {
    assert.equal(clip("checkout", 12), "checkout");
    const cut = clip("a-very-long-workload-name-from-a-hostile-pod", 12);
    assert.equal(cut.length, 12);
    assert.ok(cut.endsWith("…"));
  });

  it("an edge's label and accessible name say its port, rate, drops and HTTP figures from its flows", () => {
    const model = new ServiceMapModel();
    const rows = [
      ...Array.from({ length: 9 }, (_, i) => flow({ id: `ok-${i}`, source: pod("shop", "frontend"), destination: pod("shop", "checkout"), dport: 8080, t: T0 + i })),
      flow({ id: "drop", source: pod("shop", "frontend"), destination: pod("shop", "checkout"), dport: 8080, verdict: "DROPPED", t: T0 + 9 }),
      flow({ id: "resp", source: pod("shop", "frontend"), destination: pod("shop", "checkout"), dport: 8080, l7: httpResponse("GET", "/cart", 503, 25), t: T0 + 10 }),
    ];
    model.add(rows);
    const snap = model.snapshot();
    const edge = snap.edges.find((e) => e.source.endsWith("shop/frontend") && e.target.endsWith("shop/checkout") && e.port === 8080)!;
    assert.ok(edge, `edges: ${snap.edges.map((e) => e.id).join(", ")}`);
    assert.equal(portLabel(edge), `8080/${edge.protocol}`);
    const parts = edgeLabelParts(edge, 10_000);
    assert.equal(parts[0], portLabel(edge));
    assert.match(parts[1], /\/s$/);
    assert.ok(
      parts.some((p) => /^1 dropped \(/.test(p)),
      parts.join(" | "),
    );
    const name = edgeAriaLabel(edge, "frontend", "checkout");
    assert.match(name, /^frontend to checkout, 8080\//);
    assert.ok(name.includes(`${edge.flows} flows`), name);
    const node = snap.nodes.find((n) => n.id.endsWith("shop/checkout"))!;
    assert.match(nodeAriaLabel(node), new RegExp(`^checkout, workload in namespace shop: ${node.flowsIn} flows in, ${node.flowsOut} out$`));
  });
});
