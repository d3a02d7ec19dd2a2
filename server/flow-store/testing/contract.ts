import "server-only";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { attributeDrop } from "@/lib/drops";
import { compileFlowFilters } from "@/lib/filters/compile";
import { nsToTimestamp } from "@/lib/timestamp";
import { type AggregationWindow, ViewAggregation } from "@/server/hub/aggregation";
import { batchFlow } from "@/server/hub/batch";
import type { HubbleFilters } from "@/server/hub/hub";
import { historyBackedQuery, storedResponse } from "../history-query";
import { GetFlowsDecoder } from "@/server/grpc/raw-flows";
import type { FlowRecord, FlowStore, KeepMode, StoredFlow } from "../store";
import { MINUTE_MS } from "../store";
import { storedWindowCounts } from "../window-counts";
import { record, records, SECOND_NS, T0_NS } from "./fixtures";

// The one contract every flow store keeps, run by sqlite.test.ts and clickhouse.test.ts.

export interface FlowStoreBackend {
  /** A store on a fresh, empty database of the suite's own (`name` tells tests apart). */
  open(name: string): Promise<FlowStore>;
  /** The same database again, as a restarted server would open it. */
  reopen(name: string): Promise<FlowStore>;
  cleanup(): Promise<void>;
}

async function all(it: AsyncIterable<StoredFlow>): Promise<StoredFlow[]> {
  const out: StoredFlow[] = [];
  for await (const f of it) out.push(f);
  return out;
}

function shuffled<T>(xs: readonly T[], seed = 1): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const sumCounts = (rows: { count: number }[]) => rows.reduce((a, r) => a + r.count, 0);
const T0_MS = Number(T0_NS / 1_000_000n);

/** A past window's flows of several kinds: forwarded (rolled up in `rollup`), drops, L7, across namespaces and minutes. */
function pastWindowFlows(mode: KeepMode): FlowRecord[] {
  return [
    ...records(600, { mode, stepNs: 500_000_000n, srcApp: "frontend", dstApp: "catalog" }),
    ...records(200, { mode, startNs: 3_000_000n, stepNs: 1_500_000_000n, dstNs: "bank", dstApp: "ledger", port: 443 }),
    ...records(80, { mode, startNs: 5_000_000n, stepNs: 4n * SECOND_NS, srcNs: "bank", srcApp: "ledger", dstNs: "shop", dstApp: "catalog" }),
    ...records(40, { mode, verdict: "DROPPED", startNs: 7_000_000n, stepNs: 7n * SECOND_NS, dstApp: "payments", port: 9090 }),
    ...records(30, { mode, l7: true, startNs: 9_000_000n, stepNs: 9n * SECOND_NS }),
  ];
}

/** Each edge of a map: its flows and verdicts. */
type MapCounts = Record<string, { flows: number; verdicts: unknown }>;

/** The map of `window` as the hub builds it from the flows `responses` gives (and the stored counts, if any). */
async function mapOf(window: AggregationWindow, responses: AsyncIterable<Parameters<typeof batchFlow>[0]>): Promise<MapCounts> {
  const aggregation = new ViewAggregation(window, "workload", { attribute: (_f, row) => attributeDrop(row, undefined), now: () => T0_MS + 3_600_000 });
  const batch = [];
  for await (const r of responses) if (r.responseTypes.case === "flow") batch.push(batchFlow(r));
  aggregation.addFlows(batch);
  await aggregation.storedLoaded;
  aggregation.tick();
  const out: MapCounts = {};
  for (const e of aggregation.mapSnapshot()?.edges ?? []) out[e.id] = { flows: e.flows, verdicts: e.verdicts };
  return out;
}

async function* filtered(responses: AsyncIterable<ReturnType<typeof storedResponse>>, filters: HubbleFilters) {
  const match = compileFlowFilters(filters.whitelist, filters.blacklist);
  for await (const r of responses) if (r.responseTypes.case === "flow" && match(r.responseTypes.value)) yield r;
}

async function* responsesOf(flows: readonly FlowRecord[]) {
  const decoder = new GetFlowsDecoder();
  for (const f of [...flows].sort((a, b) => (a.timeNs < b.timeNs ? -1 : 1))) yield storedResponse(f, decoder);
}

