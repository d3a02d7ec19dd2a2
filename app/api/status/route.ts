import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Relay connection, nodes, flows/s, buffer fill and age. */
export const GET = apiRoute(async (): Promise<Response> => {
  const { status } = await getRuntime();
  const view = await status.status();
  getMetrics().relayChecked(view.relay.reachable);
  return Response.json(view, { headers: { "Cache-Control": "no-store" } });
});
