import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { type Flow, FlowSchema, LostEventSchema, LostEventSource, Verdict } from "@/proto/gen/flow/flow_pb";
import { GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { nsToTimestamp } from "@/lib/timestamp";
import { DemoCluster, type NodeAgent, type RingEntry } from "./cluster";
import { type AgentQuery, type NodeCursor, readForward, startSeq } from "./history";
import { at, T0_NS } from "./test-support";

// Ring entries are written as compact specs: "3" is a forwarded flow at T0+3s, "3D" a dropped one,
// "3L" a lost event recorded at T0+3s. Each entry's label is its spec, so expectations read alike.

const NODE = "node-a";

function nodeWith(specs: string[], capacity = 15): NodeAgent {
  const cluster = new DemoCluster(capacity, () => T0_NS);
  cluster.addNode({ name: NODE, address: "10.0.0.1:4244" });
  cluster.append(specs.map((spec) => ({ nodeName: NODE, response: entry(spec) })));
  return cluster.node(NODE)!;
}

function entry(spec: string) {
  const t = Number.parseFloat(spec);
  const time = nsToTimestamp(at(t));
  if (spec.endsWith("L")) {
    const lost = create(LostEventSchema, { source: LostEventSource.PERF_EVENT_RING_BUFFER, numEventsLost: 1n });
    return create(GetFlowsResponseSchema, { responseTypes: { case: "lostEvents", value: lost }, nodeName: NODE, time });
  }
  const flow = create(FlowSchema, {
    time,
    uuid: spec,
    nodeName: NODE,
    verdict: spec.endsWith("D") ? Verdict.DROPPED : Verdict.FORWARDED,
  });
  return create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: NODE, time });
}

function label(e: RingEntry): string {
  return e.response.responseTypes.case === "flow" ? e.response.responseTypes.value.uuid : `${specTime(e)}L`;
}

function specTime(e: RingEntry): string {
  return String(Number(e.timeNs - T0_NS) / 1e9);
}

const all = () => true;
const dropped = (f: Flow) => f.verdict === Verdict.DROPPED;

function query(q: Partial<AgentQuery> & { since?: number; until?: number }): AgentQuery {
  return {
    number: q.number ?? 0n,
    first: q.first ?? false,
    follow: q.follow ?? false,
    sinceNs: q.since !== undefined ? at(q.since) : undefined,
    untilNs: q.until !== undefined ? at(q.until) : undefined,
    matches: q.matches ?? all,
  };
}

/** What one agent would send for `q`: start position, then read forward to the ring's end. */
function serve(node: NodeAgent, q: AgentQuery): { start: number; sent: string[]; ended: boolean } {
  const end = node.ring.writeSeq;
  const start = startSeq(node, q, end);
  const cursor: NodeCursor = { node, seq: start, ended: false, sent: 0n };
  const out: RingEntry[] = [];
  readForward(cursor, q, end, out);
  return { start, sent: out.map(label), ended: cursor.ended };
}

describe("startSeq + readForward follow Hubble's LocalObserverServer", () => {
  const ring = ["1", "2D", "3", "4L", "5", "6D", "7", "8"];
  const cases: Array<{ rule: string; q: AgentQuery; sent: string[] }> = [
    { rule: "number=0 outside follow walks the whole ring", q: query({}), sent: ring },
    { rule: "last N is the newest N, oldest first", q: query({ number: 2n }), sent: ["7", "8"] },
    {
      rule: "lost events are sent but not counted toward number",
      q: query({ number: 5n }),
      sent: ["3", "4L", "5", "6D", "7", "8"],
    },
    { rule: "number larger than the ring returns everything", q: query({ number: 100n }), sent: ring },
    {
      rule: "filters apply while counting: last N matching, not last N filtered",
      q: query({ number: 1n, matches: dropped }),
      sent: ["6D"],
    },
    {
      rule: "last N matching with N=2 reaches back past non-matching flows",
      q: query({ number: 2n, matches: dropped }),
      sent: ["2D", "4L", "6D"],
    },
    { rule: "lost events bypass filters", q: query({ matches: () => false }), sent: ["4L"] },
    { rule: "first takes the oldest N", q: query({ first: true, number: 3n }), sent: ["1", "2D", "3"] },
    { rule: "first with number=0 takes all", q: query({ first: true }), sent: ring },
    // The rewind stops at the first flow older than since; lost events on the way are kept.
    { rule: "since picks the start point", q: query({ since: 5 }), sent: ["4L", "5", "6D", "7", "8"] },
    {
      rule: "since wins over number: since+number is the first N at/after since",
      q: query({ since: 5, number: 2n }),
      sent: ["4L", "5", "6D"],
    },
    { rule: "since wins over first", q: query({ since: 7, first: true }), sent: ["7", "8"] },
    {
      rule: "since between two flows starts at the later one, with the lost event before it",
      q: query({ since: 4.5 }),
      sent: ["4L", "5", "6D", "7", "8"],
    },
    { rule: "since after the newest flow sends nothing", q: query({ since: 9 }), sent: [] },
    { rule: "until ends at the first flow after until", q: query({ until: 5 }), sent: ["1", "2D", "3", "4L", "5"] },
    { rule: "since and until bound both ends", q: query({ since: 2, until: 6 }), sent: ["2D", "3", "4L", "5", "6D"] },
    { rule: "follow with number=0 starts at the write position", q: query({ follow: true }), sent: [] },
    { rule: "follow with number=N starts N matching flows back", q: query({ follow: true, number: 3n }), sent: ["6D", "7", "8"] },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      assert.deepEqual(serve(nodeWith(ring), c.q).sent, c.sent);
    });
  }
});

