import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { LostEventSource, Verdict } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { flowToJsonObject, getFlowsResponseToJson } from "@/lib/flow-json";
import { nsToTimestamp, timestampToNs } from "@/lib/timestamp";
import {
  at,
  captureDir,
  captureFiles,
  capturesDir,
  flowLine,
  flowsOf,
  getFlows,
  type GetFlowsInit,
  isNonDecreasing,
  lostLine,
  nodeStatusesOf,
  type RelayUnderTest,
  startRelayWithClient,
  T0_NS,
  timesOf,
  uuidFor,
} from "./test-support";

// GetFlows over real gRPC against replayed captures (non-loop: every event sits in the rings with
// its recorded time, so each request has one exact answer).

describe("every real capture, replayed, is received intact", () => {
  const files = captureFiles();

  it("finds the capture files", () => {
    assert.ok(files.length > 0, `no *.jsonl under ${capturesDir} (set HUBBLE_CAPTURES_DIR)`);
  });

  for (const file of files) {
    it(path.basename(file), async () => {
      const lines = readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "");
      const nodes = [...new Set(lines.map((l) => (JSON.parse(l) as { node_name: string }).node_name))].sort();
      const t = await startRelayWithClient({ replay: file });
      try {
        const responses = await getFlows(t.client, { number: 0n, follow: false });
        const [status, ...rest] = responses;
        assert.equal(status.responseTypes.case, "nodeStatus", "one node_status first");
        if (status.responseTypes.case === "nodeStatus") {
          assert.equal(status.responseTypes.value.stateChange, NodeState.NODE_CONNECTED);
          assert.deepEqual([...status.responseTypes.value.nodeNames].sort(), nodes);
        }
        assert.ok(
          rest.every((r) => r.responseTypes.case === "flow"),
          "then only flows",
        );
        // Byte-identical jsonpb, compared as multisets (equal timestamps may merge in any node order).
        assert.deepEqual(rest.map(getFlowsResponseToJson).sort(), [...lines].sort());
        assert.ok(isNonDecreasing(timesOf(rest)), "merged oldest to newest");
      } finally {
        await t.close();
      }
    });
  }
});

// Three nodes, flows one second apart, round-robin: a at 1,4,7,10,13; b at 2,5,…; c at 3,6,….
// a's flows at 1 and 7 are DROPPED; a also holds a perf-ring lost event at 11.5.
const NODES = ["a", "b", "c"] as const;
const POD = { a: "shop/frontend", b: "kube-system/coredns", c: "shop/cart" } as const;
const LOST_AT = 11.5;

function threeNodeCapture(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (let t = 1; t <= 15; t++) {
    const node = NODES[(t - 1) % 3];
    lines.push(
      flowLine({
        node,
        t,
        uuid: uuidFor(node, t),
        verdict: node === "a" && (t === 1 || t === 7) ? "DROPPED" : "FORWARDED",
        srcPod: POD[node].split("/")[1],
        srcNs: POD[node].split("/")[0],
      }),
    );
  }
  lines.push(lostLine("a", LOST_AT, 3));
  return lines;
}

/** The stream after its NODE_CONNECTED, as seconds after T0: flows as numbers, lost events as "L<t>". */
function timeline(responses: readonly GetFlowsResponse[]): Array<number | string> {
  return responses.slice(1).map((r) => {
    const s = Number(timestampToNs(r.time) - T0_NS) / 1e9;
    return r.responseTypes.case === "lostEvents" ? `L${s}` : s;
  });
}

const L = `L${LOST_AT}`;
const ts = (seconds: number) => nsToTimestamp(at(seconds));

