import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchFlow, makeBatch } from "./batch";
import { FlowSampler } from "./sampler";
import { flowAt, flowResponse } from "./testing";
import { Verdict } from "@/proto/gen/flow/flow_pb";

const batchOf = (n: number, dropEvery = 0) =>
  makeBatch(
    Array.from({ length: n }, (_, i) =>
      batchFlow(flowResponse(flowAt(i / 1000, `u${i}`, dropEvery > 0 && i % dropEvery === 0 ? { verdict: Verdict.DROPPED } : { verdict: Verdict.FORWARDED }))),
    ),
  );

describe("FlowSampler (a browser's flow budget)", () => {
  it("passes a batch that fits as it is, shared frame included", () => {
    const s = new FlowSampler(1000, () => 0);
    const b = batchOf(100);
    assert.equal(s.take(b), b);
    assert.deepEqual(s.account().sent, { priority: 0, forwarded: 100 });
  });

  it("never sends more than the budget over time, drops first, and accounts for every flow", () => {
    let now = 0;
    const s = new FlowSampler(1000, () => now);
    let sent = 0;
    let drops = 0;
    // 20,000 flows/s for 5 s, one in 50 dropped, in batches of 500 every 25 ms.
    for (let i = 0; i < 200; i++) {
      now += 25;
      const out = s.take(batchOf(500, 50));
      sent += out?.flows.length ?? 0;
      for (const f of out?.flows ?? []) if (f.parsed?.priority) drops++;
    }
    const a = s.account();
    assert.equal(a.seen.priority + a.seen.forwarded, 100_000);
    assert.equal(a.sent.priority + a.sent.forwarded, sent);
    assert.ok(sent <= 1000 * 5 + 500, `within the budget plus one burst (${sent})`);
    assert.ok(sent >= 1000 * 5 - 100, `uses its budget (${sent})`);
    assert.equal(a.seen.priority, 2000);
    assert.equal(drops, 2000, "every drop is sent while drops alone fit the budget");
    assert.equal(a.sent.priority, 2000);
  });

  it("spreads the forwarded flows it keeps over the batch, not just its head", () => {
    let now = 0;
    const s = new FlowSampler(1000, () => now);
    now = 100; // 100 tokens at most per 0.1 s after the burst is spent
    s.take(batchOf(500)); // spends the burst
    now = 200;
    const out = s.take(batchOf(500))!;
    const idx = out.flows.map((f) => Number(String(f.key).slice(1)));
    assert.ok(idx.length > 50 && idx.length <= 100);
    assert.ok(idx.at(-1)! > 400, `the last kept flow is near the end (${idx.at(-1)})`);
  });
});
