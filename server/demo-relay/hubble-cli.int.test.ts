import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Flow } from "@/proto/gen/flow/flow_pb";
import { compileFlowFilters } from "@/lib/filters";
import { analyzeHubbleObserveCommand, toHubbleFilters } from "@/lib/filter-model";
import { parseGetFlowsResponseJson } from "@/lib/flow-json";
import { flowHistoryResponse } from "@/server/http/flow-history";
import { RelayClient } from "@/server/relay-client/relay-client";
import { startDemoRelay, type RunningDemoRelay } from "./index";
import { hubbleCli, runHubble } from "./testing/hubble-cli";

// The upstream `hubble` CLI (built from ../shared/tools/hubble-cli) against the demo relay, as a
// Cilium user runs it after `cilium hubble port-forward`. The relay simulates `shop` (seed 7) on a
// clock that stands still, so its buffers hold one fixed set of flows.
//
// For every filter flag the CLI has, three evaluations of the same flows must agree:
//  - the demo relay's, answering the CLI's GetFlows request (`hubble observe --server …`);
//  - the CLI's own (vendored Cilium filter code), when it reads the same flows from stdin;
//  - ours: the command pasted into the filter bar (lib/filter-model) and evaluated by lib/filters.

const S = 1_000_000_000n;
const NOW_NS = 1_750_000_000n * S;
const HISTORY_S = 20n;

interface Line {
  readonly text: string;
  readonly uuid: string;
  readonly timeNs: bigint;
  readonly flow: Flow;
}

function parseLines(stdout: string): Line[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((text) => {
      const r = parseGetFlowsResponseJson(text);
      assert.equal(r.responseTypes.case, "flow", `a flow line: ${text.slice(0, 200)}`);
      const flow = r.responseTypes.value as Flow;
      const t = flow.time!;
      return { text, uuid: flow.uuid, timeNs: t.seconds * S + BigInt(t.nanos), flow };
    });
}

const uuids = (lines: readonly Line[]) => lines.map((l) => l.uuid).sort();

// Flow fields newer than this CLI's copy of flow.proto (Cilium early 2023): it decodes them as
// unknown fields and leaves them out of its JSON. Compared with our export, they are taken out of
// ours (and must be absent from the CLI's, so this list cannot hide a real difference).
const NEWER_FLOW_FIELDS = [
  "aggregate",
  "auth_type",
  "egress_allowed_by",
  "egress_denied_by",
  "emitter",
  "extensions",
  "file",
  "ingress_allowed_by",
  "ingress_denied_by",
  "ip_trace_id",
  "node_labels",
  "policy_log",
  "trace_reason",
  "tunnel",
];
const NEWER_ENDPOINT_FIELDS = ["cluster_name"];
const NEWER_IP_FIELDS = ["source_xlated"];

type JsonLine = { flow?: Record<string, unknown> } & Record<string, unknown>;

function withoutNewerFields(line: JsonLine): JsonLine {
  const flow = { ...line.flow };
  for (const k of NEWER_FLOW_FIELDS) delete flow[k];
  for (const side of ["source", "destination"]) {
    if (!flow[side]) continue;
    const ep = { ...(flow[side] as Record<string, unknown>) };
    for (const k of NEWER_ENDPOINT_FIELDS) delete ep[k];
    flow[side] = ep;
  }
  if (flow.IP) {
    const ip = { ...(flow.IP as Record<string, unknown>) };
    for (const k of NEWER_IP_FIELDS) delete ip[k];
    flow.IP = ip;
  }
  return { ...line, flow };
}

let cli: string;
let relay: RunningDemoRelay;
let server: string;
let all: Line[];
let allFile: string;
const tmp = mkdtempSync(join(tmpdir(), "hl-hubble-cli-"));

before(async () => {
  cli = await hubbleCli();
  relay = await startDemoRelay({
    host: "127.0.0.1",
    port: 0,
    scenario: "shop",
    seed: 7,
    rate: 200,
    epochNs: NOW_NS - HISTORY_S * S,
    now: () => NOW_NS,
  });
  server = relay.address;
  const r = await runHubble(cli, ["observe", "--server", server, "--all", "-o", "jsonpb"]);
  assert.equal(r.code, 0, r.stderr);
  all = parseLines(r.stdout);
  allFile = join(tmp, "all.jsonl");
  writeFileSync(allFile, r.stdout);
});

