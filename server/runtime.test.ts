import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

// What `npm start` does with a bad configuration: refuse to start, say what to fix, exit non-zero.
function start(env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    ["--conditions=react-server", "--import", "tsx", "-e", 'require("@/server/runtime").startRuntimeOrExit().then(() => process.exit(0))'],
    { env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 },
  );
}

describe("start-up with a bad configuration", () => {
  it("a bad value is refused with the variable and how to fix it, exit 2", () => {
    const r = start({ HUBBLE_TLS: "maybe" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /HUBBLE_TLS: must be true or false \(got "maybe"\)/);
  });

  it("a demo scenario that does not exist stops the start, exit 1", () => {
    const r = start({ HUBBLE_LENS_DEMO_SCENARIO: "no-such-scenario" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no-such-scenario/);
  });
});
