import { policiesResponse } from "@/server/http/policies";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The policy set (now, or in force at ?at=), its history and problems, for the browser's explainer: those the person may read. */
export const GET = apiRoute(async (request: Request, _ctx, viewer): Promise<Response> => {
  const { policies, scopedPolicies } = await getRuntime();
  return policiesResponse(request, policies, viewer.access, scopedPolicies);
});
