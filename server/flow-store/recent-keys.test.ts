import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECENT_SECONDS, RecentKeys } from "./recent-keys";

const S = 1_000_000_000n;
const T = 1_767_323_045n * S;

describe("the keys a ClickHouse store wrote lately", () => {
  it("knows a key written within the window, and that another was not", () => {
    const recent = new RecentKeys(null);
    recent.add("a", T);
    recent.add("b", T + 3n * S);
    assert.equal(recent.has("a", T), true);
    assert.equal(recent.has("c", T + S), false);
  });

  it("does not know what is older than the window, nor what was stored before the process opened the store", () => {
    const recent = new RecentKeys(T + 2n * S);
    recent.add("x", T + 3n * S);
    assert.equal(recent.has("y", T + S), undefined, "stored before: ask the database");
    recent.add("z", T + BigInt(RECENT_SECONDS + 10) * S);
    assert.equal(recent.has("x", T + 3n * S), undefined, "older than the window: forgotten, ask the database");
    assert.equal(recent.has("z", T + BigInt(RECENT_SECONDS + 10) * S), true);
  });
});
