import { flowCountsResponse } from "@/server/http/flow-counts";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Flow counts per edge over any window, from the flow history's per-minute rollup. */
export const GET = apiRoute(async (request: Request, _ctx, viewer): Promise<Response> => {
  const { history } = await getRuntime();
  return flowCountsResponse(request, history, viewer.access);
});
