import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { nsToTimestamp } from "@/lib/timestamp";
import { loadServerConfig } from "@/server/config/env";
import { flowHistoryResponse } from "@/server/http/flow-history";
import { testDataDir } from "@/server/http/testing";
import { waitUntil as waitFor } from "@/lib/testing/wait";
import { createRuntime, type Runtime } from "@/server/runtime";

// A shared window and a link to a flow, reopened after the relay's buffers rotated, through the
// real runtime (demo relay, recorder, SQLite, /api/flows/history): the same flows as before, and
// the linked flow found in the store although the relay no longer holds it.

async function ndjson(runtime: Runtime, query: string): Promise<{ uuid: string; time: string }[]> {
  const res = await flowHistoryResponse(new Request(`http://lens.test/api/flows/history?${query}`), runtime.flows);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.text())
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { flow?: { uuid: string; time: string } })
    .filter((l) => l.flow)
    .map((l) => ({ uuid: l.flow!.uuid, time: l.flow!.time }));
}

async function relayHolds(runtime: Runtime, sinceMs: number, untilMs: number): Promise<number> {
  const req = create(GetFlowsRequestSchema, { since: nsToTimestamp(BigInt(sinceMs) * 1_000_000n), until: nsToTimestamp(BigInt(untilMs) * 1_000_000n) });
  let n = 0;
  for await (const r of runtime.client.getFlows(req)) if (r.responseTypes.case === "flow") n++;
  return n;
}

describe("flow history through the runtime", () => {
  let runtime: Runtime;
  let startMs: number;
  before(async () => {
    // 4 nodes × 255 flows at 400 flows/s: the relay holds about 2.5 s.
    runtime = await createRuntime(
      loadServerConfig({ HUBBLE_LENS_DATA_DIR: testDataDir(), HUBBLE_LENS_DEMO_RATE: "400", HUBBLE_LENS_DEMO_BUFFER: "255", HUBBLE_LENS_DEMO_SEED: "11" }),
    );
    // The window starts once the recorder runs (its thread takes a few seconds to start here).
    startMs = Date.now();
  });
  after(async () => {
    await runtime?.close();
  });

  it("reopens a window after the relay rotated with exactly the same flows, and opens a linked flow from the store", async () => {
    const from = startMs + 1000;
    const to = startMs + 3000;
    const recorder = runtime.history!.recorder!;
    await waitFor(() => (recorder.status.newestMs ?? 0) > to + 500, "the window recorded", 20_000);
    const window = `since=${new Date(from).toISOString()}&until=${new Date(to).toISOString()}&follow=false&limit=100000`;
    const first = await ndjson(runtime, window);
    assert.ok(first.length > 500, `${first.length} flows in the window`);
    assert.equal(new Set(first.map((f) => f.uuid)).size, first.length, "no flow twice");

    await waitFor(() => (recorder.status.newestMs ?? 0) > to + 6000, "the relay's buffers rotated past the window", 30_000);
    const held = await relayHolds(runtime, from, to);
    assert.ok(held < first.length / 4, `the relay still holds ${held} of ${first.length}`);
    const again = await ndjson(runtime, window);
    assert.deepEqual(again, first);

    const linked = first[Math.floor(first.length / 2)];
    const link = await ndjson(runtime, `filter=${encodeURIComponent(`uuid=${linked.uuid}`)}&follow=false&limit=1&since=${new Date(from).toISOString()}`);
    assert.deepEqual(link, [linked]);

    const status = (await runtime.status.status()).history!;
    assert.equal(status.store, "sqlite");
    assert.ok(status.reachesBack && Date.parse(status.reachesBack) <= from, `history reaches back to ${status.reachesBack}`);
    assert.equal(status.recorder?.behind, false);
  });
});
