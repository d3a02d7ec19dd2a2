import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AggregationWindow, StoredWindowCounts } from "@/server/hub/aggregation";
import type { FlowHub, FlowSubscriptionRequest, HubbleFilters } from "@/server/hub/hub";
import { Subscription } from "@/server/hub/subscription";
import type { Grouping } from "@/lib/view-state";
import { flowStreamResponse } from "./flow-stream";

// GET /api/flows hands the hub the part of the view's window the flow history counts per minute
// (server/flow-store/window-counts.ts), with the view's own window, filters and grouping. That
// those counts make the map exact is the flow store contract suite's.

function capture(): { hub: FlowHub; requests: FlowSubscriptionRequest[] } {
  const requests: FlowSubscriptionRequest[] = [];
  const hub = {
    subscribe(req: FlowSubscriptionRequest) {
      requests.push(req);
      const sub = new Subscription({ maxQueuedFlowFrames: 4 });
      sub.close();
      return sub;
    },
  } as unknown as FlowHub;
  return { hub, requests };
}

const counted: StoredWindowCounts = { fromMs: 0, untilMs: 60_000, covers: () => true, load: async () => [] };

describe("GET /api/flows with flow history", () => {
  it("gives the hub the stored counts of the view's window, asked with its window, filters and grouping", async () => {
    const { hub, requests } = capture();
    const asked: [AggregationWindow, HubbleFilters, Grouping][] = [];
    const history = {
      windowCounts: (w: AggregationWindow, f: HubbleFilters, g: Grouping) => {
        asked.push([w, f, g]);
        return counted;
      },
    };
    const now = new Date("2026-12-04T12:00:00Z");
    const res = flowStreamResponse(new Request("http://lens.test/api/flows?since=1h&namespace=shop&group=identity"), hub, now, undefined, undefined, history);
    await res.body?.cancel();
    assert.equal(requests.length, 1);
    assert.equal(requests[0].window?.stored, counted);
    assert.deepEqual(asked[0][0], { kind: "sliding", ms: 3_600_000 });
    assert.equal(asked[0][1], requests[0].filters);
    assert.equal(asked[0][2], "identity");
  });

  it("leaves the window alone when the history counts none of it", async () => {
    const { hub, requests } = capture();
    const res = flowStreamResponse(new Request("http://lens.test/api/flows?since=1h"), hub, new Date(), undefined, undefined, { windowCounts: () => undefined });
    await res.body?.cancel();
    assert.equal(requests[0].window?.stored, undefined);
    assert.ok(requests[0].window);
  });
});
