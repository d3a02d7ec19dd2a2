import { flowStreamResponse } from "@/server/http/flow-stream";
import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";
import { streamClient } from "@/server/http/stream-limit";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Server-Sent Events: the flows of a view, history first, then live (see lib/sse.ts); only the
 * person's namespaces; at most HUBBLE_LENS_MAX_STREAMS_PER_CLIENT open per client (429 beyond).
 */
export const GET = apiRoute(async (request: Request, _ctx, viewer): Promise<Response> => {
  const { hub, history, streamsPerClient } = await getRuntime();
  const client = streamClient(request.headers, viewer, process.env.HUBBLE_LENS_PEER_TOKEN || null);
  return flowStreamResponse(request, hub, new Date(), getMetrics(), viewer.access, history, { limit: streamsPerClient, client });
});
