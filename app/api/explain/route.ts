import { explainResponse } from "@/server/http/explain";
import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** One flow in, its Explanation out, against the policies in force at the flow's time (or now). */
export async function POST(request: Request): Promise<Response> {
  const { policies } = await getRuntime();
  const done = getMetrics().explainSeconds.startTimer();
  try {
    return await explainResponse(request, policies);
  } finally {
    done();
  }
}