describe("GetFlows through the relay, on a 3-node capture", () => {
  let t: RelayUnderTest;
  const dir = captureDir();

  before(async () => {
    t = await startRelayWithClient({ replay: dir.write("three-nodes.jsonl", threeNodeCapture()) });
  });
  after(async () => {
    await t?.close();
    dir.cleanup();
  });

  const cases: Array<{ rule: string; req: GetFlowsInit; expect: Array<number | string> }> = [
    {
      rule: "number=0 outside follow returns the whole ring, oldest first",
      req: { number: 0n },
      expect: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, L, 12, 13, 14, 15],
    },
    {
      rule: "number=2^64-1 (hubble observe --all) returns everything",
      req: { number: 2n ** 64n - 1n },
      expect: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, L, 12, 13, 14, 15],
    },
    { rule: "number counts per node: 3 nodes × number=1 gives 3 flows", req: { number: 1n }, expect: [13, 14, 15] },
    {
      rule: "number counts per node: 3 nodes × number=2 gives 6 flows (lost events ride along, uncounted)",
      req: { number: 2n },
      expect: [10, 11, L, 12, 13, 14, 15],
    },
    { rule: "first takes the oldest N per node", req: { number: 2n, first: true }, expect: [1, 2, 3, 4, 5, 6] },
    {
      rule: "first with number=0 takes everything",
      req: { first: true },
      expect: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, L, 12, 13, 14, 15],
    },
    { rule: "since picks the start", req: { since: ts(8) }, expect: [8, 9, 10, 11, L, 12, 13, 14, 15] },
    {
      rule: "since+number is the first N per node at/after since",
      req: { since: ts(8), number: 1n },
      expect: [8, 9, 10],
    },
    { rule: "until ends each node's stream at its first flow after until", req: { until: ts(9) }, expect: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
    { rule: "since and until bound both ends", req: { since: ts(4), until: ts(9) }, expect: [4, 5, 6, 7, 8, 9] },
    {
      rule: "filters apply while counting: the last N matching, not the last N filtered",
      req: { number: 1n, whitelist: [{ verdict: [Verdict.DROPPED] }] },
      expect: [7],
    },
    {
      rule: "lost events bypass filters and are not counted",
      req: { number: 2n, whitelist: [{ uuid: ["no-such-flow"] }] },
      expect: [L],
    },
    {
      rule: "whitelist filters are OR'ed",
      req: { whitelist: [{ verdict: [Verdict.DROPPED] }, { sourcePod: ["kube-system/"] }] },
      expect: [1, 2, 5, 7, 8, 11, L, 14],
    },
    {
      rule: "a flow matching any blacklist filter is excluded",
      req: { blacklist: [{ verdict: [Verdict.DROPPED] }, { sourcePod: ["kube-system/"] }] },
      expect: [3, 4, 6, 9, 10, L, 12, 13, 15],
    },
    {
      rule: "whitelist and blacklist combine: matches a whitelist filter and no blacklist filter",
      req: { whitelist: [{ sourcePod: ["shop/"] }], blacklist: [{ verdict: [Verdict.DROPPED] }] },
      expect: [3, 4, 6, 9, 10, L, 12, 13, 15],
    },
    {
      rule: "a blacklist counts too: the last N that are not excluded",
      req: { number: 1n, blacklist: [{ sourcePod: ["shop/"] }] },
      // a and c have no flow left, so they walk their whole ring; a's lost event rides along.
      expect: [L, 14],
    },
  ];
  for (const c of cases) {
    it(c.rule, async () => {
      const responses = await getFlows(t.client, c.req);
      const status = nodeStatusesOf(responses.slice(0, 1))[0];
      assert.equal(status?.stateChange, NodeState.NODE_CONNECTED, "NODE_CONNECTED first");
      assert.deepEqual([...status.nodeNames].sort(), [...NODES]);
      assert.deepEqual(timeline(responses), c.expect);
    });
  }

  it("a lost event keeps its node, source and count", async () => {
    const responses = await getFlows(t.client, { whitelist: [{ uuid: ["no-such-flow"] }] });
    const lost = responses[1];
    assert.equal(lost.responseTypes.case, "lostEvents");
    if (lost.responseTypes.case !== "lostEvents") return;
    assert.equal(lost.nodeName, "a");
    assert.equal(lost.responseTypes.value.source, LostEventSource.PERF_EVENT_RING_BUFFER);
    assert.equal(lost.responseTypes.value.numEventsLost, 3n);
  });

  it("flows keep their envelope: node_name and time equal the flow's", async () => {
    const responses = await getFlows(t.client, {});
    for (const r of responses.filter((x) => x.responseTypes.case === "flow")) {
      const flow = flowsOf([r])[0];
      assert.equal(r.nodeName, flow.nodeName);
      assert.equal(timestampToNs(r.time), timestampToNs(flow.time));
    }
  });

  it("the relay announces its version in the response metadata", async () => {
    const call = t.client.getFlows(create(GetFlowsRequestSchema, { number: 1n }));
    const metadata = await new Promise<grpc.Metadata>((resolve) => call.on("metadata", resolve));
    call.on("data", () => {});
    await new Promise((resolve) => call.on("end", resolve));
    assert.match(String(metadata.get("hubble-relay-version")[0]), /\S/);
  });

  describe("invalid requests end with NODE_ERROR in-stream, not a gRPC error", () => {
    const cases: Array<{ rule: string; req: GetFlowsInit; message: RegExp }> = [
      { rule: "first with follow", req: { first: true, follow: true }, message: /first cannot be specified with follow/ },
      { rule: "a bad regex in http_path", req: { whitelist: [{ httpPath: ["/api/(v1"] }] }, message: /http path.*\/api\/\(v1/ },
      { rule: "a bad CIDR in source_ip", req: { whitelist: [{ sourceIp: ["10.0.0.0/33"] }] }, message: /10\.0\.0\.0\/33/ },
      { rule: "a bad filter in the blacklist", req: { blacklist: [{ sourceIp: ["not-an-ip"] }] }, message: /not-an-ip/ },
      { rule: "a field_mask path Flow does not have", req: { fieldMask: { paths: ["verdict", "no_such_field"] } }, message: /no_such_field/ },
    ];
    for (const c of cases) {
      it(c.rule, async () => {
        const responses = await getFlows(t.client, c.req); // resolves: status OK
        const statuses = nodeStatusesOf(responses);
        assert.equal(responses.length, 2, "NODE_CONNECTED, NODE_ERROR, then the end");
        assert.equal(statuses[0].stateChange, NodeState.NODE_CONNECTED);
        assert.equal(statuses[1].stateChange, NodeState.NODE_ERROR);
        assert.deepEqual([...statuses[1].nodeNames].sort(), [...NODES], "one event naming every node");
        assert.match(statuses[1].message, c.message);
      });
    }
  });

  describe("field_mask", () => {
    it("returns only the masked fields, envelope time and node_name from the masked flow", async () => {
      const responses = await getFlows(t.client, { number: 1n, fieldMask: { paths: ["time", "verdict", "node_name"] } });
      const flows = responses.filter((r) => r.responseTypes.case === "flow");
      assert.equal(flows.length, 3);
      for (const r of flows) {
        const flow = flowsOf([r])[0];
        assert.deepEqual(Object.keys(flowToJsonObject(flow)).sort(), ["node_name", "time", "verdict"]);
        assert.equal(r.nodeName, flow.nodeName);
        assert.ok(NODES.includes(r.nodeName as (typeof NODES)[number]));
        assert.equal(timestampToNs(r.time), timestampToNs(flow.time));
      }
      assert.deepEqual(timeline(responses), [13, 14, 15]);
    });

    it("masking time and node_name away leaves the envelope without them", async () => {
      const responses = await getFlows(t.client, { number: 1n, fieldMask: { paths: ["verdict"] } });
      const flows = responses.filter((r) => r.responseTypes.case === "flow");
      assert.equal(flows.length, 3);
      for (const r of flows) {
        assert.equal(r.time, undefined);
        assert.equal(r.nodeName, "");
        assert.deepEqual(flowToJsonObject(flowsOf([r])[0]), { verdict: "FORWARDED" });
      }
    });

    it("keeps only the named sub-field of a nested message", async () => {
      const responses = await getFlows(t.client, { number: 1n, fieldMask: { paths: ["source.namespace"] } });
      const namespaces = flowsOf(responses).map((f) => flowToJsonObject(f));
      assert.deepEqual(namespaces.map((j) => JSON.stringify(j)).sort(), [
        '{"source":{"namespace":"kube-system"}}',
        '{"source":{"namespace":"shop"}}',
        '{"source":{"namespace":"shop"}}',
      ]);
    });
  });
});
