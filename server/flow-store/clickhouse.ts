import "server-only";
import { Readable } from "node:stream";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { log } from "@/server/log";
import { keyBytes, keyFromBytes } from "./keys";
import { RecentKeys } from "./recent-keys";
import { RowBinaryReader, RowBinaryWriter } from "./row-binary";
import {
  type EdgeCount,
  type EdgeCountQuery,
  type EdgeKey,
  edgeKeyString,
  type FlowQuery,
  type FlowRange,
  type FlowRecord,
  type FlowStore,
  minuteOf,
  oldestOf,
  type RetentionPolicy,
  type RetentionResult,
  type StoredFlow,
  type StoreUsage,
  type WriteResult,
} from "./store";

// The ClickHouse flow store, for teams (several Hubble Lens replicas read one history) and for
// scale beyond one machine (README: the sharded, replicated layout).
//
// The schema works on ClickHouse 18.16 (Debian's package, which the tests start) and on current
// servers: plain MergeTree tables partitioned by day (`bucket`: days since the epoch), no TTL and no
// LowCardinality (18.16 has neither; retention drops whole partitions), no query parameters
// (values are inlined: numbers, and strings escaped by `literal`). A current server would add
// TTL, LowCardinality(String) for the repetitive columns and CODEC(ZSTD) (README).
//
// - flows: the flows kept in full (protobuf bytes), ordered by time: a window is a range scan.
// - flow_keys: every flow's key and time, ordered by key: a link to a flow and de-duplication are
//   primary-key lookups.
// - edge_minutes: counts per minute and edge (SummingMergeTree: rows of a key add up on merge).
// - flow_store_meta: the newest flow time written (ReplacingMergeTree by version).
// Each write is four INSERTs; ClickHouse has no transaction across tables, so a crash between them
// can count that batch twice after a restart (never lose it: keys are inserted last).

export interface ClickHouseStoreOptions {
  /** Width of a partition in seconds (retention's granularity): a day, or less in tests. */
  readonly partitionSeconds?: number;
}

const DAY_S = 86_400;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const EDGE_COLUMNS_SQL = "src_namespace, src_workload, src_identity, dst_namespace, dst_workload, dst_identity, dst_port, protocol, verdict, drop_reason, direction, flow_type";

export function clickHouseSchema(db: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.flows (
      bucket UInt32, time_ns Int64, key String, node String,
      verdict String, src_namespace String, dst_namespace String,
      flow String
    ) ENGINE = MergeTree() PARTITION BY bucket ORDER BY time_ns`,
    `CREATE TABLE IF NOT EXISTS ${db}.flow_keys (
      bucket UInt32, key String, time_ns Int64, kept UInt8
    ) ENGINE = MergeTree() PARTITION BY bucket ORDER BY key`,
    `CREATE TABLE IF NOT EXISTS ${db}.edge_minutes (
      bucket UInt32, minute Int64,
      src_namespace String, src_workload String, src_identity UInt32,
      dst_namespace String, dst_workload String, dst_identity UInt32,
      dst_port UInt32, protocol String, verdict String, drop_reason String, direction String, flow_type String,
      count UInt64
    ) ENGINE = SummingMergeTree(count) PARTITION BY bucket
      ORDER BY (minute, verdict, src_namespace, dst_namespace, src_workload, dst_workload, src_identity, dst_identity,
                dst_port, protocol, drop_reason, direction, flow_type)`,
    `CREATE TABLE IF NOT EXISTS ${db}.flow_store_meta (
      name String, value Int64, version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY name`,
  ];
}

/** `http(s)://user:password@host:8123/database`: the client's connection and the database. */
export function parseClickHouseUrl(raw: string): { url: string; username: string; password: string; database: string } {
  const u = new URL(raw);
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, "")) || "hubble_lens";
  if (!IDENT.test(database)) throw new Error(`HUBBLE_LENS_CLICKHOUSE_URL: the database name ${JSON.stringify(database)} must be letters, digits and _`);
  const username = decodeURIComponent(u.username) || "default";
  const password = decodeURIComponent(u.password);
  return { url: `${u.protocol}//${u.host}`, username, password, database };
}

