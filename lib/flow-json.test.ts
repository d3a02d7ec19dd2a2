import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FlowSchema, Verdict } from "@/proto/gen/flow/flow_pb";
import { GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { FlowJsonError, flowToJsonObject, getFlowsResponseToJson, parseGetFlowsResponseJson, parseJsonLines } from "./flow-json";

import { capturesDir, captureFiles } from "@/lib/testing/captures";

/** JSON text → message → binary → message → JSON text, as a relay would relay it. */
function roundTrip(line: string): string {
  const parsed = parseGetFlowsResponseJson(line);
  const decoded = fromBinary(GetFlowsResponseSchema, toBinary(GetFlowsResponseSchema, parsed));
  return getFlowsResponseToJson(decoded);
}

describe("real Hubble captures round-trip exactly", () => {
  const files = captureFiles();

  it("finds the capture files", () => {
    assert.ok(files.length > 0, `no *.jsonl under ${capturesDir} (set HUBBLE_CAPTURES_DIR)`);
  });

  for (const file of files) {
    it(path.basename(file), () => {
      const lines = readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "");
      assert.ok(lines.length > 0);
      lines.forEach((line, i) => {
        const out = roundTrip(line);
        const where = `${path.basename(file)}:${i + 1}`;
        // Key-order-insensitive: every field survives with its exact value.
        assert.deepStrictEqual(JSON.parse(out), JSON.parse(line), where);
        // And byte-identical, since we write keys in protojson's order too.
        assert.equal(out, line, where);
      });
    });
  }
});

describe("parseGetFlowsResponseJson", () => {
  const envelope =
    '{"flow":{"time":"2023-08-21T12:12:18.510175415Z","verdict":"DROPPED","node_name":"kind-kind/kind-worker","drop_reason_desc":"POLICY_DENIED"},"node_name":"kind-kind/kind-worker","time":"2023-08-21T12:12:18.510175415Z"}';

  it("accepts lowerCamel names as Go's UnmarshalJSON does", () => {
    const camel =
      '{"flow":{"time":"2023-08-21T12:12:18.510175415Z","verdict":"DROPPED","nodeName":"kind-kind/kind-worker","dropReasonDesc":"POLICY_DENIED"},"nodeName":"kind-kind/kind-worker","time":"2023-08-21T12:12:18.510175415Z"}';
    assert.equal(getFlowsResponseToJson(parseGetFlowsResponseJson(camel)), envelope);
  });

  it("names the bad enum value in the error", () => {
    const bad = envelope.replace('"DROPPED"', '"DROPPED_HARD"');
    assert.throws(
      () => parseGetFlowsResponseJson(bad),
      (err: unknown) => err instanceof FlowJsonError && /flow\.verdict/.test(err.message) && /DROPPED_HARD/.test(err.message),
    );
  });

  it("rejects unknown fields instead of silently dropping them", () => {
    const bad = envelope.replace('"verdict"', '"verdikt"');
    assert.throws(() => parseGetFlowsResponseJson(bad), /verdikt/);
  });

  it("rejects non-objects and broken JSON with a clear message", () => {
    assert.throws(() => parseGetFlowsResponseJson("[1,2]"), /expected a JSON object/);
    assert.throws(() => parseGetFlowsResponseJson('{"flow":'), /not valid JSON/);
  });

  it("wraps a bare Flow (legacy -o json) with node_name and time from the flow", () => {
    const bare = '{"time":"2021-06-16T16:52:13.1Z","verdict":"FORWARDED","node_name":"gke-node-1"}';
    const response = parseGetFlowsResponseJson(bare);
    assert.equal(response.responseTypes.case, "flow");
    assert.equal(response.nodeName, "gke-node-1");
    assert.equal(
      getFlowsResponseToJson(response),
      '{"flow":{"time":"2021-06-16T16:52:13.100Z","verdict":"FORWARDED","node_name":"gke-node-1"},"node_name":"gke-node-1","time":"2021-06-16T16:52:13.100Z"}',
    );
  });
});

describe("getFlowsResponseToJson", () => {
  it("writes 64-bit integers as strings and 32-bit ones as numbers", () => {
    const response = create(GetFlowsResponseSchema, {
      responseTypes: {
        case: "flow",
        value: create(FlowSchema, {
          dropReason: 133,
          socketCookie: 18446744073709551615n,
          l7: { latencyNs: 999958359n },
        }),
      },
    });
    const json = JSON.parse(getFlowsResponseToJson(response));
    assert.equal(json.flow.drop_reason, 133);
    assert.equal(json.flow.socket_cookie, "18446744073709551615");
    assert.equal(json.flow.l7.latency_ns, "999958359");
  });

  it("omits zero values but keeps an explicitly set empty message and a false wrapper", () => {
    const flow = create(FlowSchema, {
      verdict: Verdict.VERDICT_UNKNOWN,
      reply: false,
      nodeName: "",
      source: {},
      isReply: false,
      eventType: { type: 4, subType: 0 },
    });
    assert.deepStrictEqual(flowToJsonObject(flow), { source: {}, event_type: { type: 4 }, is_reply: false });
  });

  it("orders keys by declaration like Go's protojson (uuid right after time)", () => {
    const flow = create(FlowSchema, {
      time: { seconds: 1771922619n, nanos: 70396373 },
      uuid: "d54c1e24",
      emitter: { name: "Hubble", version: "1.19.1" },
      verdict: Verdict.FORWARDED,
      nodeName: "n1",
      nodeLabels: ["a=b"],
      Summary: "TCP Flags: SYN",
    });
    assert.equal(
      JSON.stringify(flowToJsonObject(flow)),
      '{"time":"2026-02-24T08:43:39.070396373Z","uuid":"d54c1e24","emitter":{"name":"Hubble","version":"1.19.1"},"verdict":"FORWARDED","node_name":"n1","node_labels":["a=b"],"Summary":"TCP Flags: SYN"}',
    );
  });
});

describe("parseJsonLines", () => {
  it("reports a malformed line with its number and keeps going", () => {
    const text = [
      '{"flow":{"verdict":"FORWARDED"},"node_name":"a"}',
      "",
      "{not json",
      '{"flow":{"verdict":"NOPE"}}\r',
      '{"lost_events":{"source":"HUBBLE_RING_BUFFER","num_events_lost":"1"},"node_name":"a"}',
    ].join("\n");
    const results = [...parseJsonLines(text)];
    assert.deepStrictEqual(
      results.map((r) => [r.line, r.ok]),
      [
        [1, true],
        [3, false],
        [4, false],
        [5, true],
      ],
    );
    const bad = results[1];
    assert.ok(!bad.ok && /not valid JSON/.test(bad.error));
    const lost = results[3];
    assert.ok(lost.ok && lost.response.responseTypes.case === "lostEvents");
  });
});
