import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { toFlowRow, type FlowRow } from "../flow-model";
import { changeImpacts, dropsCausedBy, type PolicyChange } from "./index";

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

function drop(min: number, charged: string, verdict = "DROPPED"): { row: FlowRow; charged: string } {
  const row = toFlowRow({ uuid: `u-${min}-${charged}-${verdict}`, time: at(min), verdict, source: { namespace: "a" }, destination: { namespace: "b" } });
  return { row, charged };
}

describe("which drops a policy change explains", () => {
  const history: PolicyChange[] = [
    { version: 1, since: at(-60), added: ["CiliumNetworkPolicy/b/old", "CiliumNetworkPolicy/b/egress"], changed: [], removed: [] },
    { version: 2, since: at(2), added: [], changed: ["CiliumNetworkPolicy/b/egress"], removed: [] },
    { version: 3, since: at(4), added: ["NetworkPolicy/b/deny"], changed: [], removed: ["CiliumNetworkPolicy/b/old"] },
  ];
  const drops = [
    drop(1, "CiliumNetworkPolicy/b/egress"),
    drop(3, "CiliumNetworkPolicy/b/egress"),
    drop(3.5, "CiliumNetworkPolicy/b/egress"),
    drop(5, "NetworkPolicy/b/deny"),
    drop(5, "NetworkPolicy/b/deny", "FORWARDED"),
    drop(6, "CiliumNetworkPolicy/b/other"),
  ];
  const keysOf = (r: FlowRow) => [drops.find((d) => d.row === r)!.charged];
  const window = { fromMs: T0, toMs: T0 + 10 * 60_000 };

  it("counts drops charged to each added or changed policy before and after, newest change first", () => {
    const impacts = changeImpacts(
      history,
      drops.map((d) => d.row),
      keysOf,
      window,
    );
    assert.deepEqual(
      impacts.map((i) => [i.version, i.dropsAfter, i.removed, i.policies.map((p) => [p.key, p.how, p.before, p.after])]),
      [
        [3, 1, ["CiliumNetworkPolicy/b/old"], [["NetworkPolicy/b/deny", "added", 0, 1]]],
        [2, 2, [], [["CiliumNetworkPolicy/b/egress", "changed", 1, 2]]],
      ],
    );
  });

  it("leaves out the initial load and changes outside the window", () => {
    assert.deepEqual(
      changeImpacts(history, [], keysOf, { fromMs: T0 + 3 * 60_000, toMs: T0 + 10 * 60_000 }).map((i) => i.version),
      [3],
    );
    assert.deepEqual(changeImpacts(history.slice(0, 1), [], keysOf, { fromMs: 0, toMs: Infinity }), []);
  });

  it("counts the drops after a change that the version before it would have allowed", () => {
    const rows = drops.map((d) => d.row).sort((a, b) => b.timeMs - a.timeMs);
    const since = T0 + 2 * 60_000;
    // Before the change, only NetworkPolicy b/deny's drops would have been allowed; "other" cannot be told.
    const before = (r: FlowRow) => {
      const key = keysOf(r)[0];
      return key === "CiliumNetworkPolicy/b/other" ? undefined : key === "NetworkPolicy/b/deny";
    };
    const r = dropsCausedBy(since, rows, before);
    assert.equal(r.checked, 3, "the drops at 3, 3.5 and 5 minutes (not the forwarded flow, not the unknown one)");
    assert.equal(r.caused, 1);
    assert.deepEqual(r.ids, [drops[3].row.id]);
    assert.equal(dropsCausedBy(since, rows, before, 1).checked, 1, "bounded");
  });
});
