import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "@clickhouse/client";
import { clickHouseSchema, type ClickHouseFlowStore, openClickHouseFlowStore } from "./clickhouse";
import type { StoredFlow } from "./store";
import { CLICKHOUSE_MISSING, findClickHouseServer, freePorts, shardsConfig, startTestClickHouse, type TestClickHouse } from "./testing/clickhouse";
import { records, T0_NS } from "./testing/fixtures";

// The sharded layout of docs/flow-history-clickhouse.md on two local 18.16 servers: local tables
// on each, Distributed tables of the same names in front (flows and keys sharded by the flow's
// key), and the unchanged ClickHouse store reading and writing through them.

const haveServer = findClickHouseServer() !== undefined;
const SHARD_KEYS: Record<string, string> = {
  flows: "cityHash64(key)",
  flow_keys: "cityHash64(key)",
  edge_minutes: "cityHash64(minute, src_namespace, dst_namespace)",
  flow_store_meta: "0",
};

describe("ClickHouse flow store over a two-shard Distributed table", { skip: haveServer ? false : CLICKHOUSE_MISSING }, () => {
  const servers: TestClickHouse[] = [];
  let store: ClickHouseFlowStore;

  before(async () => {
    const ports = [await freePorts(), await freePorts()];
    const cluster = shardsConfig(
      "lens_cluster",
      ports.map((p) => p.tcp),
    );
    for (const p of ports) servers.push(await startTestClickHouse({ ports: p, extraConfig: cluster }));
    for (const server of servers) {
      const client = createClient({ url: `http://127.0.0.1:${server.httpPort}` });
      for (const ddl of clickHouseSchema("lens_local")) await client.command({ query: ddl });
      await client.close();
    }
    const front = createClient({ url: `http://127.0.0.1:${servers[0].httpPort}` });
    await front.command({ query: "CREATE DATABASE IF NOT EXISTS lens" });
    for (const [table, key] of Object.entries(SHARD_KEYS)) {
      await front.command({ query: `CREATE TABLE lens.${table} AS lens_local.${table} ENGINE = Distributed(lens_cluster, lens_local, ${table}, ${key})` });
    }
    await front.close();
    store = await openClickHouseFlowStore(servers[0].url("lens"));
  });
  after(async () => {
    await store?.close();
    for (const s of servers) await s.stop();
  });

  it("spreads flows over both shards and reads them back whole, de-duplicated, counted and found by uuid", async () => {
    const flows = records(3000, { stepNs: 1_000_000n });
    assert.deepEqual(await store.write(flows.slice(0, 2000)), { written: 2000, duplicates: 0 });
    assert.deepEqual(await store.write(flows.slice(1000)), { written: 1000, duplicates: 1000 });

    const perShard: number[] = [];
    for (const server of servers) {
      const client = createClient({ url: `http://127.0.0.1:${server.httpPort}` });
      const rs = await client.query({ query: "SELECT toString(count()) AS n FROM lens_local.flows", format: "JSONEachRow" });
      perShard.push(Number((await rs.json<{ n: string }>())[0].n));
      await client.close();
    }
    assert.equal(perShard[0] + perShard[1], 3000);
    assert.ok(perShard[0] > 1000 && perShard[1] > 1000, `shards hold ${perShard.join(" and ")}`);

    const back: StoredFlow[] = [];
    for await (const f of store.flows({})) back.push(f);
    assert.deepEqual(
      back.map((f) => f.key),
      flows.map((f) => f.key),
    );
    assert.equal((await store.flowByKey(flows[2345].key))?.key, flows[2345].key);
    const counts = await store.edgeCounts({ sinceMs: Number(T0_NS / 1_000_000n) - 60_000, untilMs: Number(T0_NS / 1_000_000n) + 600_000 });
    assert.equal(
      counts.reduce((a, c) => a + c.count, 0),
      3000,
    );
    assert.equal(await store.newestTimeNs(), flows[2999].timeNs);
  });
});
