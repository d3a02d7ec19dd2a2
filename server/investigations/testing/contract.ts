import "server-only";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeFlowChunks, FLOWS_FORMAT } from "../codec";
import { newInvestigationId } from "../ids";
import { MIGRATIONS, migrationSql, SCHEMA_MIGRATIONS_DDL } from "../migrations";
import { MAX_FLOWS, InvestigationInputError, type FlowReference, type InvestigationStore } from "../store";
import { flowLines, HOSTILE, newInvestigation, policySnapshot } from "./fixtures";

// The one contract every backend keeps, run by sqlite.test.ts and postgres.test.ts.

export interface ContractBackend {
  /** A new store instance on the suite's database (the same database on every call). */
  open(): Promise<InvestigationStore>;
  /** schema_migrations versions, read directly from the database. */
  appliedMigrations(): Promise<number[]>;
  /**
   * Another, empty database: `exec` runs SQL on it directly (placeholders `?` for SQLite, `$n` for
   * PostgreSQL), `open` opens the store on it (and so migrates it).
   */
  emptyDatabase(): Promise<{ exec(sql: string, params?: unknown[]): Promise<void>; open(): Promise<InvestigationStore> }>;
  cleanup(): Promise<void>;
}

const REFERENCE: FlowReference = {
  whitelist: [{ sourcePod: ["shop/"] }, { destinationPod: ["shop/"] }],
  blacklist: [],
  sinceNs: "1768471200123456789",
  untilNs: "1768471500987654321",
  count: 4321,
};

