import "server-only";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

// A throwaway, real ClickHouse server for a test run, from Debian's clickhouse-server package
// (18.16): a minimal config (ports, paths, one passwordless user bound to 127.0.0.1) in a temp dir,
// started as a child process, stopped and deleted at the end. Tests skip only when the binary is
// missing; .ci/run installs it, so CI always runs them.

export interface TestClickHouse {
  /** http://127.0.0.1:<port>/<database> */
  url(database: string): string;
  readonly httpPort: number;
  stop(): Promise<void>;
}

export const CLICKHOUSE_MISSING =
  "clickhouse-server not found on PATH: install Debian's clickhouse-server (apt-get install -y clickhouse-server; .ci/run does this) to run the ClickHouse flow store tests";

export function findClickHouseServer(path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, "clickhouse-server"))) return join(dir, "clickhouse-server");
  }
  for (const candidate of ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"]) if (existsSync(candidate)) return candidate;
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

export interface ClickHousePorts {
  readonly http: number;
  readonly tcp: number;
  readonly interserver: number;
}

export async function freePorts(): Promise<ClickHousePorts> {
  return { http: await freePort(), tcp: await freePort(), interserver: await freePort() };
}

/** A `remote_servers` cluster with one shard per server (no replicas), for a Distributed table. */
export function shardsConfig(name: string, tcpPorts: readonly number[]): string {
  const shards = tcpPorts.map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`).join("");
  return `<remote_servers><${name}>${shards}</${name}></remote_servers>`;
}

function config(dir: string, http: number, tcp: number, interserver: number, extra = ""): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <interserver_http_port>${interserver}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  ${extra}
</yandex>
`;
}

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage><insert_distributed_sync>1</insert_distributed_sync></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

/** Starts a server; `ports` and `extraConfig` (XML inside <yandex>) for a cluster of several. */
export async function startTestClickHouse(opts: { ports?: ClickHousePorts; extraConfig?: string } = {}): Promise<TestClickHouse> {
  const bin = findClickHouseServer();
  if (!bin) throw new Error(CLICKHOUSE_MISSING);
  const dir = mkdtempSync(join(tmpdir(), "hubble-lens-ch-"));
  for (const sub of ["data", "tmp", "user_files", "format_schemas"]) mkdirSync(join(dir, sub));
  const { http, tcp, interserver } = opts.ports ?? (await freePorts());
  writeFileSync(join(dir, "config.xml"), config(dir, http, tcp, interserver, opts.extraConfig));
  writeFileSync(join(dir, "users.xml"), USERS);
  const child: ChildProcess = spawn(bin, [`--config-file=${join(dir, "config.xml")}`], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited = false;
  child.once("exit", () => (exited = true));
  const stopSync = () => {
    if (!exited) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopSync);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${http}/?query=SELECT%201`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (exited || Date.now() > deadline) {
      const log = existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8").slice(-2000) : "";
      stopSync();
      throw new Error(`clickhouse-server did not start: ${stderr}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    httpPort: http,
    url: (database) => `http://127.0.0.1:${http}/${database}`,
    async stop() {
      process.removeListener("exit", stopSync);
      if (!exited) {
        child.kill("SIGTERM");
        await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 5000))]);
      }
      stopSync();
    },
  };
}
