import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { FlowFilterSchema, FlowSchema, Verdict } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsRequest, GetFlowsRequestSchema, type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { compileFlowFilters } from "@/lib/filters/compile";
import { nsToTimestamp, timestampToNs } from "@/lib/timestamp";
import type { RelayResponse } from "@/server/grpc/raw-flows";
import { historyBackedQuery, type QueryFlows } from "./history-query";
import { recordOf } from "./records";
import { openSqliteFlowStore, type SqliteFlowStore } from "./sqlite";
import { flowBytes, flowJson, SECOND_NS, T0_NS } from "./testing/fixtures";

// The live/history seam: a window answered by the store up to the seam and by the relay after it.
// The relay here is a fake that answers since/until over the flows it "still holds".

const dir = mkdtempSync(join(tmpdir(), "hubble-lens-seam-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 120 flows, one a second from T0; every 10th dropped. */
const flows: JsonObject[] = Array.from({ length: 120 }, (_, i) => flowJson({ atNs: BigInt(i) * SECOND_NS, verdict: i % 10 === 0 ? "DROPPED" : "FORWARDED" }));
const at = (i: number) => T0_NS + BigInt(i) * SECOND_NS;

function relayHolding(from: number, to: number, asked: GetFlowsRequest[]): QueryFlows {
  return async function* (req) {
    asked.push(req);
    const since = req.since ? timestampToNs(req.since) : -1n;
    const until = req.until ? timestampToNs(req.until) : 2n ** 62n;
    const match = compileFlowFilters(req.whitelist, req.blacklist);
    for (let i = from; i <= to; i++) {
      const flow = fromJson(FlowSchema, flows[i]);
      if (at(i) < since || at(i) > until || !match(flow)) continue;
      yield create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: "node-a" });
    }
  };
}

function uuidOf(r: RelayResponse): string {
  return r.wire?.uuid ?? (r.responseTypes.case === "flow" ? r.responseTypes.value.uuid : "");
}

async function run(query: QueryFlows, req: GetFlowsRequest): Promise<GetFlowsResponse[]> {
  const out: GetFlowsResponse[] = [];
  for await (const r of query(req, new AbortController().signal)) out.push(r);
  return out;
}

describe("history-backed window query", () => {
  let store: SqliteFlowStore;
  // The recorder has written flows 0..99; the relay still holds 90..119.
  const newest = at(99);
  before(async () => {
    store = openSqliteFlowStore(dir);
    await store.write(flows.slice(0, 100).map((j) => recordOf(j, flowBytes(j), "all")));
  });
  after(() => store.close());

  it("joins the store and the relay at the seam: every flow of the window once, in order", async () => {
    const asked: GetFlowsRequest[] = [];
    const query = historyBackedQuery(relayHolding(90, 119, asked), { store, newestWrittenNs: () => newest });
    const got = await run(query, create(GetFlowsRequestSchema, { since: nsToTimestamp(at(0)) }));
    assert.deepEqual(
      got.map(uuidOf),
      flows.map((f) => f.uuid),
    );
    assert.equal(asked.length, 1);
    assert.equal(timestampToNs(asked[0].since), newest - 5n * SECOND_NS, "the relay is asked from the seam");
  });

  it("answers a past window from the store alone", async () => {
    const asked: GetFlowsRequest[] = [];
    const query = historyBackedQuery(relayHolding(90, 119, asked), { store, newestWrittenNs: () => newest });
    const got = await run(query, create(GetFlowsRequestSchema, { since: nsToTimestamp(at(10)), until: nsToTimestamp(at(19)) }));
    assert.deepEqual(
      got.map(uuidOf),
      flows.slice(10, 20).map((f) => f.uuid),
    );
    assert.equal(asked.length, 0);
  });

  it("applies Hubble filters to stored flows, and finds a linked flow by uuid", async () => {
    const query = historyBackedQuery(relayHolding(90, 119, []), { store, newestWrittenNs: () => newest });
    const drops = await run(query, create(GetFlowsRequestSchema, { since: nsToTimestamp(at(0)), whitelist: [create(FlowFilterSchema, { verdict: [Verdict.DROPPED] })] }));
    assert.deepEqual(
      drops.map(uuidOf),
      flows.filter((_, i) => i % 10 === 0).map((f) => f.uuid),
    );
    const link = await run(
      query,
      create(GetFlowsRequestSchema, { since: nsToTimestamp(at(0)), number: 1n, whitelist: [create(FlowFilterSchema, { uuid: [flows[42].uuid as string] })] }),
    );
    assert.deepEqual(link.map(uuidOf), [flows[42].uuid]);
    assert.equal(link[0].nodeName, "node-a");
    assert.equal(timestampToNs(link[0].time), at(42));
  });

  it("starts a window that holds too many stored flows at the minute from which its newest fit: no gap before the live flows", async () => {
    // T0 is 45 s into its minute: flows 0..54 fall in the first minute, 55..99 in the next.
    const query = historyBackedQuery(relayHolding(90, 119, []), { store, newestWrittenNs: () => newest }, 50);
    const got = await run(query, create(GetFlowsRequestSchema, { since: nsToTimestamp(at(0)) }));
    assert.deepEqual(
      got.map(uuidOf),
      flows.slice(55).map((f) => f.uuid),
    );
  });

  it("stops a 'first N' request that reads too many stored flows after its first ones", async () => {
    const asked: GetFlowsRequest[] = [];
    const query = historyBackedQuery(relayHolding(90, 119, asked), { store, newestWrittenNs: () => newest }, 25);
    const got = await run(query, create(GetFlowsRequestSchema, { since: nsToTimestamp(at(0)), number: 1000n }));
    assert.deepEqual(
      got.map(uuidOf),
      flows.slice(0, 25).map((f) => f.uuid),
    );
    assert.equal(asked.length, 0, "the relay is not asked past a cut");
  });

  it("leaves the newest-N request of a live view to the relay", async () => {
    const asked: GetFlowsRequest[] = [];
    const query = historyBackedQuery(relayHolding(90, 119, asked), { store, newestWrittenNs: () => newest });
    const got = await run(query, create(GetFlowsRequestSchema, { number: 1000n }));
    assert.equal(got.length, 30);
    assert.equal(asked.length, 1);
  });
});
