import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startDemoRelay, type RunningDemoRelay } from "@/server/demo-relay";
import { createClock } from "@/server/demo-relay/clock";
import type { EpochNs } from "@/lib/timestamp";
import { RelayClient } from "@/server/relay-client/relay-client";
import { waitUntil as waitFor } from "@/lib/testing/wait";
import { FlowRecorder } from "./recorder";
import { openSqliteFlowStore } from "./sqlite";
import type { FlowStore, StoredFlow } from "./store";

// The recorder against the real demo relay (gRPC), through the real client and follower, on the
// real SQLite store: across its own restart and the relay's, the store ends up with exactly the
// flows the relays held, each once. The relays' rings are big enough never to rotate, so every
// flow they ever held is the ground truth.

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function ringUuids(relay: RunningDemoRelay): string[] {
  const out: string[] = [];
  for (const node of relay.cluster.nodes) {
    for (let seq = node.ring.oldestSeq; seq < node.ring.writeSeq; seq++) {
      const e = node.ring.at(seq);
      if (e && !e.isLost && e.response.responseTypes.case === "flow") out.push(e.response.responseTypes.value.uuid);
    }
  }
  return out;
}

async function storedKeys(store: FlowStore): Promise<string[]> {
  const out: string[] = [];
  for await (const f of store.flows({}) as AsyncIterable<StoredFlow>) out.push(f.key);
  return out;
}

/**
 * The relay's clock, frozen on demand: frozen, its simulation emits nothing more, so every flow in
 * its rings can reach the recorder before the relay closes. (A relay that goes away mid-stream loses
 * the flows still on their way, as a real one does: those are not the recorder's to have.)
 */
function freezableClock(): { now: () => EpochNs; freeze(): void } {
  const clock = createClock();
  let frozen: EpochNs | null = null;
  return { now: () => frozen ?? clock(), freeze: () => (frozen = clock()) };
}

/** Waits until the store holds every flow in the relay's rings (its clock frozen first). */
async function drained(relay: RunningDemoRelay, store: FlowStore): Promise<void> {
  const uuids = ringUuids(relay);
  let missing = uuids.length;
  const allStored = async () => {
    const stored = new Set(await storedKeys(store));
    missing = uuids.filter((u) => !stored.has(u)).length;
    return missing === 0;
  };
  await waitFor(allStored, "every flow the relay held recorded", 20_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}: ${missing} of ${uuids.length} still missing`);
  });
}

/** Flows a relay has emitted so far (every node's ring position): its clock, for "a while later". */
function relayFlows(relay: RunningDemoRelay): number {
  return relay.cluster.nodes.reduce((n, node) => n + node.ring.writeSeq, 0);
}

describe("flow recorder", () => {
  it("resumes across its own restart and the relay's with 0 gaps and 0 duplicates", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hubble-lens-recorder-"));
    temps.push(dir);
    // 30 s of simulated history at start, then live: 300 flows/s over 4 nodes, rings never rotate.
    const clockA = freezableClock();
    const relayA = await startDemoRelay({ rate: 300, bufferCapacity: 65535, seed: 3, now: clockA.now });
    const client = new RelayClient({ address: relayA.address, tls: null, dialTimeoutMs: 2000, requestTimeoutMs: 2000 });
    const recorderFor = (store: FlowStore) => new FlowRecorder({ source: client, store, mode: "all", flushMs: 100, maxBatch: 2000 });
    try {
      let store = openSqliteFlowStore(dir);
      let recorder = recorderFor(store);
      await recorder.start();
      await waitFor(() => recorder.status.written > 9000, "the relay's history recorded", 20_000);
      const live = recorder.status.written;
      await waitFor(() => recorder.status.written > live + 100, "live flows recorded", 20_000);

      // The server restarts: the relay goes on without it for a while.
      await recorder.stop();
      const beforeRestart = recorder.status.written;
      await store.close();
      // Down while the relay goes on: ~1 s of its flows (300/s) are the recorder's to catch up on.
      const down = relayFlows(relayA);
      await waitFor(() => relayFlows(relayA) > down + 300, "the relay going on without the recorder", 20_000);
      store = openSqliteFlowStore(dir);
      recorder = recorderFor(store);
      await recorder.start();
      await waitFor(() => recorder.status.written > 300, "flows recorded after the restart", 20_000);
      assert.ok(recorder.status.duplicates > 0, "the resume overlap repeated flows the store dropped");

      // The relay restarts (its buffers start empty, new uuids) on the same address, once what it
      // held has reached the recorder.
      clockA.freeze();
      await drained(relayA, store);
      await relayA.close();
      const truthA = ringUuids(relayA);
      await waitFor(() => recorder.status.state !== "live", "the recorder noticing the relay gone", 20_000);
      const clockB = freezableClock();
      const relayB = await startDemoRelay({ port: relayA.port, rate: 300, bufferCapacity: 65535, seed: 4, epochNs: BigInt(Date.now()) * 1_000_000n, now: clockB.now });
      try {
        await waitFor(() => recorder.status.state === "live", "the recorder live on the new relay", 20_000);
        const atB = recorder.status.written;
        await waitFor(() => recorder.status.written > atB + 300, "flows of the new relay recorded", 20_000);
        clockB.freeze();
        await drained(relayB, store);
      } finally {
        await relayB.close();
      }
      const truthB = ringUuids(relayB);
      // The relay gone, nothing more arrives: once not live with nothing pending, all is written.
      await waitFor(() => recorder.status.state !== "live" && recorder.status.pending === 0, "the recorder's backlog written", 20_000);
      await recorder.stop();

      const stored = await storedKeys(store);
      const truth = new Set([...truthA, ...truthB]);
      assert.equal(truth.size, truthA.length + truthB.length, "the two relays' uuids differ");
      const storedSet = new Set(stored);
      assert.equal(stored.length, storedSet.size, "no flow stored twice");
      const missing = [...truth].filter((u) => !storedSet.has(u));
      const extra = stored.filter((u) => !truth.has(u));
      assert.deepEqual({ missing: missing.length, extra: extra.length }, { missing: 0, extra: 0 });
      assert.ok(beforeRestart > 9000 && stored.length > beforeRestart + 600, `${beforeRestart} then ${stored.length}`);
      await store.close();
    } finally {
      client.close();
      await relayA.close().catch(() => undefined);
    }
  });
});
