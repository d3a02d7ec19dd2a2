// The status monitor against the embedded demo relay: the relay round is cached, the server's own
// outage count never is.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type RunningDemoRelay, startDemoRelay } from "@/server/demo-relay";
import { RelayClient } from "@/server/relay-client/relay-client";
import { RelayOutages } from "@/server/relay-outages";
import { StatusMonitor } from "./status-monitor";

describe("StatusMonitor", () => {
  let relay: RunningDemoRelay;
  let client: RelayClient;
  before(async () => {
    relay = await startDemoRelay({ rate: 50, seed: 1 });
    client = new RelayClient({ address: relay.address, tls: null, dialTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
  });
  after(async () => {
    client.close();
    await relay.close();
  });

  it("caches the relay's answers for a moment but counts an outage that ended since at once", async () => {
    let nowMs = 1_000_000;
    const outages = new RelayOutages();
    const monitor = new StatusMonitor(
      client,
      true,
      () => nowMs,
      () => outages.summary(),
    );
    const first = await monitor.status();
    assert.equal(first.relay.reachable, true);
    assert.equal(first.relay.outages.count, 0);

    // A stream is live again a moment later: the next answer, still from the cached relay round,
    // counts it.
    outages.record({ from: new Date(nowMs - 800), to: new Date(nowMs - 300) });
    nowMs += 500;
    const second = await monitor.status();
    assert.equal(second.relay.checkedAt, first.relay.checkedAt, "the relay round is cached");
    assert.equal(second.relay.outages.count, 1);
    assert.equal(second.relay.outages.totalSeconds, 0.5);

    // Past the cache's life the relay is asked again.
    nowMs += 5_000;
    const third = await monitor.status();
    assert.notEqual(third.relay.checkedAt, first.relay.checkedAt);
    assert.equal(third.relay.outages.count, 1);
  });
});
