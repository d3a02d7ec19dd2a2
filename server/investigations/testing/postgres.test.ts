import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { findPostgresBin } from "./postgres";

describe("the test PostgreSQL server", () => {
  it("fails, saying to install postgresql, when initdb and pg_ctl are nowhere", () => {
    const empty = mkdtempSync(join(tmpdir(), "hubble-lens-nopg-"));
    try {
      assert.throws(
        () => findPostgresBin(join(empty, "postgresql"), empty),
        /not found .*install Debian's postgresql package \(apt-get install -y postgresql; \.ci\/run does this\)/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
