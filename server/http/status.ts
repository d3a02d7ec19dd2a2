import "server-only";
import type { RelayStatusView } from "@/lib/api/status";
import type { HubbleLensMetrics } from "@/server/metrics";
import type { StatusMonitor } from "@/server/status-monitor";

// GET /api/status: the relay connection, nodes, flows/s, buffer fill and age, flow history.

export async function statusResponse(status: Pick<StatusMonitor, "status">, metrics: Pick<HubbleLensMetrics, "relayChecked">): Promise<Response> {
  const view: RelayStatusView = await status.status();
  metrics.relayChecked(view.relay.reachable);
  return Response.json(view, { headers: { "Cache-Control": "no-store" } });
}
