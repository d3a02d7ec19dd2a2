import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isInvestigationId, newInvestigationId } from "./ids";

describe("investigation ids", () => {
  it("are 22 base64url chars carrying 128 random bits, never repeating", () => {
    const ids = Array.from({ length: 10_000 }, newInvestigationId);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) {
      assert.equal(Buffer.from(id, "base64url").length, 16);
      assert.ok(isInvestigationId(id), id);
    }
  });

  it("recognise only what newInvestigationId can produce", () => {
    for (const bad of [
      "",
      "AAAAAAAAAAAAAAAAAAAAA",
      "AAAAAAAAAAAAAAAAAAAAAAA",
      "AAAAAAAAAAAAAAAAAAAAAB",
      "AAAAAAAAAAAAAAAAAAAA+A",
      "AAAAAAAAAAAAAAAAAAAA/A",
      "AAAAAAAAAAAAAAAAAAAA=A",
      "../../../../etc/passwd",
      42,
      null,
    ]) {
      assert.equal(isInvestigationId(bad), false, String(bad));
    }
    for (const good of ["AAAAAAAAAAAAAAAAAAAAAA", "____________________-w", "abcdefghijklmnopqrstuQ"]) assert.ok(isInvestigationId(good), good);
  });
});
