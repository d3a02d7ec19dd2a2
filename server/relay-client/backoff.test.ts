import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_BACKOFF, abortableSleep, backoffCeiling, backoffDelay } from "./backoff";

describe("exponential backoff with full jitter (base 500 ms, cap 30 s)", () => {
  it("the ceiling doubles per attempt from the base and stops at the cap", () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffCeiling(n));
    assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("the delay is uniform over [0, ceiling): the random draw scales it", () => {
    assert.equal(
      backoffDelay(3, DEFAULT_BACKOFF, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(3, DEFAULT_BACKOFF, () => 0.5),
      1000,
    );
    assert.equal(
      backoffDelay(3, DEFAULT_BACKOFF, () => 0.999999),
      1999,
    );
    assert.equal(
      backoffDelay(50, DEFAULT_BACKOFF, () => 0.999999),
      29999,
    );
  });

  it("never exceeds the cap, whatever the attempt", () => {
    for (let attempt = 1; attempt < 2000; attempt += 37) {
      const delay = backoffDelay(attempt, { baseMs: 500, capMs: 30_000 }, Math.random);
      assert.ok(delay >= 0 && delay < 30_000, `${attempt}: ${delay}`);
    }
  });

  it("a custom policy is honoured", () => {
    assert.equal(backoffCeiling(4, { baseMs: 10, capMs: 50 }), 50);
    assert.equal(backoffCeiling(2, { baseMs: 10, capMs: 50 }), 20);
  });
});

describe("abortableSleep", () => {
  it("resolves early when aborted and leaves no timer behind", async () => {
    const ctl = new AbortController();
    const started = Date.now();
    const sleeping = abortableSleep(60_000, ctl.signal);
    ctl.abort();
    await sleeping;
    assert.ok(Date.now() - started < 1000);
  });

  it("resolves at once on an already-aborted signal", async () => {
    const ctl = new AbortController();
    ctl.abort();
    await abortableSleep(60_000, ctl.signal);
  });
});
