import "server-only";

import { HEARTBEAT } from "@/lib/sse";
import { badRequest, parseFlowRequest } from "@/server/flow-request";
import type { FlowHub } from "@/server/hub/hub";

const HEARTBEAT_MS = 15_000;
const ENCODED_FRAMES_KEPT = 64;
const encodedFrames = new Map<string, Uint8Array>();
const sharedEncoder = new TextEncoder();

/**
 * UTF-8 bytes of a frame. A batch's frame is one string shared by every subscriber of its
 * upstream, so it is encoded once and the bytes reused (Map lookups by the same string are cheap:
 * V8 caches a string's hash).
 */
function frameBytes(frame: string): Uint8Array {
  let bytes = encodedFrames.get(frame);
  if (bytes) return bytes;
  bytes = sharedEncoder.encode(frame);
  if (frame.length > 4096) {
    encodedFrames.set(frame, bytes);
    if (encodedFrames.size > ENCODED_FRAMES_KEPT) encodedFrames.delete(encodedFrames.keys().next().value!);
  }
  return bytes;
}

/** Server-Sent Events: the flows of a view, history first, then live (see lib/sse.ts). */
export function flowStreamResponse(request: Request, hub: FlowHub, now = new Date()): Response {
  const parsed = parseFlowRequest(new URL(request.url).searchParams, now);
  if (!parsed.ok) return badRequest(parsed.problem);
  const sub = hub.subscribe(parsed.subscription);
  const encoder = new TextEncoder();
  let heartbeat: NodeJS.Timeout | undefined;

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        heartbeat = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(HEARTBEAT));
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
      // bounded queue in the hub, nobody else's.
      async pull(controller) {
        const frame = await sub.next();
        if (frame === undefined) {
          clearInterval(heartbeat);
          controller.close();
          return;
        }
        controller.enqueue(frameBytes(frame));
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
