import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { samplingNotice, samplingSummary } from "./flow-budget";
import type { SamplingAccount } from "./sse";

const account = (seenF: number, sentF: number, seenP = 0, sentP = seenP): SamplingAccount => ({
  budget: 1000,
  seen: { forwarded: seenF, priority: seenP },
  sent: { forwarded: sentF, priority: sentP },
});

describe("flow budget notice", () => {
  it("says nothing while every flow reaches the table", () => {
    assert.equal(samplingNotice(account(500, 500, 10), undefined), undefined);
    assert.equal(samplingNotice(account(2000, 2000), account(1000, 1000)), undefined);
  });

  it("gives the forwarded share over the last interval, not since the start", () => {
    // Before: everything passed; in the last second, 20,000 seen and 1,000 sent.
    const s = samplingSummary(account(21_000, 2000), account(1000, 1000));
    assert.equal(s.forwardedSeen, 20_000);
    assert.equal(s.forwardedSent, 1000);
    assert.equal(s.oneIn, 20);
    assert.match(samplingNotice(account(21_000, 2000), account(1000, 1000))!, /^Showing 1 in 20 forwarded flows \(1,000 of 20,000\)/);
  });

  it('says how many when fewer than one in two were left out (never "1 in 1")', () => {
    assert.match(samplingNotice(account(1304, 1279), undefined)!, /^Showing 1,279 of 1,304 forwarded flows/);
  });

  it("says when drops and errors alone fill the budget", () => {
    const text = samplingNotice(account(5000, 0, 3000, 1000), undefined)!;
    assert.match(text, /showing none of 5,000 forwarded flows/i);
    assert.match(text, /1,000 of 3,000 drops, audits and errors/);
  });

  it("claims every flow counted only while Hubble lost none", () => {
    assert.match(samplingNotice(account(21_000, 2000), account(1000, 1000))!, /count every flow\. Pause/);
    assert.match(samplingNotice(account(21_000, 2000), account(1000, 1000), true)!, /count every flow that arrived\. Pause/);
  });
});
