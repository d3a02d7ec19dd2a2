import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import type { AggregationWindow } from "@/server/hub/aggregation";
import type { HubbleFilters } from "@/server/hub/hub";
import { relayFromNs } from "./history-query";
import type { EdgeCount, FlowStore } from "./store";
import { storedWindowCounts } from "./window-counts";

// When the map may count a window's forwarded flows from the store's per-minute counts, and over
// which minutes. That the counts then equal the raw flows is the contract suite's (both stores).

const NOW = Date.parse("2026-12-04T12:00:30Z");
const store = {} as FlowStore;
const source = { store, newestWrittenNs: () => BigInt(NOW - 10_000) * 1_000_000n };
const none: HubbleFilters = { whitelist: [], blacklist: [] };
const f = (json: Record<string, unknown>) => create(FlowFilterSchema, json);
const lastHour: AggregationWindow = { kind: "sliding", ms: 3_600_000 };

describe("a window's stored counts", () => {
  it("cover the whole minutes from the window's first to the last one the recorder finished", () => {
    const c = storedWindowCounts(source, lastHour, none, "workload", NOW)!;
    assert.equal(c.fromMs, Date.parse("2026-12-04T11:01:00Z"), "the first minute that starts in the window");
    assert.equal(c.untilMs, Date.parse("2026-12-04T12:00:00Z"), "newest written (12:00:20) minus 5 s, to the minute");
    const past: AggregationWindow = { kind: "fixed", fromMs: Date.parse("2026-12-04T10:00:00Z"), toMs: Date.parse("2026-12-04T10:59:59.999Z") };
    const p = storedWindowCounts(source, past, none, "identity", NOW)!;
    assert.deepEqual([p.fromMs, p.untilMs], [Date.parse("2026-12-04T10:00:00Z"), Date.parse("2026-12-04T11:00:00Z")]);
  });

  it("are not used where counts cannot answer what the flows would", () => {
    const cases: [string, HubbleFilters, "workload" | "app"][] = [
      ["app grouping (labels are not in the counts)", none, "app"],
      ["a one-sided namespace filter (replies count under their request's edge)", { whitelist: [f({ sourcePod: ["shop/"] })], blacklist: [] }, "workload"],
      ["a pod name", { whitelist: [f({ sourcePod: ["shop/web-"] }), f({ destinationPod: ["shop/web-"] })], blacklist: [] }, "workload"],
      ["an HTTP status", { whitelist: [f({ httpStatusCode: ["500"] })], blacklist: [] }, "workload"],
      ["a label", { whitelist: [], blacklist: [f({ sourceLabel: ["app=x"] }), f({ destinationLabel: ["app=x"] })] }, "workload"],
    ];
    for (const [what, filters, grouping] of cases) assert.equal(storedWindowCounts(source, lastHour, filters, grouping, NOW), undefined, what);
    const symmetric = { whitelist: [f({ sourcePod: ["shop/"], verdict: [1] }), f({ destinationPod: ["shop/"], verdict: [1] })], blacklist: [] };
    assert.ok(storedWindowCounts(source, lastHour, symmetric, "workload", NOW), "a namespace and a verdict, either side");
  });

  it("are not used before the recorder has written, nor for a window inside the newest minute", () => {
    assert.equal(storedWindowCounts({ store, newestWrittenNs: () => null }, lastHour, none, "workload", NOW), undefined);
    assert.equal(storedWindowCounts(source, { kind: "sliding", ms: 30_000 }, none, "workload", NOW), undefined);
  });

  it("load rows the Flow message cannot name (an empty type, a newer verdict) without failing the rest", async () => {
    const edge = (over: Partial<EdgeCount>): EdgeCount => ({
      minuteMs: Date.parse("2026-12-04T11:30:00Z"),
      srcNamespace: "shop",
      srcWorkload: "web",
      srcIdentity: 1001,
      dstNamespace: "bank",
      dstWorkload: "ledger",
      dstIdentity: 1002,
      dstPort: 443,
      protocol: "TCP",
      verdict: "FORWARDED",
      dropReason: "",
      direction: "EGRESS",
      flowType: "L3_L4",
      count: 7,
      ...over,
    });
    const rows = [edge({}), edge({ flowType: "", count: 2 }), edge({ verdict: "SOMETHING_NEW", count: 3 }), edge({ verdict: "DROPPED", count: 5 })];
    const counting = { store: { edgeCounts: async () => rows } as unknown as FlowStore, newestWrittenNs: source.newestWrittenNs };
    const all = await storedWindowCounts(counting, lastHour, none, "workload", NOW)!.load();
    // Forwarded ones only (drops are counted from their flows); the unknown verdict is not one the recorder rolls up.
    assert.deepEqual(
      all.map((r) => r.count),
      [7, 2],
    );
    const ns = { whitelist: [f({ sourcePod: ["bank/"] }), f({ destinationPod: ["bank/"] })], blacklist: [] };
    const scoped = await storedWindowCounts(counting, lastHour, ns, "workload", NOW)!.load();
    assert.deepEqual(
      scoped.map((r) => [r.row.destination.namespace, r.count]),
      [
        ["bank", 7],
        ["bank", 2],
      ],
    );
  });

  it("in rollup the relay is asked from a minute before the counted minutes end (it fills the seam's forwarded flows)", () => {
    const seam = BigInt(Date.parse("2026-12-04T12:00:15Z")) * 1_000_000n;
    assert.equal(relayFromNs(seam, "all"), seam);
    assert.equal(relayFromNs(seam, "rollup"), BigInt(Date.parse("2026-12-04T11:59:00Z")) * 1_000_000n);
  });
});
