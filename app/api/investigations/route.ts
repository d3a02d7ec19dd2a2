import { createInvestigationResponse, investigationListResponse } from "@/server/http/investigations";
import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Share an investigation: a snapshot of the view's flows, the selected drop and the policies. */
export const POST = apiRoute(async (request: Request, _ctx, viewer): Promise<Response> => {
  const { investigations, policies, history } = await getRuntime();
  const response = await createInvestigationResponse(request, { store: investigations, policies: () => policies.current(), history }, viewer);
  getMetrics().investigationSaved(response.status);
  return response;
});

/** The 50 newest of the person's own and those shared with their groups. */
export const GET = apiRoute(async (_request: Request, _ctx, viewer): Promise<Response> => {
  const { investigations } = await getRuntime();
  return investigationListResponse({ store: investigations }, viewer);
});