after(async () => {
  await relay?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** `hubble observe <flags> -o jsonpb --all`, from the relay or (with `fromStdin`) from the capture of all flows. */
async function observe(flags: readonly string[], fromStdin = false): Promise<Line[]> {
  const args = ["observe", ...(fromStdin ? [] : ["--server", server]), "--all", "-o", "jsonpb", ...flags];
  const r = await runHubble(cli, args, fromStdin ? { stdinFile: allFile } : {});
  assert.equal(r.code, 0, `hubble ${args.join(" ")}: ${r.stderr}`);
  return parseLines(r.stdout);
}

/** The flows our filter bar selects for the pasted command. */
function ours(command: string): Line[] {
  const { query, warnings } = analyzeHubbleObserveCommand(command);
  assert.deepEqual(warnings, [], `the CLI accepts ${command}, so should we without a warning`);
  const f = toHubbleFilters(query);
  const matches = compileFlowFilters(f.whitelist, f.blacklist);
  return all.filter((l) => matches(l.flow));
}

describe("hubble status and hubble list nodes against the demo relay", () => {
  it("hubble status passes its health check and reports the relay's buffers and nodes", async () => {
    const r = await runHubble(cli, ["status", "--server", server]);
    assert.equal(r.code, 0, r.stderr);
    const size = relay.cluster.nodes.reduce((n, node) => n + node.ring.size, 0);
    const capacity = relay.cluster.nodes.reduce((n, node) => n + node.ring.capacity, 0);
    const count = (n: number) => n.toLocaleString("en-US");
    assert.match(r.stdout, new RegExp(`^Healthcheck \\(via ${server.replace(/\./g, "\\.")}\\): Ok$`, "m"));
    assert.match(r.stdout, new RegExp(`^Current/Max Flows: ${count(size)}/${count(capacity)} `, "m"));
    assert.match(r.stdout, /^Connected Nodes: 4\/4$/m);
  });

  it("hubble list nodes lists every simulated node as connected, with its flows", async () => {
    const r = await runHubble(cli, ["list", "nodes", "--server", server, "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const nodes = JSON.parse(r.stdout) as Array<{ name: string; state: string; num_flows: string; max_flows: string }>;
    assert.deepEqual(nodes.map((n) => n.name).sort(), relay.cluster.nodeNames.sort());
    for (const n of nodes) {
      const node = relay.cluster.node(n.name)!;
      assert.equal(n.state, "NODE_CONNECTED");
      assert.equal(n.num_flows, String(node.ring.size));
      assert.equal(n.max_flows, String(node.ring.capacity));
    }
    const table = await runHubble(cli, ["list", "nodes", "--server", server]);
    assert.equal(table.code, 0, table.stderr);
    for (const name of relay.cluster.nodeNames) assert.match(table.stdout, new RegExp(`^${name}\\s+Connected\\s`, "m"));
  });
});

// Each filter flag of this CLI version (cilium/hubble e728eef8), with values that select some of
// the shop's flows ("some") or, where the scenario has none, that must select none ("none").
// `cliDiffers` marks the one place where this older CLI's own filter code disagrees with Hubble
// v1.19 (which the relay follows): there only the relay and our filter bar are compared.
const FILTERS: Array<{ flags: string[]; expect: "some" | "none" | "all"; cliDiffers?: string }> = [
  { flags: ["--pod", "shop-backend/checkout"], expect: "some" },
  { flags: ["--from-pod", "shop-frontend/storefront"], expect: "some" },
  { flags: ["--to-pod", "payments/payments-api"], expect: "some" },
  { flags: ["--pod", "checkout"], expect: "none" }, // no namespace means "default"
  { flags: ["--namespace", "payments"], expect: "some" },
  { flags: ["-n", "kube-system", "-n", "data"], expect: "some" },
  { flags: ["--from-namespace", "shop-frontend"], expect: "some" },
  { flags: ["--to-namespace", "data"], expect: "some" },
  { flags: ["--from-namespace", "shop-backend", "--to-namespace", "payments"], expect: "some" },
  { flags: ["--label", "app=cart"], expect: "some" },
  { flags: ["-l", "k8s:app=checkout"], expect: "some" },
  {
    flags: ["--from-label", "app.kubernetes.io/name=prometheus"],
    expect: "some",
    // Cilium before 1.14 read the text before the first dot of a key without a source as the
    // source ("app"); later versions read a key without a source as any:<key>.
    cliDiffers: "a label key with dots and no source prefix",
  },
  { flags: ["--to-label", "app in (postgres,pgbouncer)"], expect: "some" },
  { flags: ["--label", "reserved:world"], expect: "some" },
  { flags: ["--ip", "10.244.1.0/24"], expect: "some" },
  { flags: ["--from-ip", "10.244.0.0/24"], expect: "some" },
  { flags: ["--to-ip", "54.187.174.169"], expect: "some" },
  { flags: ["--fqdn", "*.sentry.io"], expect: "some" },
  { flags: ["--to-fqdn", "api.stripe.com"], expect: "some" },
  { flags: ["--from-fqdn", "api.stripe.com"], expect: "some" },
  { flags: ["--service", "shop-backend/cart"], expect: "some" },
  { flags: ["--to-service", "kube-system/kube-dns"], expect: "some" },
  { flags: ["--from-service", "data/postgres"], expect: "some" },
  { flags: ["--port", "5432"], expect: "some" },
  { flags: ["--from-port", "53"], expect: "some" },
  { flags: ["--to-port", "6432"], expect: "some" },
  { flags: ["--workload", "Deployment/checkout"], expect: "some" },
  { flags: ["--from-workload", "orders"], expect: "some" },
  { flags: ["--to-workload", "StatefulSet/kafka"], expect: "some" },
  { flags: ["--identity", "world"], expect: "some" },
  { flags: ["--from-identity", "host"], expect: "some" },
  { flags: ["--to-identity", "kube-apiserver"], expect: "some" },
  { flags: ["--verdict", "DROPPED"], expect: "some" },
  { flags: ["--verdict", "REDIRECTED", "--verdict", "AUDIT"], expect: "some" },
  { flags: ["--verdict", "AUDIT"], expect: "some" }, // billing, in policy audit mode
  { flags: ["--to-namespace", "billing", "-t", "policy-verdict", "--not", "--verdict", "AUDIT"], expect: "some" },
  { flags: ["--not", "--verdict", "FORWARDED"], expect: "some" },
  { flags: ["--protocol", "http"], expect: "some" },
  { flags: ["--protocol", "UDP"], expect: "some" },
  { flags: ["--protocol", "kafka"], expect: "some" },
  { flags: ["--protocol", "dns"], expect: "some" },
  { flags: ["--tcp-flags", "SYN"], expect: "some" },
  { flags: ["--tcp-flags", "fin,ack"], expect: "some" },
  { flags: ["-t", "drop"], expect: "some" },
  { flags: ["-t", "trace:to-endpoint"], expect: "some" },
  { flags: ["--type", "trace:to-overlay", "--type", "policy-verdict"], expect: "some" },
  { flags: ["-t", "l7"], expect: "some" },
  { flags: ["--http-status", "4+"], expect: "some" },
  { flags: ["--http-status", "403"], expect: "some" },
  { flags: ["--http-method", "post"], expect: "some" },
  { flags: ["--http-path", "^/v1/charges"], expect: "some" },
  { flags: ["--node-name", "shop-node-a1"], expect: "some" },
  { flags: ["--node-name", "shop-node-a*"], expect: "some" },
  { flags: ["--trace-id", "4bf92f3577b34da6a3ce929d0e0e4736"], expect: "none" },
  { flags: ["-4"], expect: "all" },
  { flags: ["--ip-version", "v6"], expect: "none" },
  { flags: ["--not", "--namespace", "kube-system", "--not", "--namespace", "monitoring"], expect: "some" },
  { flags: ["--namespace", "payments", "--not", "--label", "app=payments-api"], expect: "some" },
  { flags: ["--pod", "shop-backend/checkout", "--to-port", "50051", "--verdict", "FORWARDED"], expect: "some" },
];

describe("hubble observe with each filter flag: the relay, the CLI and our filter bar select the same flows", () => {
  for (const { flags, expect, cliDiffers } of FILTERS) {
    const command = `hubble observe ${flags.map((f) => (/[\s*()]/.test(f) ? `'${f}'` : f)).join(" ")}`;
    it(command, async () => {
      const fromRelay = await observe(flags);
      if (expect === "some") {
        assert.ok(fromRelay.length > 0 && fromRelay.length < all.length, `selects some of the ${all.length} flows, got ${fromRelay.length}`);
      } else {
        assert.equal(fromRelay.length, expect === "all" ? all.length : 0);
      }
      if (!cliDiffers) assert.deepEqual(uuids(fromRelay), uuids(await observe(flags, true)), "the relay's evaluation equals the CLI's own");
      assert.deepEqual(uuids(fromRelay), uuids(ours(command)), "our filter bar's evaluation equals the relay's");
    });
  }

  it("hubble observe --uuid finds exactly that flow", async () => {
    const target = all[Math.floor(all.length / 2)];
    const found = await observe(["--uuid", target.uuid]);
    assert.deepEqual(uuids(found), [target.uuid]);
    assert.deepEqual(uuids(ours(`hubble observe --uuid ${target.uuid}`)), [target.uuid]);
  });
});

describe("hubble observe -o jsonpb and our export", () => {
  const client = () => new RelayClient({ address: server, tls: null, dialTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
  async function history(query: string): Promise<JsonLine[]> {
    const c = client();
    try {
      const res = await flowHistoryResponse(new Request(`http://lens.test/api/flows/history?limit=100000&${query}`), c);
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.text())
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => withoutNewerFields(JSON.parse(l) as JsonLine));
    } finally {
      c.close();
    }
  }

  for (const { flags, query } of [
    { flags: [] as string[], query: "" },
    { flags: ["--namespace", "payments", "--verdict", "DROPPED", "--verdict", "FORWARDED"], query: "namespace=payments&verdict=DROPPED&verdict=FORWARDED" },
    { flags: ["--protocol", "http"], query: "filter=protocol%3Dhttp" },
  ]) {
    it(`GET /api/flows/history?${query} gives the same JSON lines as hubble observe ${flags.join(" ")} -o jsonpb`, async () => {
      const cliLines = (await observe(flags)).map((l) => JSON.parse(l.text) as JsonLine);
      assert.ok(cliLines.length > 0);
      assert.deepEqual(cliLines.map(withoutNewerFields), cliLines, "the CLI prints none of the newer fields");
      assert.deepEqual(await history(query), cliLines);
    });
  }

  it("--since/--until select the same window in the CLI, the relay, our parser and our export", async () => {
    const times = all.map((l) => l.timeNs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const since = times[Math.floor(times.length / 4)];
    const until = times[Math.floor((3 * times.length) / 4)];
    const rfc3339 = (ns: bigint) => `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % S).padStart(9, "0")}Z`;
    const flags = ["--since", rfc3339(since), "--until", rfc3339(until)];
    const fromRelay = await observe(flags);
    const expected = all.filter((l) => l.timeNs >= since && l.timeNs <= until);
    assert.ok(expected.length > 0 && expected.length < all.length);
    assert.deepEqual(uuids(fromRelay), uuids(expected), "inclusive at both ends, as Hubble");

    const { query } = analyzeHubbleObserveCommand(`hubble observe ${flags.join(" ")}`);
    assert.deepEqual([query.since, query.until], [rfc3339(since), rfc3339(until)]);
    const exported = await history(`since=${encodeURIComponent(query.since!)}&until=${encodeURIComponent(query.until!)}`);
    assert.deepEqual(
      exported,
      fromRelay.map((l) => JSON.parse(l.text) as JsonLine),
    );
  });
});
