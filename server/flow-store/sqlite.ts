import "server-only";
import { accessSync, constants, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { log } from "@/server/log";
import { decodeBlock, decodeBlockSync, encodeBlock } from "./block";
import { keyBytes } from "./keys";
import {
  DEDUP_HORIZON_NS,
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

// The embedded flow store: one SQLite file in HUBBLE_LENS_DATA_DIR (flows.sqlite, apart from the
// investigations' file so neither one's writes wait for the other's lock).
//
// Layout (chosen by measurement, docs/benchmarks.md):
// - flow_blocks: the kept flows of one write, compressed together (block.ts), with their time span.
//   A time window reads the blocks that overlap it.
// - flow_keys: key (a uuid as 16 bytes) → block and slot, for links to one flow and de-duplication.
// - counted_keys: keys of rolled-up flows, for DEDUP_HORIZON_NS of flow time (de-duplication only).
// - edge_minutes: every flow counted per minute and edge (the map and the Drops view over hours).
// Durability: WAL with synchronous=NORMAL (a power cut may lose the last writes, which the recorder
// takes again from the relay on resume); each write is one transaction. better-sqlite3 is
// synchronous: a write holds the event loop for the key inserts of one batch (a few ms at the
// recorder's batch size); compression runs on the thread pool.

export const FLOW_STORE_FILE = "flows.sqlite";

/**
 * Flows per block: a link to one flow inflates its whole block (~1.2 MB at 1,024 demo flows, a few
 * ms), while compression gains little past a few hundred flows (docs/benchmarks.md).
 */
const BLOCK_FLOWS = 1024;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS flow_blocks (
  id INTEGER PRIMARY KEY,
  min_ns INTEGER NOT NULL,
  max_ns INTEGER NOT NULL,
  flows INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS flow_blocks_min ON flow_blocks (min_ns);
CREATE INDEX IF NOT EXISTS flow_blocks_max ON flow_blocks (max_ns);
CREATE TABLE IF NOT EXISTS flow_keys (
  key BLOB PRIMARY KEY,
  block INTEGER NOT NULL,
  slot INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counted_keys (
  key BLOB PRIMARY KEY,
  time_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counted_keys_time ON counted_keys (time_ns);
CREATE TABLE IF NOT EXISTS edge_minutes (
  minute INTEGER NOT NULL,
  src_namespace TEXT NOT NULL, src_workload TEXT NOT NULL, src_identity INTEGER NOT NULL,
  dst_namespace TEXT NOT NULL, dst_workload TEXT NOT NULL, dst_identity INTEGER NOT NULL,
  dst_port INTEGER NOT NULL, protocol TEXT NOT NULL, verdict TEXT NOT NULL, drop_reason TEXT NOT NULL,
  direction TEXT NOT NULL, flow_type TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (minute, src_namespace, src_workload, src_identity, dst_namespace, dst_workload, dst_identity,
               dst_port, protocol, verdict, drop_reason, direction, flow_type)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flow_store_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/** Rows of one multi-row key insert (at most 3 values a row: far below SQLite's 999 parameters). */
const ROWS_PER_INSERT = 64;

/** `(?, ?), (?, ?), …`: ROWS_PER_INSERT rows of `width` parameters. */
function rowsOf(width: number): string {
  const row = `(${new Array(width).fill("?").join(", ")})`;
  return new Array(ROWS_PER_INSERT).fill(row).join(", ");
}

const EDGE_SQL_COLUMNS = "src_namespace, src_workload, src_identity, dst_namespace, dst_workload, dst_identity, dst_port, protocol, verdict, drop_reason, direction, flow_type";

interface EdgeRow {
  minute: number;
  src_namespace: string;
  src_workload: string;
  src_identity: number;
  dst_namespace: string;
  dst_workload: string;
  dst_identity: number;
  dst_port: number;
  protocol: string;
  verdict: string;
  drop_reason: string;
  direction: string;
  flow_type: string;
  count: number;
}

export function openSqliteFlowStore(dataDir: string): SqliteFlowStore {
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch (err) {
    throw new Error(`HUBBLE_LENS_DATA_DIR: cannot use ${dir} for the flow history (${describe(err)}); set HUBBLE_LENS_DATA_DIR to a writable directory`);
  }
  const file = join(dir, FLOW_STORE_FILE);
  let db: Database.Database;
  try {
    db = new Database(file);
    // Before the first table: lets retention hand freed pages back to the file system.
    db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.defaultSafeIntegers(true);
    db.exec(SCHEMA);
  } catch (err) {
    throw new Error(`HUBBLE_LENS_DATA_DIR: cannot open the flow history ${file}: ${describe(err)}`);
  }
  log.info(`flow history: SQLite database ${file}`);
  return new SqliteFlowStore(db, file);
}

export class SqliteFlowStore implements FlowStore {
  readonly kind = "sqlite" as const;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private newest: bigint | null;
  private readonly st;

  constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {
    this.st = {
      keyExists: db.prepare("SELECT 1 FROM flow_keys WHERE key = ? UNION ALL SELECT 1 FROM counted_keys WHERE key = ? LIMIT 1").pluck(),
      insertBlock: db.prepare("INSERT INTO flow_blocks (min_ns, max_ns, flows, data) VALUES (?, ?, ?, ?)"),
      insertKey: db.prepare("INSERT OR IGNORE INTO flow_keys (key, block, slot) VALUES (?, ?, ?)"),
      insertKeys: db.prepare(`INSERT OR IGNORE INTO flow_keys (key, block, slot) VALUES ${rowsOf(3)}`),
      insertCounted: db.prepare("INSERT OR IGNORE INTO counted_keys (key, time_ns) VALUES (?, ?)"),
      insertCountedRows: db.prepare(`INSERT OR IGNORE INTO counted_keys (key, time_ns) VALUES ${rowsOf(2)}`),
      pruneCounted: db.prepare("DELETE FROM counted_keys WHERE time_ns < ?"),
      upsertEdge: db.prepare(
        `INSERT INTO edge_minutes (minute, ${EDGE_SQL_COLUMNS}, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET count = count + excluded.count`,
      ),
      setMeta: db.prepare("INSERT INTO flow_store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
      getMeta: db.prepare<[string], bigint>("SELECT value FROM flow_store_meta WHERE name = ?").pluck(),
      blocksIn: db.prepare<[bigint, bigint], { id: bigint; min_ns: bigint; max_ns: bigint }>(
        "SELECT id, min_ns, max_ns FROM flow_blocks WHERE max_ns >= ? AND min_ns <= ? ORDER BY min_ns, id",
      ),
      blockData: db.prepare<[bigint], Buffer>("SELECT data FROM flow_blocks WHERE id = ?").pluck(),
      keyLocation: db.prepare<[Buffer], { block: bigint; slot: bigint }>("SELECT block, slot FROM flow_keys WHERE key = ?"),
    };
    const stored = this.st.getMeta.get("newest_ns");
    this.newest = stored === undefined ? null : BigInt(stored);
  }

  write(flows: readonly FlowRecord[]): Promise<WriteResult> {
    return this.serial(() => this.writeNow(flows));
  }

  private async writeNow(flows: readonly FlowRecord[]): Promise<WriteResult> {
    this.assertOpen();
    // A flow newer than everything stored cannot be stored yet: only the overlap is looked up.
    // (Read again: another process may write to the same file.)
    const stored = this.st.getMeta.get("newest_ns");
    if (stored !== undefined && (this.newest === null || stored > this.newest)) this.newest = BigInt(stored);
    const newestBefore = this.newest;
    const seen = new Set<string>();
    const fresh: FlowRecord[] = [];
    const freshKeys: Buffer[] = [];
    for (const f of flows) {
      if (seen.has(f.key)) continue;
      seen.add(f.key);
      const k = keyBytes(f.key);
      if (newestBefore !== null && f.timeNs <= newestBefore && this.st.keyExists.get(k, k) !== undefined) continue;
      fresh.push(f);
      freshKeys.push(k);
    }
    const kept: number[] = [];
    for (let i = 0; i < fresh.length; i++) if (fresh[i].keep) kept.push(i);
    const blocks: { flows: number[]; data: Buffer }[] = [];
    for (let i = 0; i < kept.length; i += BLOCK_FLOWS) {
      const inBlock = kept.slice(i, i + BLOCK_FLOWS);
      blocks.push({ flows: inBlock, data: await encodeBlock(inBlock.map((j) => fresh[j])) });
    }
    this.assertOpen();

    const edges = new Map<string, { minute: number; edge: EdgeKey; count: number }>();
    let newest = this.newest;
    for (const f of fresh) {
      const minute = minuteOf(f.timeNs);
      const id = `${minute}\u0000${edgeKeyString(f.edge)}`;
      const e = edges.get(id);
      if (e) e.count++;
      else edges.set(id, { minute, edge: f.edge, count: 1 });
      if (newest === null || f.timeNs > newest) newest = f.timeNs;
    }
    this.db.transaction(() => {
      for (const { flows: inBlock, data } of blocks) {
        let min = fresh[inBlock[0]].timeNs;
        let max = min;
        for (const j of inBlock) {
          const t = fresh[j].timeNs;
          if (t < min) min = t;
          if (t > max) max = t;
        }
        const block = this.st.insertBlock.run(min, max, inBlock.length, data).lastInsertRowid;
        this.insertRows(this.st.insertKeys, this.st.insertKey, inBlock.length, (slot, row) => {
          row.push(freshKeys[inBlock[slot]], block, slot);
        });
      }
      const counted: number[] = [];
      for (let i = 0; i < fresh.length; i++) if (!fresh[i].keep) counted.push(i);
      this.insertRows(this.st.insertCountedRows, this.st.insertCounted, counted.length, (i, row) => {
        row.push(freshKeys[counted[i]], fresh[counted[i]].timeNs);
      });
      for (const { minute, edge: e, count } of edges.values()) {
        this.st.upsertEdge.run(
          minute,
          e.srcNamespace,
          e.srcWorkload,
          e.srcIdentity,
          e.dstNamespace,
          e.dstWorkload,
          e.dstIdentity,
          e.dstPort,
          e.protocol,
          e.verdict,
          e.dropReason,
          e.direction,
          e.flowType,
          count,
        );
      }
      if (newest !== null && newest !== this.newest) {
        this.st.setMeta.run("newest_ns", newest);
        this.st.pruneCounted.run(newest - DEDUP_HORIZON_NS);
      }
    })();
    this.newest = newest;
    return { written: fresh.length, duplicates: flows.length - fresh.length };
  }

  /**
   * Inserts `count` rows, ROWS_PER_INSERT to a statement (`many`) and the rest one by one (`one`):
   * one call into SQLite per key cost more than the insert itself. `row(i, values)` pushes row i's values.
   */
  private insertRows(many: Database.Statement, one: Database.Statement, count: number, row: (i: number, values: unknown[]) => void): void {
    const values: unknown[] = [];
    let i = 0;
    for (; i + ROWS_PER_INSERT <= count; i += ROWS_PER_INSERT) {
      values.length = 0;
      for (let r = 0; r < ROWS_PER_INSERT; r++) row(i + r, values);
      many.run(values);
    }
    for (; i < count; i++) {
      values.length = 0;
      row(i, values);
      one.run(values);
    }
  }

  async newestTimeNs(): Promise<bigint | null> {
    return this.readNewest();
  }

  /** The newest flow time stored, read again: the recorder writes on a connection of its own. */
  private readNewest(): bigint | null {
    const stored = this.st.getMeta.get("newest_ns");
    if (stored !== undefined && (this.newest === null || BigInt(stored) > this.newest)) this.newest = BigInt(stored);
    return this.newest;
  }

  async *flows(query: FlowQuery): AsyncIterable<StoredFlow> {
    this.assertOpen();
    const since = query.sinceNs ?? -(2n ** 62n);
    const until = query.untilNs ?? 2n ** 62n;
    const limit = query.limit ?? Infinity;
    const inRange = (f: StoredFlow) => f.timeNs >= since && f.timeNs <= until;
    if (limit <= 0) return;
    if (query.hint?.keys) {
      const found: StoredFlow[] = [];
      for (const key of query.hint.keys) {
        const f = await this.flowByKey(key);
        if (f && inRange(f)) found.push(f);
      }
      found.sort(byTime);
      yield* found.slice(0, Number.isFinite(limit) ? limit : undefined);
      return;
    }
    const blocks = this.st.blocksIn.all(since, until);
    // Blocks overlap a little in time (the relay's output is only roughly ordered): a flow is
    // yielded once no later block can hold an older one.
    let pending: StoredFlow[] = [];
    let sent = 0;
    for (let i = 0; i < blocks.length; i++) {
      if (query.signal?.aborted || this.closed) return;
      const data = this.st.blockData.get(blocks[i].id);
      if (!data) continue; // removed by retention meanwhile
      for (const f of await decodeBlock(data)) if (inRange(f)) pending.push(f);
      const nextMin = i + 1 < blocks.length ? blocks[i + 1].min_ns : undefined;
      pending.sort(byTime);
      let cut = pending.length;
      if (nextMin !== undefined) {
        cut = 0;
        while (cut < pending.length && pending[cut].timeNs < nextMin) cut++;
      }
      for (let j = 0; j < cut; j++) {
        yield pending[j];
        if (++sent >= limit) return;
      }
      pending = pending.slice(cut);
    }
  }

  async flowByKey(key: string, _range?: FlowRange): Promise<StoredFlow | undefined> {
    this.assertOpen();
    const at = this.st.keyLocation.get(keyBytes(key));
    if (!at) return undefined;
    const data = this.st.blockData.get(at.block);
    if (!data) return undefined;
    return decodeBlockSync(data)[Number(at.slot)];
  }

  async edgeCounts(q: EdgeCountQuery): Promise<EdgeCount[]> {
    this.assertOpen();
    const where = ["minute >= ?", "minute <= ?"];
    const params: unknown[] = [minuteOfMs(q.sinceMs), q.untilMs];
    if (q.verdicts && q.verdicts.length > 0) {
      where.push(`verdict IN (${q.verdicts.map(() => "?").join(", ")})`);
      params.push(...q.verdicts);
    }
    if (q.namespace !== undefined) {
      where.push("(src_namespace = ? OR dst_namespace = ?)");
      params.push(q.namespace, q.namespace);
    }
    const minute = q.perMinute ? "minute" : "0 AS minute";
    const group = q.perMinute ? `minute, ${EDGE_SQL_COLUMNS}` : EDGE_SQL_COLUMNS;
    const rows = this.db
      .prepare(`SELECT ${minute}, ${EDGE_SQL_COLUMNS}, SUM(count) AS count FROM edge_minutes WHERE ${where.join(" AND ")} GROUP BY ${group} ORDER BY count DESC`)
      .safeIntegers(false)
      .all(...params) as EdgeRow[];
    return rows.map(edgeCountOf);
  }

  async usage(): Promise<StoreUsage> {
    this.assertOpen();
    const q = (sql: string) => this.db.prepare(sql).pluck().safeIntegers(true).get() as bigint | null;
    const pageSize = Number(this.db.pragma("page_size", { simple: true }));
    const pages = Number(this.db.pragma("page_count", { simple: true }));
    const free = Number(this.db.pragma("freelist_count", { simple: true }));
    const oldestBlock = q("SELECT MIN(min_ns) FROM flow_blocks");
    const oldestMinute = q("SELECT MIN(minute) FROM edge_minutes");

    return {
      flows: Number(q("SELECT COALESCE(SUM(flows), 0) FROM flow_blocks") ?? 0n),
      rollupRows: Number(q("SELECT COUNT(*) FROM edge_minutes") ?? 0n),
      bytes: (pages - free) * pageSize,
      oldestNs: oldestOf(oldestBlock, oldestMinute),
      newestNs: this.readNewest(),
    };
  }

  enforceRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    return this.serial(() => this.retainNow(policy));
  }

  private async retainNow(policy: RetentionPolicy): Promise<RetentionResult> {
    this.assertOpen();
    let removed = 0;
    const cutoffNs = BigInt(Math.floor(policy.nowMs - policy.maxAgeMs)) * 1_000_000n;
    const byAge = this.db
      .prepare<[bigint], { id: bigint }>("SELECT id FROM flow_blocks WHERE max_ns < ? ORDER BY min_ns")
      .all(cutoffNs)
      .map((r) => r.id);
    removed += await this.removeBlocks(byAge);
    this.db.prepare("DELETE FROM edge_minutes WHERE minute < ?").run(minuteOfMs(policy.nowMs - policy.maxAgeMs));
    this.db.prepare("DELETE FROM counted_keys WHERE time_ns < ?").run(cutoffNs);
    if (policy.maxBytes > 0) {
      for (let round = 0; round < 100; round++) {
        const { bytes } = await this.usage();
        if (bytes <= policy.maxBytes) break;
        const blocks = Number(this.db.prepare("SELECT COUNT(*) FROM flow_blocks").pluck().get());
        if (blocks > 0) {
          // The oldest blocks, in proportion to the excess (at least one).
          const share = Math.min(1, (bytes - policy.maxBytes) / bytes + 0.01);
          const ids = this.db
            .prepare<[number], { id: bigint }>("SELECT id FROM flow_blocks ORDER BY min_ns LIMIT ?")
            .all(Math.max(1, Math.ceil(blocks * share)))
            .map((r) => r.id);
          removed += await this.removeBlocks(ids);
          // Counts reach back no further than the flows.
          const oldest = this.db.prepare("SELECT MIN(min_ns) FROM flow_blocks").pluck().get() as bigint | null;
          if (oldest !== null) this.db.prepare("DELETE FROM edge_minutes WHERE minute < ?").run(minuteOf(oldest));
        } else {
          const minutes = this.db.prepare("SELECT DISTINCT minute FROM edge_minutes ORDER BY minute").pluck().safeIntegers(false).all() as number[];
          if (minutes.length <= 1) break;
          const share = Math.min(1, (bytes - policy.maxBytes) / bytes + 0.01);
          const upTo = minutes[Math.min(minutes.length - 1, Math.max(1, Math.ceil(minutes.length * share)))];
          this.db.prepare("DELETE FROM edge_minutes WHERE minute < ?").run(upTo);
        }
        this.db.pragma("incremental_vacuum");
      }
    }
    this.db.pragma("incremental_vacuum");
    return { removedFlows: removed, oldestNs: (await this.usage()).oldestNs };
  }

  /** Deletes blocks and their keys, a few at a time so the event loop keeps turning. */
  private async removeBlocks(ids: readonly bigint[]): Promise<number> {
    let removed = 0;
    const delKey = this.db.prepare("DELETE FROM flow_keys WHERE key = ?");
    const delBlock = this.db.prepare("DELETE FROM flow_blocks WHERE id = ?");
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      const decoded = await Promise.all(chunk.map(async (id) => ({ id, flows: await decodeBlock(this.st.blockData.get(id) ?? Buffer.alloc(0)) })));
      this.assertOpen();
      this.db.transaction(() => {
        for (const { id, flows } of decoded) {
          for (const f of flows) delKey.run(keyBytes(f.key));
          delBlock.run(id);
          removed += flows.length;
        }
      })();
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.catch(() => undefined);
    this.closed = true;
    this.db.close();
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

function byTime(a: StoredFlow, b: StoredFlow): number {
  return a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0;
}

function minuteOfMs(ms: number): number {
  return ms - (((ms % 60_000) + 60_000) % 60_000);
}

function edgeCountOf(r: EdgeRow): EdgeCount {
  return {
    minuteMs: Number(r.minute),
    srcNamespace: r.src_namespace,
    srcWorkload: r.src_workload,
    srcIdentity: Number(r.src_identity),
    dstNamespace: r.dst_namespace,
    dstWorkload: r.dst_workload,
    dstIdentity: Number(r.dst_identity),
    dstPort: Number(r.dst_port),
    protocol: r.protocol,
    verdict: r.verdict,
    dropReason: r.drop_reason,
    direction: r.direction,
    flowType: r.flow_type,
    count: Number(r.count),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
