import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeEvent, HEARTBEAT, parseEventData, SseParser, type StreamEvent } from "./sse";

// One event of every type, as the server sends them.
const EVERY_EVENT: readonly StreamEvent[] = [
  { type: "ready", command: "hubble observe --follow --verdict DROPPED", follow: true },
  {
    type: "flows",
    flows: [{ time: "2023-08-21T12:12:18.510175415Z", verdict: "DROPPED", Summary: 'a "quoted"\nline\u2028é' }],
    history: true,
  },
  { type: "flows", flows: [] },
  { type: "lost", node: "kind-worker", source: "PERF_EVENT_RING_BUFFER", count: 12 },
  { type: "missed", count: 500 },
  { type: "nodes", state: "NODE_CONNECTED", nodes: ["a", "b"] },
  { type: "nodes", state: "NODE_ERROR", nodes: ["a"], message: "bad filter" },
  { type: "relay", state: { kind: "connecting", address: "127.0.0.1:4245" } },
  { type: "relay", state: { kind: "live", address: "127.0.0.1:4245", since: "2024-01-01T00:00:00.000Z" } },
  {
    type: "relay",
    state: {
      kind: "reconnecting",
      address: "127.0.0.1:4245",
      attempt: 3,
      nextTryAt: "2024-01-01T00:00:02.000Z",
      lastError: "Hubble Relay is not reachable.",
    },
  },
  { type: "relay", state: { kind: "failed", address: "127.0.0.1:4245", reason: "TLS" } },
  { type: "error", code: "node-error", message: "kind-worker: boom" },
  { type: "end", reason: "complete" },
];

function parseAll(chunks: readonly string[]): { events: StreamEvent[]; skipped: number } {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(c));
  return { events, skipped: parser.skipped };
}

describe("SSE protocol", () => {
  it("every event type survives encode → parse unchanged", () => {
    for (const event of EVERY_EVENT) {
      assert.deepEqual(parseAll([encodeEvent(event)]).events, [event], event.type);
    }
  });

  it("the frame's event name repeats the type, so EventSource listeners can pick it", () => {
    for (const event of EVERY_EVENT) {
      assert.ok(encodeEvent(event).startsWith(`event: ${event.type}\ndata: `));
      assert.ok(encodeEvent(event).endsWith("\n\n"));
    }
  });

  it("a stream split anywhere, down to single characters, parses the same", () => {
    const text = EVERY_EVENT.map(encodeEvent).join(HEARTBEAT);
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const { events, skipped } = parseAll(chunks);
      assert.deepEqual(events, EVERY_EVENT, `chunk size ${size}`);
      assert.equal(skipped, 0);
    }
  });

  it("CRLF line endings parse like LF, also split byte by byte", () => {
    const text = EVERY_EVENT.map(encodeEvent).join("").replace(/\n/g, "\r\n");
    assert.deepEqual(parseAll([text]).events, EVERY_EVENT);
    assert.deepEqual(parseAll([...text]).events, EVERY_EVENT);
  });

  it("comments and heartbeats yield nothing and are not counted as skipped", () => {
    const { events, skipped } = parseAll([HEARTBEAT, ": another comment\n\n", encodeEvent(EVERY_EVENT[0]), HEARTBEAT]);
    assert.deepEqual(events, [EVERY_EVENT[0]]);
    assert.equal(skipped, 0);
  });

  it("an incomplete frame waits for its blank line", () => {
    const parser = new SseParser();
    const frame = encodeEvent({ type: "missed", count: 1 });
    assert.deepEqual(parser.push(frame.slice(0, -1)), []);
    assert.deepEqual(parser.push("\n"), [{ type: "missed", count: 1 }]);
  });

  const SKIPPED_FRAMES: ReadonlyArray<{ rule: string; frame: string }> = [
    { rule: "bad JSON", frame: "event: flows\ndata: {not json\n\n" },
    { rule: "JSON that is not an object", frame: "event: end\ndata: 42\n\n" },
    { rule: "JSON null", frame: "data: null\n\n" },
    { rule: "an unknown event name with an unknown type", frame: 'event: gossip\ndata: {"type":"gossip"}\n\n' },
    { rule: "an unknown type without an event name", frame: 'data: {"type":"gossip"}\n\n' },
    { rule: "an event name that contradicts the type", frame: 'event: end\ndata: {"type":"missed","count":1}\n\n' },
    { rule: "an object without a type", frame: 'event: end\ndata: {"reason":"complete"}\n\n' },
  ];
  for (const { rule, frame } of SKIPPED_FRAMES) {
    it(`a frame with ${rule} is skipped and counted, and the stream goes on`, () => {
      const good = { type: "missed", count: 2 } as const;
      const { events, skipped } = parseAll([encodeEvent(good), frame, encodeEvent(good)]);
      assert.deepEqual(events, [good, good]);
      assert.equal(skipped, 1);
    });
  }

  it("data split over several data lines is joined with newlines", () => {
    const { events } = parseAll(['event: missed\ndata: {"type":"missed",\ndata: "count":3}\n\n']);
    assert.deepEqual(events, [{ type: "missed", count: 3 }]);
  });

  it("a frame without an event name is accepted when its data names a known type", () => {
    assert.deepEqual(parseAll(['data: {"type":"end","reason":"shutdown"}\n\n']).events, [{ type: "end", reason: "shutdown" }]);
  });

  it("parseEventData checks name against type, as EventSource listeners deliver them", () => {
    assert.deepEqual(parseEventData("end", '{"type":"end","reason":"until"}'), { type: "end", reason: "until" });
    assert.deepEqual(parseEventData("message", '{"type":"end","reason":"until"}'), { type: "end", reason: "until" });
    assert.equal(parseEventData("ready", '{"type":"end","reason":"until"}'), undefined);
    assert.equal(parseEventData("end", "{"), undefined);
  });
});
