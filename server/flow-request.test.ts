import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFlowRequest } from "./flow-request";

// /api/flows and /api/flows/history parameters: times the relay would accept but that make no
// sense for a view are refused with a 400 that names the parameter.

const NOW = new Date("2026-01-01T12:00:00Z");
const parse = (q: string) => parseFlowRequest(new URLSearchParams(q), NOW);

describe("parseFlowRequest times", () => {
  it("takes a duration back from now and an absolute time", () => {
    assert.equal(parse("since=5m").ok, true);
    assert.equal(parse("since=2026-01-01T11:00:00Z&until=2026-01-01T11:30:00Z").ok, true);
  });

  for (const since of ["-5m", "2026-01-01T13:00:00Z"]) {
    it(`refuses since=${since}: a time in the future`, () => {
      const r = parse(`since=${encodeURIComponent(since)}`);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.problem.param, "since");
      assert.match(r.problem.message, /must not be in the future/);
    });
  }

  it("says what was probably meant by a negative duration", () => {
    const r = parse("since=-5m");
    assert.ok(!r.ok && /write 5m/.test(r.problem.message));
  });

  it("tolerates a minute of clock skew", () => {
    assert.equal(parse("since=2026-01-01T12:00:30Z").ok, true);
  });
});
