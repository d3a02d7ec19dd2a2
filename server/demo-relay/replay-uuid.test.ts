import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { passUuid } from "./replay-feeder";

describe("looping replay uuids", () => {
  it("differ between passes and between flows, even for uuids that differ only at the end", () => {
    const originals = Array.from({ length: 50 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const seen = new Set(originals);
    for (let pass = 1; pass <= 50; pass++) {
      for (const u of originals) {
        const next = passUuid(u, pass);
        assert.ok(!seen.has(next), `${u} pass ${pass} collides`);
        seen.add(next);
      }
    }
  });

  it("are stable and shaped like a v4 uuid", () => {
    const u = "d54c1e24-5a8f-4a3e-9d2e-0c1b2a3f4e5d";
    assert.equal(passUuid(u, 3), passUuid(u, 3));
    assert.match(passUuid(u, 3), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
