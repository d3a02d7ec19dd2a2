import { getMetrics } from "@/server/metrics";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Relay connection, nodes, flows/s, buffer fill and age. */
export async function GET(): Promise<Response> {
  const { status } = await getRuntime();
  const view = await status.status();
  getMetrics().relayChecked(view.relay.reachable);
  return Response.json(view, { headers: { "Cache-Control": "no-store" } });
}