export function flowStoreContract(kind: FlowStore["kind"], setup: () => Promise<FlowStoreBackend>): void {
  describe(`flow store contract (${kind})`, () => {
    let backend: FlowStoreBackend;
    const opened: FlowStore[] = [];
    const open = async (name: string) => {
      const s = await backend.open(name);
      opened.push(s);
      return s;
    };

    before(async () => {
      backend = await setup();
    });
    after(async () => {
      for (const s of opened) await s.close();
      await backend?.cleanup();
    });

    it("is the backend it says, and starts empty", async () => {
      const store = await open("empty");
      assert.equal(store.kind, kind);
      assert.equal(await store.newestTimeNs(), null);
      assert.deepEqual(await all(store.flows({})), []);
      const usage = await store.usage();
      assert.equal(usage.flows, 0);
      assert.equal(usage.oldestNs, null);
    });

    it("gives back every flow byte for byte, oldest first, across batches that overlap in time", async () => {
      const store = await open("roundtrip");
      const flows = records(900, { stepNs: 3_000_000n });
      // The relay's output is only roughly ordered: batches overlap in time.
      const mixed = [...shuffled(flows.slice(0, 400), 3), ...shuffled(flows.slice(300, 900), 5)];
      const unique = new Map<string, FlowRecord>();
      for (let i = 0; i < mixed.length; i += 250) {
        const batch = mixed.slice(i, i + 250).filter((f) => !unique.has(f.key));
        for (const f of batch) unique.set(f.key, f);
        await store.write(batch);
      }
      const back = await all(store.flows({}));
      assert.equal(back.length, 900);
      for (let i = 1; i < back.length; i++) assert.ok(back[i - 1].timeNs <= back[i].timeNs, `out of order at ${i}`);
      for (const f of back) {
        const sent = unique.get(f.key)!;
        assert.equal(f.timeNs, sent.timeNs);
        assert.equal(f.node, sent.node);
        assert.deepEqual(Buffer.from(f.flow), Buffer.from(sent.flow));
      }
      assert.equal(await store.newestTimeNs(), flows[899].timeNs);
    });

    it("stores a flow written twice once: a resumed recorder's overlap leaves no duplicate", async () => {
      const store = await open("dedup");
      const flows = records(300, { stepNs: 10_000_000n });
      const first = await store.write(flows.slice(0, 200));
      assert.deepEqual(first, { written: 200, duplicates: 0 });
      // The resumed stream repeats the last 2 s (flows 100..199) and goes on.
      const second = await store.write(flows.slice(100));
      assert.deepEqual(second, { written: 100, duplicates: 100 });
      const back = await all(store.flows({}));
      assert.deepEqual(
        back.map((f) => f.key),
        flows.map((f) => f.key),
      );
      const counts = await store.edgeCounts({ sinceMs: T0_MS - MINUTE_MS, untilMs: T0_MS + 10 * MINUTE_MS });
      assert.equal(sumCounts(counts), 300, "each flow counted once");
    });

    it("keeps its newest time and its flows across a restart", async () => {
      const store = await open("reopen");
      const flows = records(50, { stepNs: SECOND_NS });
      await store.write(flows);
      await store.close();
      const again = await backend.reopen("reopen");
      opened.push(again);
      assert.equal(await again.newestTimeNs(), flows[49].timeNs);
      const result = await again.write(flows.slice(40));
      assert.equal(result.duplicates, 10);
      assert.equal((await all(again.flows({}))).length, 50);
    });

    it("a second connection to the same store learns the newest time the first one writes (the recorder's thread, another replica)", async () => {
      const writer = await open("two-connections");
      const reader = await backend.reopen("two-connections");
      opened.push(reader);
      assert.equal(await reader.newestTimeNs(), null);
      const flows = records(20, { stepNs: SECOND_NS });
      await writer.write(flows);
      assert.equal(await reader.newestTimeNs(), flows[19].timeNs);
      assert.equal((await reader.usage()).newestNs, flows[19].timeNs);
      assert.equal((await all(reader.flows({}))).length, 20);
    });

    it("reads an inclusive time range, and a limit takes the oldest of it", async () => {
      const store = await open("range");
      const flows = records(100, { stepNs: SECOND_NS });
      await store.write(flows);
      const range = await all(store.flows({ sinceNs: flows[10].timeNs, untilNs: flows[19].timeNs }));
      assert.deepEqual(
        range.map((f) => f.key),
        flows.slice(10, 20).map((f) => f.key),
      );
      const limited = await all(store.flows({ sinceNs: flows[10].timeNs, limit: 5 }));
      assert.deepEqual(
        limited.map((f) => f.key),
        flows.slice(10, 15).map((f) => f.key),
      );
      const hinted = await all(store.flows({ sinceNs: flows[10].timeNs, hint: { keys: [flows[5].key, flows[50].key, "nope"] } }));
      assert.deepEqual(
        hinted.map((f) => f.key),
        [flows[50].key],
        "a hint narrows, the range still holds",
      );
    });

    it("finds one kept flow by its uuid", async () => {
      const store = await open("by-key");
      const flows = records(2000, { stepNs: 1_000_000n });
      await store.write(flows.slice(0, 1000));
      await store.write(flows.slice(1000));
      const f = await store.flowByKey(flows[1234].key);
      assert.ok(f);
      assert.deepEqual(Buffer.from(f.flow), Buffer.from(flows[1234].flow));
      const ranged = await store.flowByKey(flows[3].key, { sinceNs: flows[0].timeNs, untilNs: flows[10].timeNs });
      assert.equal(ranged?.key, flows[3].key);
      assert.equal(await store.flowByKey("00000000-0000-4000-8000-ffffffffffff"), undefined);
    });

    it("in rollup mode keeps drops, audits, errors and L7 in full and counts every flow exactly", async () => {
      const store = await open("rollup");
      const forwarded = records(500, { mode: "rollup", stepNs: 100_000_000n, srcApp: "frontend", dstApp: "catalog" });
      const dropped = records(40, { mode: "rollup", verdict: "DROPPED", startNs: 5_000_000n, stepNs: 1_000_000_000n, dstApp: "payments", port: 9090 });
      const audits = records(5, { mode: "rollup", verdict: "AUDIT", startNs: 7_000_000n, stepNs: SECOND_NS });
      const l7 = records(20, { mode: "rollup", l7: true, startNs: 9_000_000n, stepNs: SECOND_NS });
      const batch = shuffled([...forwarded, ...dropped, ...audits, ...l7], 9);
      await store.write(batch.slice(0, 300));
      await store.write(batch.slice(200)); // with an overlap of 100
      const kept = await all(store.flows({}));
      const expectKept = new Set([...dropped, ...audits, ...l7].map((f) => f.key));
      assert.equal(kept.length, expectKept.size);
      for (const f of kept) assert.ok(expectKept.has(f.key));
      assert.equal(await store.flowByKey(forwarded[0].key), undefined, "a rolled-up flow is not kept");
      const window = { sinceMs: T0_MS - MINUTE_MS, untilMs: T0_MS + 10 * MINUTE_MS };
      assert.equal(sumCounts(await store.edgeCounts(window)), 565, "every flow counted once");
      const drops = await store.edgeCounts({ ...window, verdicts: ["DROPPED"] });
      assert.equal(drops.length, 1);
      assert.equal(drops[0].count, 40);
      assert.deepEqual(
        { src: drops[0].srcWorkload, dst: drops[0].dstWorkload, port: drops[0].dstPort, reason: drops[0].dropReason },
        { src: "frontend", dst: "payments", port: 9090, reason: "POLICY_DENIED" },
      );
      const usage = await store.usage();
      assert.equal(usage.flows, expectKept.size);
      assert.equal(usage.newestNs, forwarded[499].timeNs);
    });

    it("counts per minute and per namespace; in 'all' mode the counts equal the raw flows of the window", async () => {
      const store = await open("counts");
      const a = records(180, { stepNs: SECOND_NS, srcNs: "shop", dstNs: "shop" });
      const b = records(30, { stepNs: 4n * SECOND_NS, srcNs: "shop", dstNs: "bank", verdict: "DROPPED" });
      await store.write([...a, ...b]);
      const sinceMs = T0_MS;
      const untilMs = T0_MS + 3 * MINUTE_MS - 1;
      const perMinute = await store.edgeCounts({ sinceMs, untilMs, perMinute: true });
      const raw = await all(store.flows({ sinceNs: BigInt(sinceMs) * 1_000_000n, untilNs: BigInt(untilMs) * 1_000_000n }));
      assert.equal(sumCounts(perMinute), raw.length);
      const byMinute = new Map<number, number>();
      for (const row of perMinute) {
        assert.equal(row.minuteMs % MINUTE_MS, 0, "minute-aligned");
        byMinute.set(row.minuteMs, (byMinute.get(row.minuteMs) ?? 0) + row.count);
      }
      for (const [minute, count] of byMinute) {
        const inMinute = raw.filter((f) => {
          const ms = Number(f.timeNs / 1_000_000n);
          return ms >= minute && ms < minute + MINUTE_MS;
        });
        assert.equal(count, inMinute.length, `minute ${minute}`);
      }
      const bank = await store.edgeCounts({ sinceMs, untilMs, namespace: "bank" });
      assert.equal(sumCounts(bank), 30);
    });

    it("retention by age drops what is older, flows and counts, and says how far back history reaches", async () => {
      const store = await open("age");
      // One batch per minute for 10 minutes.
      for (let m = 0; m < 10; m++) await store.write(records(20, { startNs: BigInt(m) * 60n * SECOND_NS, stepNs: SECOND_NS }));
      const now = T0_MS + 10 * MINUTE_MS;
      const result = await store.enforceRetention({ maxAgeMs: 5 * MINUTE_MS, maxBytes: 0, nowMs: now });
      assert.equal(result.removedFlows, 100);
      const left = await all(store.flows({}));
      assert.equal(left.length, 100);
      assert.ok(left.every((f) => Number(f.timeNs / 1_000_000n) >= now - 5 * MINUTE_MS));
      const usage = await store.usage();
      assert.ok(usage.oldestNs !== null && Number(usage.oldestNs / 1_000_000n) >= now - 5 * MINUTE_MS - MINUTE_MS, String(usage.oldestNs));
      assert.equal(sumCounts(await store.edgeCounts({ sinceMs: 0, untilMs: now })), 100);
    });

    it("retention by size removes the oldest until the store fits", async () => {
      const store = await open("size");
      for (let m = 0; m < 20; m++) await store.write(records(200, { startNs: BigInt(m) * 10n * SECOND_NS, stepNs: 10_000_000n }));
      const before = await store.usage();
      const limit = Math.floor(before.bytes / 2);
      await store.enforceRetention({ maxAgeMs: 365 * 24 * 3600_000, maxBytes: limit, nowMs: T0_MS });
      const after = await store.usage();
      assert.ok(after.bytes <= limit, `${after.bytes} > ${limit}`);
      assert.ok(after.flows > 0 && after.flows < before.flows, `${after.flows} of ${before.flows}`);
      const left = await all(store.flows({}));
      assert.equal(left.length, after.flows);
      // The newest survive.
      assert.equal(left[left.length - 1].timeNs, before.newestNs);
      assert.ok(after.oldestNs! > before.oldestNs!);
    });

    for (const keep of ["rollup", "all"] as const) {
      it(`the map of a past window (whole minutes) has every edge with its raw counts, keep ${keep}`, async () => {
        const store = await open(`map-${keep}`);
        const flows = pastWindowFlows(keep);
        await store.write(shuffled(flows, 4));
        const newest = flows.reduce((a, f) => (f.timeNs > a ? f.timeNs : a), 0n);
        // 03:05:00 to 03:08:59.999 of flows from 03:04:05 to 03:09:05.
        const fromMs = Math.ceil(T0_MS / MINUTE_MS) * MINUTE_MS;
        const toMs = fromMs + 4 * MINUTE_MS - 1;
        const window: AggregationWindow = { kind: "fixed", fromMs, toMs };
        const scopes: [string, HubbleFilters][] = [
          ["every namespace", { whitelist: [], blacklist: [] }],
          ["namespace bank", { whitelist: ["sourcePod", "destinationPod"].map((side) => create(FlowFilterSchema, { [side]: ["bank/"] })), blacklist: [] }],
        ];
        for (const [what, filters] of scopes) {
          const raw = await mapOf(window, filtered(responsesOf(pastWindowFlows("all")), filters));
          assert.ok(Object.keys(raw).length >= 2, `${what}: ${Object.keys(raw).length} edges`);
          const stored = storedWindowCounts({ store, newestWrittenNs: () => newest }, window, filters, "workload", T0_MS + 3_600_000);
          assert.ok(stored, `${what}: the window is counted from the store`);
          const query = historyBackedQuery(async function* () {}, { store, newestWrittenNs: () => newest, keep });
          const request = create(GetFlowsRequestSchema, {
            whitelist: [...filters.whitelist],
            since: nsToTimestamp(BigInt(fromMs) * 1_000_000n),
            until: nsToTimestamp(BigInt(toMs) * 1_000_000n),
          });
          const fromHistory = await mapOf({ ...window, stored }, query(request, new AbortController().signal));
          assert.deepEqual(fromHistory, raw, what);
        }
      });
    }

    it("a single flow of a batch can be looked up while later batches arrive", async () => {
      const store = await open("lookup-during-writes");
      const f = record({ atNs: 0n });
      await store.write([f]);
      await Promise.all([store.write(records(500, { startNs: SECOND_NS })), store.flowByKey(f.key).then((x) => assert.equal(x?.key, f.key))]);
    });
  });
}
