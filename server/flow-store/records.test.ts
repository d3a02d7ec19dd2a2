import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recordOf, nsFromRfc3339 } from "./records";
import { flowBytes, flowJson } from "./testing/fixtures";

describe("flow records", () => {
  it("counts a reply under its request's edge: client to the server's port, never an ephemeral port", () => {
    const request = flowJson({ srcApp: "frontend", dstApp: "catalog", port: 8080 });
    const reply = flowJson({ srcApp: "catalog", dstApp: "frontend", port: 41234 });
    reply.is_reply = true;
    reply.l4 = { TCP: { source_port: 8080, destination_port: 41234 } };
    const a = recordOf(request, flowBytes(request), "all").edge;
    const b = recordOf(reply, flowBytes(reply), "all").edge;
    assert.deepEqual([a.srcWorkload, a.dstWorkload, a.dstPort], ["frontend", "catalog", 8080]);
    assert.deepEqual([b.srcWorkload, b.dstWorkload, b.dstPort], ["frontend", "catalog", 8080]);
  });

  it("keeps drops, audits, errors and L7 in full in rollup mode, and forwarded L3/L4 only counted", () => {
    const kept = (spec: Parameters<typeof flowJson>[0]) => {
      const j = flowJson(spec);
      return recordOf(j, flowBytes(j), "rollup").keep;
    };
    assert.equal(kept({ verdict: "FORWARDED" }), false);
    assert.equal(kept({ verdict: "DROPPED" }), true);
    assert.equal(kept({ verdict: "AUDIT" }), true);
    assert.equal(kept({ verdict: "ERROR" }), true);
    assert.equal(kept({ verdict: "FORWARDED", l7: true }), true);
  });

  it("reads every nanosecond of an RFC 3339 time", () => {
    assert.equal(nsFromRfc3339("2026-01-02T03:04:05.123456789Z"), 1_767_323_045_123_456_789n);
    assert.equal(nsFromRfc3339("2026-01-02T03:04:05Z"), 1_767_323_045_000_000_000n);
    assert.equal(nsFromRfc3339("not a time"), null);
  });
});
