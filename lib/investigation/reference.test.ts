import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FlowReferenceView } from "../api/investigations";
import { emptyFlowQuery } from "../filter-model";
import { referenceAvailability, savedFlowsRead, type SavedFlowsRead } from "./reference";
import { snapshotFlows } from "./snapshot";

const ref = (overrides: Partial<FlowReferenceView> = {}): FlowReferenceView => ({
  since: "2026-01-15T09:55:00.000Z",
  until: "2026-01-15T10:00:00.000Z",
  savedCount: 1234,
  history: "on",
  reachesBack: "2026-01-15T09:00:00.000Z",
  ...overrides,
});
const read = (lines: number): SavedFlowsRead => ({ state: "read", lines });

describe("what a referenced investigation's page says of its flows", () => {
  it("complete only when the read finished with as many lines as were saved", () => {
    assert.deepEqual(referenceAvailability(ref(), read(1234)), { state: "complete", remaining: 1234 });
    assert.deepEqual(referenceAvailability(ref(), { state: "reading" }), { state: "reading" });
    assert.equal(referenceAvailability(ref(), read(1233)).state, "incomplete");
    assert.equal(referenceAvailability(ref(), read(1235)).state, "incomplete");
  });

  const cases: { name: string; ref: FlowReferenceView; read: SavedFlowsRead; remaining: number | null; message: string }[] = [
    {
      name: "retention removed some: how many of how many, and how far back history reaches now",
      ref: ref({ reachesBack: "2026-01-15T09:57:00.000Z" }),
      read: read(1000),
      remaining: 1000,
      message:
        "1,000 of the 1,234 flows saved remain: retention has removed the others (the flow history now reaches back to 2026-01-15T09:57:00.000Z; this window starts 2026-01-15T09:55:00.000Z).",
    },
    {
      name: "retention removed all, history empty",
      ref: ref({ reachesBack: null }),
      read: read(0),
      remaining: 0,
      message: "0 of the 1,234 flows saved remain: retention has removed the others, and the flow history is empty now.",
    },
    {
      name: "flows recorded late: more than saved",
      ref: ref(),
      read: read(1240),
      remaining: 1240,
      message: "1,240 of the 1,234 flows saved remain: the flow history now holds more flows of this window than when it was saved (flows recorded late).",
    },
    {
      name: "fewer, while how far back history reaches is unknown: the count still said",
      ref: ref({ history: "unknown", reachesBack: null }),
      read: read(3),
      remaining: 3,
      message: "3 of the 1,234 flows saved remain: retention has removed the others (how far back the flow history reaches could not be read just now).",
    },
    {
      name: "the read failed or was cut short: not known, never complete",
      ref: ref(),
      read: { state: "failed" },
      remaining: null,
      message: "The flow history could not be read just now, so it is not known how many of the 1,234 flows saved remain; reload to try again.",
    },
    {
      name: "history off: none can be read, whatever the read found",
      ref: ref({ history: "off", reachesBack: null }),
      read: read(0),
      remaining: 0,
      message: "Flow history is off on this server: none of the 1,234 flows this investigation points at can be read.",
    },
    {
      name: "history off: said while the flows are still being read",
      ref: ref({ history: "off", reachesBack: null }),
      read: { state: "reading" },
      remaining: 0,
      message: "Flow history is off on this server: none of the 1,234 flows this investigation points at can be read.",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(referenceAvailability(c.ref, c.read), { state: "incomplete", remaining: c.remaining, message: c.message });
    });
  }
});

describe("a saved flows answer's read", () => {
  const line = (i: number) => JSON.stringify({ flow: { uuid: `u${i}`, verdict: i % 2 === 0 ? "FORWARDED" : "DROPPED", time: "2026-01-15T09:56:00Z" } });
  const body = (n: number) => Array.from({ length: n }, (_, i) => `${line(i)}\n`).join("");
  const query = { ...emptyFlowQuery(), verdicts: ["DROPPED" as const] };

  it("counts every line the server sent, also those the view's query leaves out", () => {
    const snapshot = snapshotFlows(body(5), query, new Date());
    assert.equal(snapshot.flows.length, 2);
    assert.deepEqual(savedFlowsRead(snapshot), { state: "read", lines: 5 });
  });

  it("an empty answer is a whole one: none remain", () => {
    assert.deepEqual(savedFlowsRead(snapshotFlows("", query, new Date())), { state: "read", lines: 0 });
  });

  it("an answer that stops mid-line was cut short: failed, not a count", () => {
    const whole = body(5);
    const cut = whole.slice(0, whole.length - 10);
    assert.deepEqual(savedFlowsRead(snapshotFlows(cut, query, new Date())), { state: "failed" });
  });
});
