import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadServerConfig } from "@/server/config/env";

// The flow history's settings, as server/config validates them.

function problems(env: Record<string, string>): string[] {
  try {
    loadServerConfig(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.variable}: ${p.message}`);
  }
}

describe("flow history settings", () => {
  it("records every flow into SQLite for 7 days and at most 10 GiB by default", () => {
    assert.deepEqual(loadServerConfig({}).history, {
      mode: "record",
      keep: "all",
      filter: null,
      retentionMs: 7 * 86_400_000,
      maxBytes: 10 * 2 ** 30,
      clickhouseUrl: null,
    });
  });

  it("takes a ClickHouse URL, a keep mode, a retention, a size and a filter written as the dashboard's URL", () => {
    const h = loadServerConfig({
      HUBBLE_LENS_HISTORY: "read",
      HUBBLE_LENS_HISTORY_KEEP: "rollup",
      HUBBLE_LENS_HISTORY_RETENTION: "36h",
      HUBBLE_LENS_HISTORY_MAX_SIZE: "500MB",
      HUBBLE_LENS_HISTORY_FILTER: "namespace=shop&verdict=DROPPED",
      HUBBLE_LENS_CLICKHOUSE_URL: "http://lens:pw@clickhouse:8123/flows",
    }).history;
    assert.equal(h.mode, "read");
    assert.equal(h.keep, "rollup");
    assert.equal(h.retentionMs, 36 * 3_600_000);
    assert.equal(h.maxBytes, 500_000_000);
    assert.equal(h.clickhouseUrl, "http://lens:pw@clickhouse:8123/flows");
    assert.equal(h.filter?.text, "namespace=shop&verdict=DROPPED");
    assert.ok(h.filter && h.filter.whitelist.length > 0);
  });

  it("names each bad value and how to write it", () => {
    const found = problems({
      HUBBLE_LENS_HISTORY: "yes",
      HUBBLE_LENS_HISTORY_KEEP: "drops",
      HUBBLE_LENS_HISTORY_RETENTION: "7",
      HUBBLE_LENS_HISTORY_MAX_SIZE: "lots",
      HUBBLE_LENS_HISTORY_FILTER: "verdict=MAYBE",
      HUBBLE_LENS_CLICKHOUSE_URL: "clickhouse:9000",
    });
    const byVariable = new Map(found.map((p) => [p.split(":")[0], p]));
    assert.match(byVariable.get("HUBBLE_LENS_HISTORY") ?? "", /record, read or off/);
    assert.match(byVariable.get("HUBBLE_LENS_HISTORY_KEEP") ?? "", /all or rollup/);
    assert.match(byVariable.get("HUBBLE_LENS_HISTORY_RETENTION") ?? "", /30m, 12h or 7d/);
    assert.match(byVariable.get("HUBBLE_LENS_HISTORY_MAX_SIZE") ?? "", /500MB or 20GiB/);
    assert.match(byVariable.get("HUBBLE_LENS_HISTORY_FILTER") ?? "", /verdict/);
    assert.match(byVariable.get("HUBBLE_LENS_CLICKHOUSE_URL") ?? "", /ClickHouse HTTP URL/);
  });
});
