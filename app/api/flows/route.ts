import { flowStreamResponse } from "@/server/http/flow-stream";
import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Server-Sent Events: the flows of a view, history first, then live (see lib/sse.ts); only the person's namespaces. */
export const GET = apiRoute(async (request: Request, _ctx, viewer): Promise<Response> => {
  const { hub, history } = await getRuntime();
  return flowStreamResponse(request, hub, new Date(), getMetrics(), viewer.access, history);
});
