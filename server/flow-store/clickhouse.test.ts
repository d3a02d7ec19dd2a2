import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { literal, openClickHouseFlowStore, parseClickHouseUrl } from "./clickhouse";
import { flowStoreContract } from "./testing/contract";
import { CLICKHOUSE_MISSING, findClickHouseServer, startTestClickHouse } from "./testing/clickhouse";

// The contract against a real ClickHouse server (Debian's 18.16) that the test starts. Partitions
// of a minute instead of a day, so retention's whole-partition granularity is testable in minutes.

const haveServer = findClickHouseServer() !== undefined;
if (!haveServer) process.stderr.write(`SKIP ClickHouse flow store tests: ${CLICKHOUSE_MISSING}\n`);

describe("ClickHouse flow store", { skip: haveServer ? false : CLICKHOUSE_MISSING }, () => {
  flowStoreContract("clickhouse", async () => {
    const server = await startTestClickHouse();
    return {
      open: (name) => openClickHouseFlowStore(server.url(`t_${name.replace(/-/g, "_")}`), { partitionSeconds: 60 }),
      reopen: (name) => openClickHouseFlowStore(server.url(`t_${name.replace(/-/g, "_")}`), { partitionSeconds: 60 }),
      cleanup: () => server.stop(),
    };
  });
});

describe("ClickHouse settings", () => {
  it("reads the database and credentials from the URL, and refuses a database name that is not an identifier", () => {
    assert.deepEqual(parseClickHouseUrl("http://lens:s%40cret@ch.example:8123/flows_prod"), {
      url: "http://ch.example:8123",
      username: "lens",
      password: "s@cret",
      database: "flows_prod",
    });
    assert.equal(parseClickHouseUrl("https://ch.example:8443").database, "hubble_lens");
    assert.throws(() => parseClickHouseUrl("http://ch.example:8123/x;DROP"), /database name/);
  });

  it("escapes string literals (18.16 has no query parameters)", () => {
    assert.equal(literal("a'b\\c"), "'a\\'b\\\\c'");
  });
});
