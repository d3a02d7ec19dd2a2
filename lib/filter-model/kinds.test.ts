import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FILTER_KINDS, KIND_SPECS } from "./kinds";

describe("KIND_SPECS (joined from kinds-endpoint, kinds-traffic and kinds-event)", () => {
  it("has one row per kind, in the order of FILTER_KINDS", () => {
    assert.deepEqual(Object.keys(KIND_SPECS), [...FILTER_KINDS]);
  });

  it("each row is filed under its own kind", () => {
    for (const kind of FILTER_KINDS) assert.equal(KIND_SPECS[kind].kind, kind);
  });
});
