import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EDGE_COLUMNS, type EdgeKey, edgeKeyString } from "./store";

describe("edge keys", () => {
  const edge: EdgeKey = {
    srcNamespace: "shop",
    srcWorkload: "frontend",
    srcIdentity: 1001,
    dstNamespace: "payments",
    dstWorkload: "reserved:world",
    dstIdentity: 2,
    dstPort: 443,
    protocol: "TCP",
    verdict: "DROPPED",
    dropReason: "POLICY_DENIED",
    direction: "EGRESS",
    flowType: "L3_L4",
  };

  it("name every column, in EDGE_COLUMNS order, NUL between", () => {
    assert.equal(edgeKeyString(edge), EDGE_COLUMNS.map((c) => String(edge[c])).join("\u0000"));
  });

  it("differ when any one column differs", () => {
    for (const c of EDGE_COLUMNS) {
      const other = { ...edge, [c]: typeof edge[c] === "number" ? (edge[c] as number) + 1 : `${edge[c]}x` };
      assert.notEqual(edgeKeyString(other), edgeKeyString(edge), c);
    }
  });
});
