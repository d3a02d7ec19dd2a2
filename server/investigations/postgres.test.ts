import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { closedPort } from "@/server/http/testing";
import { openInvestigationStore } from "./index";
import { investigationStoreContract } from "./testing/contract";
import { flowLines, newInvestigation } from "./testing/fixtures";
import { startTestPostgres, type TestPostgres } from "./testing/postgres";

// Against a real, throwaway PostgreSQL server (testing/postgres.ts); fails, never skips, when the
// server binaries are missing.

let server: TestPostgres | undefined;
let starting: Promise<TestPostgres> | undefined;
function postgres(): Promise<TestPostgres> {
  starting ??= startTestPostgres().then((s) => (server = s));
  return starting;
}
after(async () => {
  await server?.stop();
});

async function versions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    return rows.map((r) => r.version);
  } finally {
    await client.end();
  }
}

investigationStoreContract("postgres", async () => {
  const url = await (await postgres()).createDatabase();
  return {
    open: () => openInvestigationStore({ dataDir: "unused", databaseUrl: url }),
    appliedMigrations: () => versions(url),
    async emptyDatabase() {
      const empty = await (await postgres()).createDatabase();
      return {
        async exec(sql: string, params: unknown[] = []) {
          const client = new pg.Client({ connectionString: empty });
          await client.connect();
          try {
            await client.query(sql, params.length === 0 ? undefined : params);
          } finally {
            await client.end();
          }
        },
        open: () => openInvestigationStore({ dataDir: "unused", databaseUrl: empty }),
      };
    },
    cleanup: async () => {},
  };
});

describe("PostgreSQL investigation store", () => {
  let url: string;
  before(async () => {
    url = await (await postgres()).createDatabase();
  });

  it("lets replicas on one database run their first migrations together", async () => {
    const replicas = await Promise.all(Array.from({ length: 4 }, () => openInvestigationStore({ dataDir: "unused", databaseUrl: url })));
    try {
      assert.deepEqual(await versions(url), [1, 2, 3]);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it("shows each replica the investigations the other saved", async () => {
    const [a, b] = await Promise.all([1, 2].map(() => openInvestigationStore({ dataDir: "unused", databaseUrl: url })));
    try {
      const fromA = await a.save(newInvestigation({ title: "saved on replica A" }));
      const fromB = await b.save(newInvestigation({ title: "saved on replica B" }));
      assert.deepEqual(await b.get(fromA.id), fromA);
      assert.deepEqual(await a.get(fromB.id), fromB);
      assert.deepEqual(await b.flows(fromA.id), newInvestigation().flows);
      assert.deepEqual(
        (await a.list(2)).map((s) => s.id),
        [fromB.id, fromA.id],
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("writes an investigation and all its flow chunks in one transaction", async () => {
    const isolated = await (await postgres()).createDatabase();
    const store = await openInvestigationStore({ dataDir: "unused", databaseUrl: isolated });
    const client = new pg.Client({ connectionString: isolated });
    await client.connect();
    try {
      // The second chunk's insert fails after the row and the first chunk went in.
      await client.query(`
        CREATE FUNCTION fail_second_chunk() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.chunk = 1 THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER fail_second_chunk BEFORE INSERT ON investigation_flows FOR EACH ROW EXECUTE FUNCTION fail_second_chunk();`);
      await assert.rejects(store.save(newInvestigation({ title: "half", flows: flowLines(1, 6_000) })), /disk on fire/);
      assert.deepEqual(await store.list(), []);
      assert.equal((await client.query("SELECT count(*)::int AS n FROM investigation_flows")).rows[0].n, 0);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it("names DATABASE_URL, without the password, when the server is unreachable", async () => {
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(
      openInvestigationStore({ dataDir: "unused", databaseUrl: `postgres://lens:s3cret-pw@127.0.0.1:${port}/lens` }, { connectTimeoutMs: 600 }),
      (err: Error) => {
        assert.match(err.message, /^DATABASE_URL: cannot connect to PostgreSQL at postgres:\/\/lens:\*\*\*@127\.0\.0\.1:\d+\/lens: /);
        assert.ok(!err.message.includes("s3cret-pw"), err.message);
        return true;
      },
    );
    // It retried for the given time, then gave up.
    assert.ok(Date.now() - started >= 500, `gave up after ${Date.now() - started} ms`);
  });

  it("fails at once, naming DATABASE_URL, for a database that does not exist", async () => {
    const missing = (await postgres()).url("no_such_database");
    await assert.rejects(
      openInvestigationStore({ dataDir: "unused", databaseUrl: missing }, { connectTimeoutMs: 60_000 }),
      /DATABASE_URL: cannot connect to PostgreSQL at .*no_such_database: database "no_such_database" does not exist/,
    );
  });
});
