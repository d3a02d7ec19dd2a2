import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { LostEventSchema, LostEventSource } from "@/proto/gen/flow/flow_pb";
import { parsePrometheusText, sampleValue } from "@/lib/prometheus-text";
import { HubbleLensMetrics } from "./metrics";

// The counters and gauges of /metrics, read back the way Prometheus reads them: through the text
// format, never through prom-client's objects.

async function scrape(m: HubbleLensMetrics) {
  return parsePrometheusText(await m.text());
}

const flowResponse = () => create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: {} } });
const lostResponse = (source: LostEventSource, n: number) =>
  create(GetFlowsResponseSchema, { responseTypes: { case: "lostEvents", value: create(LostEventSchema, { source, numEventsLost: BigInt(n) }) } });

describe("HubbleLensMetrics", () => {
  it("the scrape is valid Prometheus text with a HELP and TYPE for every family", async () => {
    const families = await scrape(new HubbleLensMetrics());
    for (const name of [
      "hubble_lens_relay_streams",
      "hubble_lens_relay_reconnects_total",
      "hubble_lens_relay_flows_received_total",
      "hubble_lens_relay_lost_events_total",
      "hubble_lens_upstream_streams",
      "hubble_lens_sse_subscribers",
      "hubble_lens_sse_missed_flows_total",
      "hubble_lens_sse_bytes_total",
      "hubble_lens_explain_duration_seconds",
      "hubble_lens_investigation_saves_total",
      "hubble_lens_auth_failures_total",
      "process_cpu_seconds_total",
    ]) {
      const f = families.get(name);
      assert.ok(f, `${name} is exposed`);
      assert.notEqual(f.type, "untyped", `${name} has a TYPE`);
      assert.ok(f.help.length > 10, `${name} has a HELP`);
    }
    assert.equal(sampleValue(families, "hubble_lens_auth_failures_total"), 0);
  });

  it("counts flows and lost events from the relay streams, lost events by source", async () => {
    const m = new HubbleLensMetrics();
    for (let i = 0; i < 5; i++) m.relayResponse(flowResponse());
    m.relayResponse(lostResponse(LostEventSource.PERF_EVENT_RING_BUFFER, 7));
    m.relayResponse(lostResponse(LostEventSource.PERF_EVENT_RING_BUFFER, 3));
    m.relayResponse(lostResponse(LostEventSource.HUBBLE_RING_BUFFER, 2));
    let f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_relay_flows_received_total"), 5);
    assert.equal(sampleValue(f, "hubble_lens_relay_lost_events_total", { source: "PERF_EVENT_RING_BUFFER" }), 10);
    assert.equal(sampleValue(f, "hubble_lens_relay_lost_events_total", { source: "HUBBLE_RING_BUFFER" }), 2);
    m.relayResponse(flowResponse());
    f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_relay_flows_received_total"), 6, "a second scrape reports the new total, not a sum of scrapes");
  });

  it("the relay's flow delay: receipt time minus the time of a sampled flow (one in 256)", async () => {
    const m = new HubbleLensMetrics();
    assert.equal(sampleValue(await scrape(m), "hubble_lens_relay_flow_delay_seconds"), 0, "0 before any flow");
    const at = (msAgo: number) => {
      const ms = Date.now() - msAgo;
      return create(GetFlowsResponseSchema, {
        responseTypes: { case: "flow", value: { time: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 } } },
      });
    };
    m.relayResponse(at(3000));
    const first = sampleValue(await scrape(m), "hubble_lens_relay_flow_delay_seconds")!;
    assert.ok(first >= 3 && first < 3.5, `${first} s`);
    for (let i = 0; i < 255; i++) m.relayResponse(at(60_000)); // not sampled
    assert.equal(sampleValue(await scrape(m), "hubble_lens_relay_flow_delay_seconds"), first);
    m.relayResponse(at(500)); // the 257th: sampled
    const next = sampleValue(await scrape(m), "hubble_lens_relay_flow_delay_seconds")!;
    assert.ok(next >= 0.5 && next < 1, `${next} s`);
  });

  it("relay streams by state; a reconnect counts once however long it retries; relay_up follows", async () => {
    const m = new HubbleLensMetrics();
    const a = {};
    const b = {};
    let f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_relay_up"), 0, "0 before the first contact");
    assert.equal(m.relayFirstReachedAt, undefined);
    m.relayStreamState(a, "connecting");
    m.relayStreamState(b, "connecting");
    m.relayStreamState(a, "live");
    f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_relay_streams", { state: "live" }), 1);
    assert.equal(sampleValue(f, "hubble_lens_relay_streams", { state: "connecting" }), 1);
    assert.equal(sampleValue(f, "hubble_lens_relay_up"), 1);
    const reached = m.relayFirstReachedAt;
    assert.ok(reached);
    m.relayStreamState(a, "reconnecting");
    m.relayStreamState(a, "reconnecting"); // the next attempt of the same outage
    m.relayStreamState(a, "live");
    m.relayStreamState(a, "reconnecting");
    f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_relay_reconnects_total"), 2);
    assert.equal(sampleValue(f, "hubble_lens_relay_up"), 0);
    assert.equal(m.relayFirstReachedAt, reached, "the first contact stays the first");
    m.relayStreamClosed(a);
    m.relayStreamClosed(b);
    f = await scrape(m);
    for (const state of ["connecting", "live", "reconnecting", "failed"]) {
      assert.equal(sampleValue(f, "hubble_lens_relay_streams", { state }), 0, state);
    }
  });

  it("SSE subscribers while open, their bytes, queued bytes, and missed flows of open and closed streams", async () => {
    const m = new HubbleLensMetrics();
    const s1 = { missedTotal: 0, queuedBytes: 1000 };
    const s2 = { missedTotal: 0, queuedBytes: 24 };
    m.sseOpened(s1);
    m.sseOpened(s2);
    m.sseWrote(100);
    m.sseWrote(23);
    s1.missedTotal = 40;
    let f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_sse_subscribers"), 2);
    assert.equal(sampleValue(f, "hubble_lens_sse_bytes_total"), 123);
    assert.equal(sampleValue(f, "hubble_lens_sse_missed_flows_total"), 40);
    assert.equal(sampleValue(f, "hubble_lens_sse_queued_bytes"), 1024);
    m.sseClosed(s1);
    m.sseClosed(s1); // closing twice counts once
    s2.missedTotal = 2;
    f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_sse_subscribers"), 1);
    assert.equal(sampleValue(f, "hubble_lens_sse_missed_flows_total"), 42);
    assert.equal(sampleValue(f, "hubble_lens_sse_queued_bytes"), 24, "a closed stream's queue is gone");
  });

  it("upstream streams come from the runtime at scrape time", async () => {
    const m = new HubbleLensMetrics();
    let upstreams = 3;
    m.bindRuntime({ upstreamStreams: () => upstreams });
    assert.equal(sampleValue(await scrape(m), "hubble_lens_upstream_streams"), 3);
    upstreams = 1;
    assert.equal(sampleValue(await scrape(m), "hubble_lens_upstream_streams"), 1);
  });

  it("investigation saves by result, explain latency as a histogram", async () => {
    const m = new HubbleLensMetrics();
    m.investigationSaved(201);
    m.investigationSaved(400);
    m.investigationSaved(413);
    m.investigationSaved(500);
    const done = m.explainSeconds.startTimer();
    done();
    m.explainSeconds.observe(0.2);
    const f = await scrape(m);
    assert.equal(sampleValue(f, "hubble_lens_investigation_saves_total", { result: "saved" }), 1);
    assert.equal(sampleValue(f, "hubble_lens_investigation_saves_total", { result: "rejected" }), 2);
    assert.equal(sampleValue(f, "hubble_lens_investigation_saves_total", { result: "failed" }), 1);
    assert.equal(sampleValue(f, "hubble_lens_explain_duration_seconds_count"), 2);
    assert.equal(sampleValue(f, "hubble_lens_explain_duration_seconds_bucket", { le: "0.25" }), 2);
    assert.equal(sampleValue(f, "hubble_lens_explain_duration_seconds_bucket", { le: "0.1" }), 1);
  });
});

describe("parsePrometheusText", () => {
  it("refuses what Prometheus would refuse", () => {
    for (const bad of ['x{a="1} 1', "x 1 2 3", 'x{1a="b"} 1', "x{a=b} 1", "x abc", "# TYPE x countr"]) {
      assert.throws(() => parsePrometheusText(`${bad}\n`), Error, bad);
    }
  });

  it("reads labels with escapes, special values and suffixed samples", () => {
    const f = parsePrometheusText('# TYPE h histogram\nh_bucket{le="+Inf",p="a\\"b\\\\c"} 3\nh_sum 1.5\nh_count 3\ng NaN\n');
    assert.equal(sampleValue(f, "h_bucket", { le: "+Inf", p: 'a"b\\c' }), 3);
    assert.equal(f.get("h")!.samples.length, 3);
    assert.ok(Number.isNaN(sampleValue(f, "g")!));
  });
});
