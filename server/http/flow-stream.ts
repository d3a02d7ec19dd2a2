import "server-only";

import { HEARTBEAT } from "@/lib/sse";
import { badRequest, parseFlowRequest } from "@/server/flow-request";
import type { FlowHistory } from "@/server/flow-store";
import type { FlowHub } from "@/server/hub/hub";
import type { HubbleLensMetrics } from "@/server/metrics";
import { ALL_NAMESPACES, type NamespaceAccess } from "@/lib/access/scope";
import { type StreamsPerClient, tooManyStreams } from "./stream-limit";

/** The per-client stream cap and who this request counts against (null: not counted). */
export interface StreamAdmission {
  readonly limit: StreamsPerClient;
  readonly client: string | null;
}

/** What `/metrics` learns from a stream: it opened, it wrote bytes, it closed. */
export type SseStreamMetrics = Pick<HubbleLensMetrics, "sseOpened" | "sseWrote" | "sseClosed">;

const HEARTBEAT_MS = 15_000;
const HEARTBEAT_BYTES = new TextEncoder().encode(HEARTBEAT);

/** Server-Sent Events: the flows of a view, history first, then live (see lib/sse.ts). */
export function flowStreamResponse(
  request: Request,
  hub: FlowHub,
  now = new Date(),
  metrics?: SseStreamMetrics,
  access: NamespaceAccess = ALL_NAMESPACES,
  history?: Pick<FlowHistory, "windowCounts">,
  admission?: StreamAdmission,
): Response {
  const parsed = parseFlowRequest(new URL(request.url).searchParams, now, access);
  if (!parsed.ok) return badRequest(parsed.problem);
  let release: (() => void) | null = null;
  if (admission && admission.client !== null) {
    release = admission.limit.take(admission.client);
    if (release === null) return tooManyStreams(admission.limit.max);
  }
  const { window, filters, grouping } = parsed.subscription;
  // The part of the window the flow history counts per minute (forwarded flows `rollup` did not keep).
  const stored = window && history?.windowCounts(window, filters, grouping ?? "workload");
  const sub = hub.subscribe({ ...parsed.subscription, ...(window && stored ? { window: { ...window, stored } } : {}), access });
  if (release) sub.whenClosed(release);
  if (metrics) {
    metrics.sseOpened(sub);
    sub.whenClosed(() => metrics.sseClosed(sub));
  }
  let heartbeat: NodeJS.Timeout | undefined;

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        heartbeat = setInterval(() => {
          try {
            controller.enqueue(HEARTBEAT_BYTES);
            metrics?.sseWrote(HEARTBEAT_BYTES.byteLength);
          } catch {
            clearInterval(heartbeat);
          }
        }, HEARTBEAT_MS);
        request.signal.addEventListener(
          "abort",
          () => {
            // The body may never be pulled or cancelled again: stop the heartbeat here too.
            clearInterval(heartbeat);
            sub.close();
          },
          { once: true },
        );
      },
      // Pulled only when the client's connection takes more: a slow client backs up its own
      // bounded queue in the hub, nobody else's. A batch's frame is encoded once, by the hub, and
      // the same bytes go to every subscriber of its upstream.
      async pull(controller) {
        const frame = await sub.next();
        if (frame === undefined) {
          clearInterval(heartbeat);
          controller.close();
          return;
        }
        controller.enqueue(frame);
        metrics?.sseWrote(frame.byteLength);
      },
      cancel() {
        clearInterval(heartbeat);
        sub.close();
      },
    },
    { highWaterMark: 0 },
  );

  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
}
