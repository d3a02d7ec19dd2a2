import assert from "node:assert/strict";
import { getPriority } from "node:os";
import { describe, it } from "node:test";
import { startDemoRelayThread } from "@/server/demo-relay/in-worker";
import { testDataDir } from "@/server/http/testing";
import { waitUntil } from "@/lib/testing/wait";
import { openFlowHistory } from "./index";

// The recorder as the runtime starts it, for a relay connection: on a thread of its own, with its
// own relay stream and SQLite connection; this thread reads what it wrote.

describe("the recorder on its own thread", () => {
  it("records while this thread is busy, its status reaches this thread, and this thread reads what it wrote", async () => {
    const relay = await startDemoRelayThread({ scenario: "shop", seed: 5, rate: 2000 });
    const niceBefore = getPriority();
    const history = (await openFlowHistory(
      { mode: "record", keep: "all", filter: null, retentionMs: 86_400_000, maxBytes: 0, clickhouseUrl: null },
      { relay: { address: relay.address, tls: null, dialTimeoutMs: 2000, requestTimeoutMs: 5000 }, dataDir: testDataDir() },
    ))!;
    try {
      const recorder = history.recorder!;
      // Background work: its thread runs nicer than this one, and this one's priority is unchanged.
      assert.equal(recorder.nice, Math.min(19, niceBefore + 10));
      assert.equal(getPriority(), niceBefore);
      await waitUntil(() => recorder.status.written > 0, "the first write", 20_000);
      // 2.5 s of this thread doing nothing else: the recorder's thread goes on writing.
      // (SQLite answers on this thread without giving the event loop a turn: a recorder on this
      // thread could not have written in between.)
      const before = (await history.store.usage()).flows;
      const blockedAt = Date.now();
      while (Date.now() < blockedAt + 2500);
      const during = (await history.store.usage()).flows - before;
      assert.ok(during >= 2000, `${during} flows stored while this thread was blocked for 2.5 s at 2,000 flows/s`);
      await waitUntil(() => recorder.status.written >= before + during, "the status to catch up with the store");

      const status = await history.status();
      assert.equal(status.recorder?.state, "live");
      assert.ok(status.flows > 0, `${status.flows} flows stored`);
      // The thread reports every 250 ms and goes on writing: the store may be ahead of the last
      // report by then, and the next reports account for it.
      await waitUntil(() => recorder.status.written >= status.flows, `the status to reach the ${status.flows} flows stored`);
      assert.equal(await history.store.newestTimeNs().then((n) => n !== null && n > 0n), true);
    } finally {
      await history.close();
      await relay.close();
    }
    assert.equal(history.recorder!.status.state, "stopped");
  });
});
