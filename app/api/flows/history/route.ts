import { flowHistoryResponse } from "@/server/http/flow-history";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The bounded, non-following form of /api/flows, as `hubble observe -o jsonpb` lines. */
export async function GET(request: Request): Promise<Response> {
  const { client } = await getRuntime();
  return flowHistoryResponse(request, client);
}