export async function openClickHouseFlowStore(rawUrl: string, opts: ClickHouseStoreOptions = {}): Promise<ClickHouseFlowStore> {
  const { url, username, password, database } = parseClickHouseUrl(rawUrl);
  const client = createClient({ url, username, password, database: "default", request_timeout: 60_000, application: "hubble-lens" });
  try {
    for (const ddl of clickHouseSchema(database)) await client.command({ query: ddl });
  } catch (err) {
    await client.close();
    throw new Error(`HUBBLE_LENS_CLICKHOUSE_URL: cannot use ClickHouse at ${url} (database ${database}): ${describe(err)}`);
  }
  const store = new ClickHouseFlowStore(client, database, opts.partitionSeconds ?? DAY_S);
  await store.load();
  log.info(`flow history: ClickHouse ${url}, database ${database}`);
  return store;
}

export class ClickHouseFlowStore implements FlowStore {
  readonly kind = "clickhouse" as const;
  private newest: bigint | null = null;
  private recent = new RecentKeys(null);
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: ClickHouseClient,
    readonly database: string,
    readonly partitionSeconds: number,
  ) {}

  async load(): Promise<void> {
    this.newest = await this.storedNewest();
    // What was stored before this process started is only in the database.
    this.recent = new RecentKeys(this.newest);
  }

  write(flows: readonly FlowRecord[]): Promise<WriteResult> {
    return this.serial(() => this.writeNow(flows));
  }

  private async writeNow(flows: readonly FlowRecord[]): Promise<WriteResult> {
    this.assertOpen();
    const seen = new Set<string>();
    const seenBefore = new Set<string>();
    const unique: FlowRecord[] = [];
    for (const f of flows) {
      if (seen.has(f.key)) continue;
      seen.add(f.key);
      unique.push(f);
    }
    // Only flows no newer than the newest stored can be stored already; of those, the ones this
    // process wrote lately are answered from memory (recent-keys.ts), the rest by a key lookup.
    const newestBefore = this.newest;
    const candidates: FlowRecord[] = [];
    if (newestBefore !== null) {
      for (const f of unique) {
        if (f.timeNs > newestBefore) continue;
        const known = this.recent.has(f.key, f.timeNs);
        if (known === undefined) candidates.push(f);
        else if (known) seenBefore.add(f.key);
      }
    }
    const stored = new Set<string>();
    for (let i = 0; i < candidates.length; i += 2000) {
      const chunk = candidates.slice(i, i + 2000);
      const buckets = [...new Set(chunk.map((f) => this.bucketOf(f.timeNs)))];
      const rows = await this.json<{ k: string }>(
        `SELECT hex(key) AS k FROM ${this.t("flow_keys")} WHERE bucket IN (${buckets.join(", ")}) AND key IN (${chunk.map((f) => bytesLiteral(keyBytes(f.key))).join(", ")})`,
      );
      for (const r of rows) stored.add(keyFromBytes(Buffer.from(r.k, "hex")));
    }
    const fresh = unique.filter((f) => !stored.has(f.key) && !seenBefore.has(f.key));
    if (fresh.length === 0) return { written: 0, duplicates: flows.length };

    const flowRows = new RowBinaryWriter();
    const keyRows = new RowBinaryWriter();
    const edges = new Map<string, { minute: number; edge: EdgeKey; count: number }>();
    let newest = this.newest;
    for (const f of fresh) {
      const bucket = this.bucketOf(f.timeNs);
      if (f.keep) {
        flowRows.uint32(bucket).int64(f.timeNs).bytes(keyBytes(f.key)).string(f.node);
        flowRows.string(f.edge.verdict).string(f.edge.srcNamespace).string(f.edge.dstNamespace).bytes(f.flow);
      }
      keyRows
        .uint32(bucket)
        .bytes(keyBytes(f.key))
        .int64(f.timeNs)
        .uint8(f.keep ? 1 : 0);
      const minute = minuteOf(f.timeNs);
      const id = `${minute}\u0000${edgeKeyString(f.edge)}`;
      const e = edges.get(id);
      if (e) e.count++;
      else edges.set(id, { minute, edge: f.edge, count: 1 });
      if (newest === null || f.timeNs > newest) newest = f.timeNs;
    }
    const edgeRows = new RowBinaryWriter();
    for (const { minute, edge: e, count } of edges.values()) {
      edgeRows.uint32(this.bucketOf(BigInt(minute) * 1_000_000n)).int64(BigInt(minute));
      edgeRows
        .string(e.srcNamespace)
        .string(e.srcWorkload)
        .uint32(e.srcIdentity >>> 0);
      edgeRows
        .string(e.dstNamespace)
        .string(e.dstWorkload)
        .uint32(e.dstIdentity >>> 0);
      edgeRows
        .uint32(e.dstPort >>> 0)
        .string(e.protocol)
        .string(e.verdict)
        .string(e.dropReason)
        .string(e.direction)
        .string(e.flowType);
      edgeRows.uint64(BigInt(count));
    }
    if (fresh.some((f) => f.keep)) await this.insert("flows", "bucket, time_ns, key, node, verdict, src_namespace, dst_namespace, flow", flowRows.finish());
    await this.insert("edge_minutes", `bucket, minute, ${EDGE_COLUMNS_SQL}, count`, edgeRows.finish());
    await this.insert("flow_keys", "bucket, key, time_ns, kept", keyRows.finish());
    for (const f of fresh) this.recent.add(f.key, f.timeNs);
    if (newest !== null && newest !== this.newest) {
      const meta = new RowBinaryWriter()
        .string("newest_ns")
        .int64(newest)
        .uint64(BigInt(Date.now()) * 1000n + BigInt(versionCounter++ % 1000))
        .finish();
      await this.insert("flow_store_meta", "name, value, version", meta);
      this.newest = newest;
    }
    return { written: fresh.length, duplicates: flows.length - fresh.length };
  }

  /** Read from the database each time: another replica, or this one's recorder thread, writes. */
  async newestTimeNs(): Promise<bigint | null> {
    const stored = await this.storedNewest();
    if (stored !== null && (this.newest === null || stored > this.newest)) this.newest = stored;
    return this.newest;
  }

  private async storedNewest(): Promise<bigint | null> {
    const rows = await this.json<{ v: string; n: string }>(
      `SELECT toString(argMax(value, version)) AS v, toString(count()) AS n FROM ${this.t("flow_store_meta")} WHERE name = 'newest_ns'`,
    );
    return rows[0] && rows[0].n !== "0" ? BigInt(rows[0].v) : null;
  }

  async *flows(query: FlowQuery): AsyncIterable<StoredFlow> {
    this.assertOpen();
    const limit = query.limit ?? Infinity;
    if (limit <= 0) return;
    const keys = query.hint?.keys;
    if (keys) {
      const found: StoredFlow[] = [];
      for (const key of keys) {
        const f = await this.flowByKey(key, query);
        if (f) found.push(f);
      }
      found.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
      yield* found.slice(0, Number.isFinite(limit) ? limit : undefined);
      return;
    }
    // Read in time slices, widened while they are small and narrowed when large: each query sorts
    // one slice only (18.16 cannot read in the table's order without sorting).
    const bounds = await this.json<{ lo: string; hi: string; n: string }>(
      `SELECT toString(min(time_ns)) AS lo, toString(max(time_ns)) AS hi, toString(count()) AS n FROM ${this.t("flows")} WHERE ${this.rangeWhere(query)}`,
    );
    if (!bounds[0] || bounds[0].n === "0") return;
    let from = BigInt(bounds[0].lo);
    const hi = BigInt(bounds[0].hi);
    // Start small (a limited read often wants only the first thousands), then adapt.
    let slice = 1_000_000_000n;
    let sent = 0;
    while (from <= hi) {
      if (query.signal?.aborted || this.closed) return;
      const to = from + slice - 1n < hi ? from + slice - 1n : hi;
      let n = 0;
      for await (const f of this.select(
        // PREWHERE on the time range, not 18.16's own pick (`bucket`, true for every row).
        `SELECT time_ns, key, node, flow FROM ${this.t("flows")} PREWHERE time_ns >= ${from} AND time_ns <= ${to} WHERE ${this.rangeWhere({ sinceNs: from, untilNs: to })} ORDER BY time_ns, key${Number.isFinite(limit) ? ` LIMIT ${limit - sent}` : ""}`,
      )) {
        n++;
        yield f;
        if (++sent >= limit) return;
      }
      from = to + 1n;
      if (n < 5_000 && slice < 3_600_000_000_000n) slice *= 4n;
      else if (n > 50_000 && slice > 1_000_000n) slice /= 4n;
    }
  }

  async flowByKey(key: string, range?: FlowRange): Promise<StoredFlow | undefined> {
    this.assertOpen();
    const k = bytesLiteral(keyBytes(key));
    const where = [`key = ${k}`, "kept = 1"];
    if (range?.sinceNs !== undefined) where.push(`bucket >= ${this.bucketOf(range.sinceNs)}`, `time_ns >= ${range.sinceNs}`);
    if (range?.untilNs !== undefined) where.push(`bucket <= ${this.bucketOf(range.untilNs)}`, `time_ns <= ${range.untilNs}`);
    const hits = await this.json<{ t: string }>(`SELECT toString(time_ns) AS t FROM ${this.t("flow_keys")} WHERE ${where.join(" AND ")} LIMIT 1`);
    if (hits.length === 0) return undefined;
    const t = BigInt(hits[0].t);
    // PREWHERE on the key: without it 18.16 moves `bucket` (the smallest column, true for every
    // row) to PREWHERE and decompresses the whole granule's flows (8,192 × ~1.2 KB): 60–200 ms
    // instead of ~4 ms (bench:history).
    for await (const f of this.select(
      `SELECT time_ns, key, node, flow FROM ${this.t("flows")} PREWHERE key = ${k} WHERE bucket = ${this.bucketOf(t)} AND time_ns = ${t} LIMIT 1`,
    )) {
      return f;
    }
    return undefined;
  }

  async edgeCounts(q: EdgeCountQuery): Promise<EdgeCount[]> {
    this.assertOpen();
    const sinceMinute = q.sinceMs - (((q.sinceMs % 60_000) + 60_000) % 60_000);
    const where = [
      `bucket >= ${this.bucketOf(BigInt(sinceMinute) * 1_000_000n)}`,
      `bucket <= ${this.bucketOf(BigInt(Math.floor(q.untilMs)) * 1_000_000n)}`,
      `minute >= ${sinceMinute}`,
      `minute <= ${Math.floor(q.untilMs)}`,
    ];
    if (q.verdicts && q.verdicts.length > 0) where.push(`verdict IN (${q.verdicts.map(literal).join(", ")})`);
    if (q.namespace !== undefined) where.push(`(src_namespace = ${literal(q.namespace)} OR dst_namespace = ${literal(q.namespace)})`);
    const minute = q.perMinute ? "minute" : "0";
    const group = q.perMinute ? `minute, ${EDGE_COLUMNS_SQL}` : EDGE_COLUMNS_SQL;
    const rows = await this.json<Record<string, string | number>>(
      `SELECT toString(${minute}) AS m, ${EDGE_COLUMNS_SQL}, toString(sum(count)) AS c FROM ${this.t("edge_minutes")}
       WHERE ${where.join(" AND ")} GROUP BY ${group} ORDER BY sum(count) DESC`,
    );
    return rows.map((r) => ({
      minuteMs: Number(r.m),
      srcNamespace: String(r.src_namespace),
      srcWorkload: String(r.src_workload),
      srcIdentity: Number(r.src_identity),
      dstNamespace: String(r.dst_namespace),
      dstWorkload: String(r.dst_workload),
      dstIdentity: Number(r.dst_identity),
      dstPort: Number(r.dst_port),
      protocol: String(r.protocol),
      verdict: String(r.verdict),
      dropReason: String(r.drop_reason),
      direction: String(r.direction),
      flowType: String(r.flow_type),
      count: Number(r.c),
    }));
  }

  async usage(): Promise<StoreUsage> {
    this.assertOpen();
    const [counts] = await this.json<{ flows: string; edges: string; oldest_flow: string; oldest_minute: string; has_flow: string; has_edge: string }>(
      `SELECT
         (SELECT toString(count()) FROM ${this.t("flows")}) AS flows,
         (SELECT toString(count()) FROM ${this.t("edge_minutes")}) AS edges,
         (SELECT toString(min(time_ns)) FROM ${this.t("flows")}) AS oldest_flow,
         (SELECT toString(min(minute)) FROM ${this.t("edge_minutes")}) AS oldest_minute,
         (SELECT toString(count()) FROM ${this.t("flows")}) AS has_flow,
         (SELECT toString(count()) FROM ${this.t("edge_minutes")}) AS has_edge`,
    );

    return {
      flows: Number(counts.flows),
      rollupRows: Number(counts.edges),
      bytes: (await this.partitions()).reduce((a, p) => a + p.bytes, 0),
      oldestNs: oldestOf(counts.has_flow !== "0" ? BigInt(counts.oldest_flow) : null, counts.has_edge !== "0" ? BigInt(counts.oldest_minute) : null),
      newestNs: await this.newestTimeNs(),
    };
  }

  enforceRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    return this.serial(() => this.retainNow(policy));
  }

  private async retainNow(policy: RetentionPolicy): Promise<RetentionResult> {
    this.assertOpen();
    // Whole partitions only: those that end before the cutoff, then the oldest while too big.
    const cutoffS = Math.floor((policy.nowMs - policy.maxAgeMs) / 1000);
    const firstKept = Math.floor(cutoffS / this.partitionSeconds);
    const parts = await this.partitions();
    const buckets = [...new Set(parts.map((p) => p.bucket))].sort((a, b) => a - b);
    const drop = new Set(buckets.filter((b) => b < firstKept));
    if (policy.maxBytes > 0) {
      let total = parts.filter((p) => !drop.has(p.bucket)).reduce((a, p) => a + p.bytes, 0);
      const left = buckets.filter((b) => !drop.has(b));
      // Never the newest partition: that is where the recorder writes.
      for (let i = 0; i < left.length - 1 && total > policy.maxBytes; i++) {
        drop.add(left[i]);
        total -= parts.filter((p) => p.bucket === left[i]).reduce((a, p) => a + p.bytes, 0);
      }
    }
    let removed = 0;
    for (const bucket of [...drop].sort((a, b) => a - b)) {
      const [n] = await this.json<{ n: string }>(`SELECT toString(count()) AS n FROM ${this.t("flows")} WHERE bucket = ${bucket}`);
      removed += Number(n?.n ?? 0);
      for (const table of ["flows", "flow_keys", "edge_minutes"]) {
        if (parts.some((p) => p.bucket === bucket && p.table === table)) {
          await this.client.command({ query: `ALTER TABLE ${this.t(table)} DROP PARTITION ${bucket}` });
        }
      }
    }
    return { removedFlows: removed, oldestNs: (await this.usage()).oldestNs };
  }

  private async partitions(): Promise<{ table: string; bucket: number; bytes: number }[]> {
    const rows = await this.json<{ table: string; partition: string; bytes: string }>(
      `SELECT table, partition, toString(sum(bytes_on_disk)) AS bytes FROM system.parts
       WHERE active AND database = ${literal(this.database)} AND table IN ('flows', 'flow_keys', 'edge_minutes')
       GROUP BY table, partition`,
    );
    return rows.map((r) => ({ table: r.table, bucket: Number(r.partition), bytes: Number(r.bytes) }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.catch(() => undefined);
    this.closed = true;
    await this.client.close();
  }

  private bucketOf(timeNs: bigint): number {
    const s = Number(timeNs / 1_000_000_000n);
    return Math.max(0, Math.floor(s / this.partitionSeconds));
  }

  private rangeWhere(q: FlowRange): string {
    const where = ["1"];
    if (q.sinceNs !== undefined) where.push(`bucket >= ${this.bucketOf(q.sinceNs)}`, `time_ns >= ${q.sinceNs}`);
    if (q.untilNs !== undefined) where.push(`bucket <= ${this.bucketOf(q.untilNs)}`, `time_ns <= ${q.untilNs}`);
    return where.join(" AND ");
  }

  private t(table: string): string {
    return `${this.database}.${table}`;
  }

  private async json<T>(query: string): Promise<T[]> {
    const rs = await this.client.query({ query, format: "JSONEachRow" });
    return rs.json<T>();
  }

  private async insert(table: string, columns: string, rows: Buffer): Promise<void> {
    if (rows.length === 0) return;
    const res = await this.client.exec({ query: `INSERT INTO ${this.t(table)} (${columns}) FORMAT RowBinary`, values: Readable.from([rows]) });
    // Drain the (empty) answer so the socket goes back to the pool.
    for await (const _ of res.stream) void _;
  }

  /** Rows of (time_ns, key, node, flow), streamed. */
  private async *select(query: string): AsyncIterable<StoredFlow> {
    const res = await this.client.exec({ query: `${query} FORMAT RowBinary` });
    const reader = new RowBinaryReader();
    for await (const chunk of res.stream as AsyncIterable<Buffer>) {
      reader.push(chunk);
      for (;;) {
        const row = reader.row((r) => ({ timeNs: r.int64(), key: keyFromBytes(r.bytes()), node: r.string(), flow: r.bytes() }));
        if (!row) break;
        yield row;
      }
    }
    if (!reader.done) throw new Error("ClickHouse: truncated RowBinary answer");
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("flow store closed");
  }
}

let versionCounter = 0;

/** A ClickHouse string literal: backslash and quote escaped (18.16 has no query parameters). */
export function literal(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Raw bytes as a string literal of \xHH escapes. */
function bytesLiteral(b: Uint8Array): string {
  let out = "'";
  for (const x of b) out += `\\x${x.toString(16).padStart(2, "0")}`;
  return `${out}'`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
