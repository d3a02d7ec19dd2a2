import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FlowHistory, openFlowHistory } from "@/server/flow-store";
import { records, SECOND_NS, T0_NS } from "@/server/flow-store/testing/fixtures";
import { ALL_NAMESPACES, namespacesAccess, type NamespaceAccess } from "@/lib/access/scope";
import { flowCountsResponse } from "./flow-counts";
import { testDataDir } from "./testing";

// GET /api/flows/counts over a real SQLite flow history (read-only replica: no recorder).

const T0 = new Date(Number(T0_NS / 1_000_000n));
const get = (history: FlowHistory | undefined, query: string, access: NamespaceAccess = ALL_NAMESPACES) =>
  flowCountsResponse(new Request(`http://lens.test/api/flows/counts?${query}`), history, access, new Date(T0.getTime() + 3_600_000));

describe("GET /api/flows/counts", () => {
  let history: FlowHistory;
  before(async () => {
    history = (await openFlowHistory(
      { mode: "read", keep: "all", filter: null, retentionMs: 86_400_000, maxBytes: 0, clickhouseUrl: null },
      { relay: { getFlows: () => [] as never }, dataDir: testDataDir() },
    ))!;
    await history.store.write([
      ...records(120, { stepNs: SECOND_NS, srcNs: "shop", dstNs: "shop" }),
      ...records(30, { stepNs: 2n * SECOND_NS, srcNs: "shop", dstNs: "bank", dstApp: "ledger", verdict: "DROPPED" }),
    ]);
  });
  after(() => history.close());

  it("counts every recorded flow per edge over the window, drops by namespace, per minute on request", async () => {
    const all = (await (await get(history, "since=2h")).json()) as { total: number; edges: { count: number }[] };
    assert.equal(all.total, 150);
    const drops = (await (await get(history, "since=2h&verdict=DROPPED&namespace=bank")).json()) as { total: number; edges: { dstWorkload: string; dropReason: string }[] };
    assert.equal(drops.total, 30);
    assert.deepEqual(
      drops.edges.map((e) => [e.dstWorkload, e.dropReason]),
      [["ledger", "POLICY_DENIED"]],
    );
    const perMinute = (await (await get(history, `since=${T0.toISOString()}&per=minute`)).json()) as { edges: { minuteMs: number }[] };
    assert.ok(new Set(perMinute.edges.map((e) => e.minuteMs)).size >= 2);
  });

  it("counts only edges with an end in the person's namespaces, and refuses another namespace", async () => {
    const shopOnly = (await (await get(history, "since=2h", namespacesAccess(["shop"]))).json()) as { total: number };
    assert.equal(shopOnly.total, 150, "shop → bank has an end in shop");
    const bankOnly = (await (await get(history, "since=2h", namespacesAccess(["bank"]))).json()) as { total: number };
    assert.equal(bankOnly.total, 30, "only the drops into bank");
    const other = (await (await get(history, "since=2h", namespacesAccess(["other"]))).json()) as { total: number };
    assert.equal(other.total, 0);
    assert.equal((await get(history, "since=2h&namespace=shop", namespacesAccess(["bank"]))).status, 403);
  });

  it("answers bad parameters with a 400 naming them, and history off with a 501", async () => {
    for (const [query, param] of [
      ["", "since"],
      ["since=yesterday-ish", "since"],
      ["since=2h&verdict=MAYBE", "verdict"],
      ["since=2h&namespace=Not_A_Namespace", "namespace"],
      ["since=2h&per=hour", "per"],
      ["since=1h&until=2h", "until"],
    ]) {
      const res = await get(history, query);
      assert.equal(res.status, 400, query);
      assert.equal(((await res.json()) as { error: { param: string } }).error.param, param, query);
    }
    assert.equal((await get(undefined, "since=2h")).status, 501);
  });
});
