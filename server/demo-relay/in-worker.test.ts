import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RelayClient } from "@/server/relay-client/relay-client";
import { DemoRelayOptionError } from "./index";
import { startDemoRelayThread } from "./in-worker";

// The embedded demo relay as the dashboard starts it: on a thread of its own, a real gRPC server.

const connection = (address: string) => ({ address, tls: null, dialTimeoutMs: 2_000, requestTimeoutMs: 5_000 });

describe("the demo relay on its own thread", () => {
  it("serves the Observer API, keeps simulating while this thread is busy, and stops on close", async () => {
    const relay = await startDemoRelayThread({ scenario: "shop", seed: 7, rate: 1000 });
    const client = new RelayClient(connection(relay.address));
    try {
      const before = (await client.serverStatus()).seenFlows;
      assert.ok(before > 0n);
      // A second of this thread doing nothing else: the relay's own thread goes on simulating.
      const until = Date.now() + 1000;
      while (Date.now() < until);
      const after = (await client.serverStatus()).seenFlows;
      assert.ok(after - before >= 750n, `the relay simulated ${after - before} flows while this thread was blocked for 1 s at 1,000/s`);
    } finally {
      client.close();
      await relay.close();
    }
    const again = new RelayClient({ ...connection(relay.address), dialTimeoutMs: 500 });
    try {
      await assert.rejects(() => again.serverStatus());
    } finally {
      again.close();
    }
  });

  it("a bad option comes back as the same error the relay would throw in-process", async () => {
    await assert.rejects(
      () => startDemoRelayThread({ rate: -5 }),
      (err: unknown) => err instanceof DemoRelayOptionError && /--rate must be a positive number/.test(err.message),
    );
    await assert.rejects(() => startDemoRelayThread({ bufferCapacity: 1000 }), DemoRelayOptionError);
  });

  it("a scenario that does not exist is refused with its name", async () => {
    await assert.rejects(() => startDemoRelayThread({ scenario: "no-such-scenario" }), /no-such-scenario/);
  });
});
