import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";
import { statusResponse } from "@/server/http/status";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Relay connection, nodes, flows/s, buffer fill and age. */
export const GET = apiRoute(async (): Promise<Response> => {
  const { status } = await getRuntime();
  return statusResponse(status, getMetrics());
});