describe("readForward", () => {
  it("until ends the node's stream for good, even if an older flow follows", () => {
    // Timestamps need not be monotonic in a ring; Hubble stops at the first flow past until.
    const node = nodeWith(["1", "2", "6", "3", "4"]);
    const r = serve(node, query({ until: 5 }));
    assert.deepEqual(r.sent, ["1", "2"]);
    assert.equal(r.ended, true);
  });

  it("outside follow, the node's part ends once number flows were sent", () => {
    const node = nodeWith(["1", "2", "3"]);
    const r = serve(node, query({ first: true, number: 2n }));
    assert.deepEqual(r.sent, ["1", "2"]);
    assert.equal(r.ended, true);
  });

  it("in follow mode, number does not cap what comes after the history", () => {
    const node = nodeWith(["1", "2", "3", "4"]);
    const q = query({ follow: true, number: 1n });
    const cursor: NodeCursor = { node, seq: startSeq(node, q, 2), ended: false, sent: 0n };
    const out: RingEntry[] = [];
    readForward(cursor, q, 2, out); // history as of two writes
    readForward(cursor, q, node.ring.writeSeq, out); // what arrived later
    assert.deepEqual(out.map(label), ["2", "3", "4"]);
    assert.equal(cursor.ended, false);
  });

  it("in follow mode, skips new flows older than since", () => {
    const cluster = new DemoCluster(15, () => T0_NS);
    cluster.append(["1", "5"].map((spec) => ({ nodeName: NODE, response: entry(spec) })));
    const node = cluster.node(NODE)!;
    const q = query({ follow: true, since: 4 });
    const cursor: NodeCursor = { node, seq: startSeq(node, q, node.ring.writeSeq), ended: false, sent: 0n };
    cluster.append(["3", "6"].map((spec) => ({ nodeName: NODE, response: entry(spec) })));
    const out: RingEntry[] = [];
    readForward(cursor, q, node.ring.writeSeq, out);
    assert.deepEqual(out.map(label), ["5", "6"]);
  });

  it("reads at most `limit` entries per call and resumes where it stopped", () => {
    const node = nodeWith(["1", "2", "3", "4", "5"]);
    const q = query({});
    const cursor: NodeCursor = { node, seq: 0, ended: false, sent: 0n };
    const out: RingEntry[] = [];
    readForward(cursor, q, node.ring.writeSeq, out, 2);
    assert.deepEqual(out.map(label), ["1", "2"]);
    readForward(cursor, q, node.ring.writeSeq, out, 2);
    assert.deepEqual(out.map(label), ["1", "2", "3", "4"]);
  });
});

describe("startSeq on a wrapped ring", () => {
  // Capacity 3 after six writes holds 4, 5, 6 (sequences 3..5).
  const specs = ["1", "2", "3", "4", "5D", "6"];
  const cases: Array<{ rule: string; q: AgentQuery; start: number }> = [
    { rule: "whole ring starts at the oldest held entry", q: query({}), start: 3 },
    { rule: "first starts at the oldest held entry", q: query({ first: true, number: 1n }), start: 3 },
    { rule: "a since older than the ring starts at the oldest held entry", q: query({ since: 0 }), start: 3 },
    { rule: "last N never rewinds past the oldest held entry", q: query({ number: 10n }), start: 3 },
    { rule: "last N matching", q: query({ number: 1n, matches: dropped }), start: 4 },
    { rule: "follow starts at the write position", q: query({ follow: true }), start: 6 },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const node = nodeWith(specs, 3);
      assert.equal(node.ring.oldestSeq, 3);
      assert.equal(serve(node, c.q).start, c.start);
    });
  }
});
