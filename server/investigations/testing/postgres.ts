import "server-only";
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";

// A throwaway, real PostgreSQL server for a test run: initdb into a temp dir, start on a free
// 127.0.0.1 port with its unix socket in the temp dir (never touching a system cluster), stop and
// delete everything at the end. PostgreSQL refuses to run as root, so as root (CI) the server runs
// as the `postgres` user that Debian's package creates, in a dir that user owns.
//
// Missing binaries are a failure, not a skip: the PostgreSQL store must be tested where it ships.

export interface TestPostgres {
  /** postgres://postgres:…@127.0.0.1:<port>/<db>; trust auth, so the password is ignored. */
  url(database: string): string;
  /** A new, empty database; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

const MISSING =
  "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH: " +
  "install Debian's postgresql package (apt-get install -y postgresql; .ci/run does this) to run the PostgreSQL store tests";

/** Directory holding initdb and pg_ctl: the newest <base>/<v>/bin (Debian's layout), else PATH. */
export function findPostgresBin(base = "/usr/lib/postgresql", path = process.env.PATH ?? ""): string {
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    const bin = join(base, v, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  throw new Error(MISSING);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "hubble-lens-pg-"));
  const data = join(dir, "data");
  const socketDir = join(dir, "sock");
  const logFile = join(dir, "server.log");
  mkdirSync(socketDir);
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    chownSync(socketDir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]] : [join(bin, tool), args];
    const r = spawnSync(cmd, argv, { encoding: "utf8", cwd: dir });
    if (r.status !== 0) {
      const serverLog = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "";
      throw new Error(`${tool} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}${r.error ? r.error.message : ""}\n${serverLog}`);
    }
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  let port = 0;
  try {
    // --no-sync: a test cluster need not survive a power cut; it makes initdb ~10x faster.
    run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    port = await freePort();
    const serverOptions = [
      `-p ${port}`,
      `-k ${socketDir}`,
      "-c listen_addresses=127.0.0.1",
      // No fsync: the tests kill clients, never this server, so durability on disk is not under test.
      "-c fsync=off",
    ].join(" ");
    run("pg_ctl", ["start", "-D", data, "-w", "-t", "60", "-l", logFile, "-o", serverOptions]);
  } catch (err) {
    cleanup();
    throw err;
  }

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      run("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]);
    } finally {
      cleanup();
    }
  };
  // A test file that dies before its after() hook still leaves no server behind.
  process.once("exit", stopSync);

  const url = (database: string) => `postgres://postgres:not-a-secret@127.0.0.1:${port}/${database}`;
  let counter = 0;
  return {
    url,
    async createDatabase(name?: string) {
      const db = name ?? `t${process.pid}_${++counter}`;
      const client = new pg.Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(db)}`);
      } finally {
        await client.end();
      }
      return url(db);
    },
    async stop() {
      process.removeListener("exit", stopSync);
      stopSync();
    },
  };
}