export function investigationStoreContract(kind: "sqlite" | "postgres", setup: () => Promise<ContractBackend>): void {
  describe(`investigation store contract (${kind})`, () => {
    let backend: ContractBackend;
    let store: InvestigationStore;

    before(async () => {
      backend = await setup();
      store = await backend.open();
    });
    after(async () => {
      await store?.close();
      await backend?.cleanup();
    });

    it("is the backend it says", () => {
      assert.equal(store.kind, kind);
    });

    it("gives back every field as saved, under a 22-char base64url id", async () => {
      const input = newInvestigation();
      const saved = await store.save(input);
      assert.match(saved.id, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(!Number.isNaN(Date.parse(saved.createdAt)) && saved.createdAt.endsWith("Z"), saved.createdAt);
      assert.deepEqual(saved, {
        id: saved.id,
        title: input.title,
        note: input.note,
        view: input.view,
        selectedFlow: input.selectedFlow,
        createdAt: saved.createdAt,
        flowCount: 20,
        flowSource: "copy",
        reference: null,
        policies: input.policies,
        owner: "alice",
        sharedWith: ["shop-team"],
        flowNamespaces: [["shop", "shop"]],
      });
      assert.deepEqual(await store.get(saved.id), saved);
      assert.deepEqual(await store.flows(saved.id), input.flows);
    });

    it("keeps 50,000 flows in order and saves them in a few seconds", async () => {
      const flows = flowLines(2, MAX_FLOWS);
      const started = performance.now();
      const saved = await store.save(newInvestigation({ flows }));
      const saveMs = performance.now() - started;
      assert.ok(saveMs < 5_000, `save took ${Math.round(saveMs)} ms`);
      assert.equal(saved.flowCount, MAX_FLOWS);
      assert.equal((await store.get(saved.id))?.flowCount, MAX_FLOWS);
      const back = await store.flows(saved.id);
      assert.equal(back?.length, MAX_FLOWS);
      assert.deepEqual(back, flows);
    });

    it("keeps an investigation without flows", async () => {
      const saved = await store.save(newInvestigation({ flows: [], selectedFlow: null }));
      assert.deepEqual(await store.flows(saved.id), []);
      assert.equal((await store.get(saved.id))?.selectedFlow, null);
    });

    it("keeps hostile and unicode text verbatim in every field", async () => {
      const flow = JSON.stringify({ flow: { time: "2026-01-15T10:00:00Z", Summary: HOSTILE, node_name: "\u2028\u2029" } });
      const policies = { ...policySnapshot(), namespaceLabels: { [HOSTILE]: { k: HOSTILE } } };
      const input = newInvestigation({
        title: `  ${HOSTILE.slice(0, 150)}  `,
        note: HOSTILE,
        view: `filter=${encodeURIComponent(HOSTILE)}`,
        selectedFlow: HOSTILE,
        flows: [flow],
        policies,
      });
      const saved = await store.save(input);
      const got = await store.get(saved.id);
      assert.equal(got?.title, HOSTILE.slice(0, 150).trim());
      assert.equal(got?.note, HOSTILE);
      assert.equal(got?.view, input.view);
      assert.equal(got?.selectedFlow, HOSTILE);
      assert.deepEqual(got?.policies, policies);
      assert.deepEqual(await store.flows(saved.id), [flow]);
    });

    it("answers undefined, never an error, for unknown and malformed ids", async () => {
      const ids = [newInvestigationId(), "", "x", "../../etc/passwd", "' OR '1'='1", "a".repeat(100_000), "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAA%2", "\u0000"];
      for (const id of ids) {
        assert.equal(await store.get(id), undefined, JSON.stringify(id.slice(0, 40)));
        assert.equal(await store.flows(id), undefined, JSON.stringify(id.slice(0, 40)));
      }
    });

    it("refuses out-of-bounds input and saves nothing for it", async () => {
      const before = (await store.list(500)).length;
      const bad = [
        newInvestigation({ title: "   " }),
        newInvestigation({ title: "t".repeat(201) }),
        newInvestigation({ note: "n".repeat(10_001) }),
        newInvestigation({ view: "v".repeat(8 * 1024 + 1) }),
        newInvestigation({ note: "nul \u0000 inside" }),
        newInvestigation({ title: "lone \uD800 surrogate" }),
        newInvestigation({ flows: ["{}", "two\nlines"] }),
        newInvestigation({ flows: flowLines(3, MAX_FLOWS + 1) }),
      ];
      for (const inv of bad) await assert.rejects(store.save(inv));
      await assert.rejects(store.save(newInvestigation({ title: "" })), InvestigationInputError);
      assert.equal((await store.list(500)).length, before);
    });

    it("lists newest first, without policies, up to the limit", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await store.save(newInvestigation({ title: `list ${i}`, flows: flowLines(4, i) }))).id);
      const list = await store.list(2);
      assert.deepEqual(
        list.map((s) => s.id),
        [ids[2], ids[1]],
      );
      assert.equal(list[0].flowCount, 2);
      assert.equal(list[0].title, "list 2");
      assert.ok(!("policies" in list[0]));
      const all = await store.list();
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].createdAt >= all[i].createdAt);
    });

    it("saves concurrently without losing or mixing investigations", async () => {
      const saved = await Promise.all(Array.from({ length: 8 }, (_, i) => store.save(newInvestigation({ title: `parallel ${i}`, flows: flowLines(10 + i, 1000 + i) }))));
      assert.equal(new Set(saved.map((s) => s.id)).size, 8);
      for (const [i, s] of saved.entries()) assert.deepEqual(await store.flows(s.id), flowLines(10 + i, 1000 + i));
    });

    it("survives close and reopen, and migrations run once", async () => {
      const saved = await store.save(newInvestigation({ title: "before restart" }));
      await store.close();
      store = await backend.open();
      const again = await backend.open();
      await again.close();
      assert.deepEqual(await store.get(saved.id), saved);
      assert.deepEqual(await store.flows(saved.id), newInvestigation().flows);
      assert.deepEqual(await backend.appliedMigrations(), [1, 2, 3]);
    });

    it("lists a person their own and those shared with their groups, never others'", async () => {
      const mine = await store.save(newInvestigation({ title: "carol's", owner: "carol", sharedWith: [] }));
      const team = await store.save(newInvestigation({ title: "dave's for payments", owner: "dave", sharedWith: ["payments", "ops"] }));
      const other = await store.save(newInvestigation({ title: "erin's", owner: "erin", sharedWith: ["finance"] }));
      const ids = async (user: string, groups: string[]) => (await store.list(500, { user, groups })).map((s) => s.id);
      assert.deepEqual(await ids("carol", ["payments"]), [team.id, mine.id]);
      assert.deepEqual(await ids("carol", []), [mine.id]);
      assert.deepEqual(await ids("frank", ["ops"]), [team.id]);
      assert.deepEqual(await ids("frank", []), []);
      assert.ok(!(await ids("carol", ["payments", "finance-x"])).includes(other.id));
      assert.deepEqual((await store.get(team.id))?.sharedWith, ["ops", "payments"]);
      const summary = (await store.list(500, { user: "dave", groups: [] }))[0]!;
      assert.equal(summary.owner, "dave");
      assert.deepEqual(summary.flowNamespaces, [["shop", "shop"]]);
    });

    it("deletes one with its flows and shares, and nothing else", async () => {
      const gone = await store.save(newInvestigation({ title: "to delete", owner: "gina", sharedWith: ["g1"] }));
      const kept = await store.save(newInvestigation({ title: "to keep", owner: "gina", sharedWith: ["g1"] }));
      assert.equal(await store.delete(gone.id), true);
      assert.equal(await store.get(gone.id), undefined);
      assert.equal(await store.flows(gone.id), undefined);
      assert.deepEqual(
        (await store.list(500, { user: "nobody", groups: ["g1"] })).map((s) => s.id),
        [kept.id],
      );
      assert.equal(await store.delete(gone.id), false);
      assert.equal(await store.delete("not an id"), false);
      assert.deepEqual(await store.flows(kept.id), newInvestigation().flows);
    });

    it("expires those created before the retention cut-off", async () => {
      const old = await store.save(newInvestigation({ title: "old", owner: "hank" }));
      await new Promise((r) => setTimeout(r, 20));
      const cut = new Date();
      await new Promise((r) => setTimeout(r, 20));
      const fresh = await store.save(newInvestigation({ title: "fresh", owner: "hank" }));
      const expired = await store.expire(cut);
      assert.ok(expired.includes(old.id), "the old one expired");
      assert.ok(!expired.includes(fresh.id), "the fresh one stays");
      assert.equal(await store.get(old.id), undefined);
      assert.equal(await store.flows(old.id), undefined);
      assert.equal((await store.get(fresh.id))?.title, "fresh");
      assert.deepEqual(await store.expire(cut), []);
    });

    it("keeps a reference to the flow history instead of flows, and says which kind each is", async () => {
      const saved = await store.save(newInvestigation({ title: "by reference", flows: [], reference: REFERENCE }));
      assert.equal(saved.flowSource, "reference");
      assert.equal(saved.flowCount, REFERENCE.count);
      assert.deepEqual(saved.reference, REFERENCE);
      assert.deepEqual(await store.get(saved.id), saved);
      assert.deepEqual(await store.flows(saved.id), []);
      const copy = await store.save(newInvestigation({ title: "copied" }));
      const listed = new Map((await store.list(500)).map((s) => [s.id, s]));
      assert.equal(listed.get(saved.id)?.flowSource, "reference");
      assert.equal(listed.get(saved.id)?.flowCount, REFERENCE.count);
      assert.equal(listed.get(copy.id)?.flowSource, "copy");
      assert.equal((await store.get(copy.id))?.reference, null);
    });

    it("refuses a reference with flows, or one out of bounds, and saves nothing for it", async () => {
      const before = (await store.list(500)).length;
      const bad: [string, Partial<FlowReference>, string[]?][] = [
        ["flows too", {}, newInvestigation().flows as string[]],
        ["window backwards", { sinceNs: "20", untilNs: "10" }],
        ["not a number", { sinceNs: "1e9" }],
        ["count too large", { count: MAX_FLOWS + 1 }],
        ["count negative", { count: -1 }],
        ["huge filters", { whitelist: [{ sourcePod: ["x".repeat(70_000)] }] }],
      ];
      for (const [what, patch, flows] of bad) {
        await assert.rejects(
          store.save(newInvestigation({ title: what, flows: flows ?? [], reference: { ...REFERENCE, ...patch } })),
          (err: unknown) => err instanceof InvestigationInputError && err.field === "reference",
          what,
        );
      }
      assert.equal((await store.list(500)).length, before);
    });

    it("opens investigations saved before references existed as copies, with their flows", async () => {
      const db = await backend.emptyDatabase();
      const p = (n: number) => (kind === "sqlite" ? "?" : `$${n}`);
      await db.exec(SCHEMA_MIGRATIONS_DDL);
      for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
        await db.exec(migrationSql(m, kind));
        await db.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [m.version, m.name, ""]);
      }
      const lines = newInvestigation().flows;
      const id = newInvestigationId();
      await db.exec(
        `INSERT INTO investigations (id, title, note, view, selected_flow, created_at, flow_count, policies, owner, flow_namespaces)
         VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(p).join(", ")})`,
        [id, "old", "", "", null, "2026-01-01T00:00:00.000Z", lines.length, JSON.stringify(policySnapshot()), "alice", JSON.stringify([["shop", "shop"]])],
      );
      const [chunk] = await encodeFlowChunks(lines);
      await db.exec(`INSERT INTO investigation_flows (investigation_id, chunk, format, data) VALUES (${p(1)}, 0, ${p(2)}, ${p(3)})`, [id, FLOWS_FORMAT, chunk]);
      const migrated = await db.open();
      try {
        const old = await migrated.get(id);
        assert.equal(old?.flowSource, "copy");
        assert.equal(old?.reference, null);
        assert.equal(old?.flowCount, lines.length);
        assert.deepEqual(await migrated.flows(id), lines);
        assert.equal((await migrated.list(10))[0]?.flowSource, "copy");
      } finally {
        await migrated.close();
      }
    });

    it("refuses a save without an owner", async () => {
      await assert.rejects(store.save(newInvestigation({ owner: "" })), InvestigationInputError);
      await assert.rejects(store.save(newInvestigation({ sharedWith: [""] })), InvestigationInputError);
    });
  });
}
