import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConcurrencyGate } from "./gate";

describe("ConcurrencyGate", () => {
  it("lets at most max through at once, the rest in arrival order", async () => {
    const gate = new ConcurrencyGate(2);
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    const work = async (i: number) => {
      const release = await gate.acquire();
      running++;
      peak = Math.max(peak, running);
      order.push(i);
      await new Promise((r) => setImmediate(r));
      running--;
      release();
      release(); // twice is harmless
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => work(i)));
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("a waiter that gives up leaves the queue and takes no slot", async () => {
    const gate = new ConcurrencyGate(1);
    const first = await gate.acquire();
    const ac = new AbortController();
    const gaveUp = gate.acquire(ac.signal);
    assert.equal(gate.queued, 1);
    ac.abort(new Error("client left"));
    await assert.rejects(gaveUp, /client left/);
    assert.equal(gate.queued, 0);
    first();
    const next = await gate.acquire();
    next();
  });
});
