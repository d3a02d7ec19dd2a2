import { explainResponse } from "@/server/http/explain";
import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** One flow in, its Explanation out, against the policies in force at the flow's time (or now) that the person may read. */
export const POST = apiRoute(async (request: Request, _ctx, viewer): Promise<Response> => {
  const { policies, scopedPolicies } = await getRuntime();
  const done = getMetrics().explainSeconds.startTimer();
  try {
    return await explainResponse(request, policies, viewer.access, scopedPolicies);
  } finally {
    done();
  }
});
