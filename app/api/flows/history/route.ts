import { flowHistoryResponse } from "@/server/http/flow-history";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The bounded, non-following form of /api/flows, as `hubble observe -o jsonpb` lines; only the person's namespaces. */
export const GET = apiRoute(async (request: Request, _ctx, viewer): Promise<Response> => {
  const { flows } = await getRuntime();
  return flowHistoryResponse(request, flows, viewer.access);
});
