import "server-only";

import type { GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import type { RelayStateView } from "@/lib/sse";
import type { LiveSink, OpenLiveFeed } from "./upstream";

/** Whether a flow response belongs to a feed (lib/filters' predicate over the Flow). */
export type ResponseMatch = (response: GetFlowsResponse) => boolean;

/**
 * Live feeds filtered in the server from one unfiltered feed of the relay. The hub uses them once
 * the distinct filters reach its cap of upstream streams, so a client that asks for hundreds of
 * filters costs the relay one more stream, not hundreds. Node status and relay state go to every
 * feed; flows only to the feeds whose filter they match.
 */
export class FilteredFeeds {
  private readonly sinks = new Set<{ readonly sink: LiveSink; readonly match: ResponseMatch }>();
  private feed: { stop(): void } | undefined;
  private lastState: RelayStateView | undefined;

  constructor(private readonly openAll: OpenLiveFeed) {}

  /** Whether the unfiltered relay stream is open. */
  get open(): boolean {
    return this.feed !== undefined;
  }

  feedFor(match: ResponseMatch): OpenLiveFeed {
    return (sink) => {
      const entry = { sink, match };
      this.sinks.add(entry);
      if (this.lastState) sink.state(this.lastState);
      this.feed ??= this.openAll({
        response: (r) => {
          const isFlow = r.responseTypes.case === "flow";
          for (const s of this.sinks) if (!isFlow || s.match(r)) s.sink.response(r);
        },
        state: (st) => {
          this.lastState = st;
          for (const s of this.sinks) s.sink.state(st);
        },
      });
      return {
        stop: () => {
          this.sinks.delete(entry);
          if (this.sinks.size > 0) return;
          this.feed?.stop();
          this.feed = undefined;
          this.lastState = undefined;
        },
      };
    };
  }
}
