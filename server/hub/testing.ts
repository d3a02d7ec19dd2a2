import "server-only";

// Fakes and builders for the hub's unit tests: a live feed the test pushes responses and relay
// states into, a scripted history, flows with fixed timestamps, and a subscription reader that
// waits for conditions (never for fixed times).

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Flow, FlowFilterSchema, type FlowFilter, FlowSchema, LostEventSource } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsRequest, type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { SseReader } from "@/lib/testing/sse-reader";
import { waitUntil } from "@/lib/testing/wait";
import { nsToTimestamp } from "@/lib/timestamp";
import type { HubbleFilters, HubDeps } from "./hub";
import type { Subscription } from "./subscription";
import type { LiveSink } from "./upstream";

/** 2024-01-01T00:00:00Z in ns; flow times are seconds after it. */
export const T0_NS = 1_704_067_200n * 1_000_000_000n;

export function flowAt(seconds: number, uuid: string | null, init: MessageInitShape<typeof FlowSchema> = {}): Flow {
  const defaults: MessageInitShape<typeof FlowSchema> = {
    time: nsToTimestamp(T0_NS + BigInt(Math.round(seconds * 1e6)) * 1000n),
    ...(uuid === null ? {} : { uuid }),
    nodeName: "n1",
    IP: { source: "10.0.0.1", destination: "10.0.0.2" },
    l4: { protocol: { case: "TCP", value: { sourcePort: 40000, destinationPort: 80 } } },
  };
  return create(FlowSchema, { ...defaults, ...init } as MessageInitShape<typeof FlowSchema>);
}

export function flowResponse(flow: Flow): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: { case: "flow", value: flow },
    nodeName: flow.nodeName,
    time: flow.time,
  });
}

export function nodeStatusResponse(state: NodeState, nodes: string[], message = ""): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: { case: "nodeStatus", value: { stateChange: state, nodeNames: nodes, message } },
    nodeName: "relay",
  });
}

export function lostResponse(node: string, count: number): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: {
      case: "lostEvents",
      value: { source: LostEventSource.PERF_EVENT_RING_BUFFER, numEventsLost: BigInt(count) },
    },
    nodeName: node,
  });
}

export function filters(init: MessageInitShape<typeof FlowFilterSchema>[], blacklist: FlowFilter[] = []): HubbleFilters {
  return { whitelist: init.map((f) => create(FlowFilterSchema, f)), blacklist };
}

/** One live feed the hub opened; the test drives it. */
export interface FakeFeed {
  readonly filters: HubbleFilters;
  readonly sink: LiveSink;
  stopped: boolean;
  push(...responses: GetFlowsResponse[]): void;
}

export type HistoryScript = (req: GetFlowsRequest, signal: AbortSignal) => AsyncIterable<GetFlowsResponse>;

/** Stands in for the relay behind the hub: live feeds opened per filter, history by script. */
export class FakeRelay {
  readonly feeds: FakeFeed[] = [];
  readonly historyRequests: GetFlowsRequest[] = [];
  readonly historySignals: AbortSignal[] = [];
  history: HistoryScript = async function* () {};

  readonly deps: HubDeps = {
    openLive: (f) => (sink) => {
      const feed: FakeFeed = {
        filters: f,
        sink,
        stopped: false,
        push: (...responses) => {
          for (const r of responses) sink.response(r);
        },
      };
      this.feeds.push(feed);
      return { stop: () => (feed.stopped = true) };
    },
    queryHistory: (req, signal) => {
      this.historyRequests.push(req);
      this.historySignals.push(signal);
      return this.history(req, signal);
    },
  };
}

/** A history that yields `responses`, then waits for `release()` before it ends. */
export function gatedHistory(responses: GetFlowsResponse[]): { script: HistoryScript; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    release,
    script: async function* () {
      yield* responses;
      await gate;
    },
  };
}

/** Reads a subscription to its end in the background, decoding the SSE frames (lib/testing/sse-reader.ts). */
export class SubscriptionReader extends SseReader {
  constructor(sub: Subscription) {
    super(() => sub.next());
  }
}

export { waitUntil };

/** Lets pending promise callbacks and immediates run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export { NodeState };
