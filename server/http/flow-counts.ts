import "server-only";

import { parseHubbleTimestamp } from "@/lib/time";
import { timestampToNs } from "@/lib/timestamp";
import type { FlowHistory } from "@/server/flow-store";
import { badRequest } from "@/server/flow-request";
import { ALL_NAMESPACES, canSeeNamespace, flowVisible, type NamespaceAccess } from "@/lib/access/scope";
import type { FlowCountsResponse } from "@/lib/api/flows";
import { apiError } from "./api-error";

// GET /api/flows/counts: flow counts per edge (and per minute) over a window of any length, from the
// flow history's per-minute rollup: the map's and the Drops view's numbers over hours and days,
// aggregated in the store instead of shipping flows. Every flow recorded is counted, kept in full
// or not (HUBBLE_LENS_HISTORY_KEEP=rollup).

const MAX_ROWS = 10_000;
const VERDICTS = new Set(["FORWARDED", "DROPPED", "ERROR", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED", "VERDICT_UNKNOWN"]);
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export async function flowCountsResponse(request: Request, history: FlowHistory | undefined, access: NamespaceAccess = ALL_NAMESPACES, now = new Date()): Promise<Response> {
  if (!history) return apiError("history-off", "Flow history is off (HUBBLE_LENS_HISTORY=off): there are no stored counts to read.");
  const params = new URL(request.url).searchParams;
  const times: Record<"since" | "until", number> = { since: 0, until: now.getTime() };
  for (const param of ["since", "until"] as const) {
    const raw = params.get(param);
    if (raw === null) {
      if (param === "since") return badRequest({ param, value: "", message: "since is required, e.g. since=24h or since=2026-12-04T00:00:00Z" });
      continue;
    }
    try {
      times[param] = Number(timestampToNs(parseHubbleTimestamp(raw, now)) / 1_000_000n);
    } catch (err) {
      return badRequest({ param, value: raw.slice(0, 100), message: (err as Error).message });
    }
  }
  if (times.until < times.since) return badRequest({ param: "until", value: params.get("until") ?? "", message: "until is before since" });
  const verdicts = params
    .getAll("verdict")
    .flatMap((v) => v.split(","))
    .filter((v) => v !== "");
  const bad = verdicts.find((v) => !VERDICTS.has(v));
  if (bad !== undefined) return badRequest({ param: "verdict", value: bad.slice(0, 100), message: `verdict must be one of ${[...VERDICTS].join(", ")}` });
  const namespace = params.get("namespace") ?? undefined;
  if (namespace !== undefined && !NAMESPACE.test(namespace)) {
    return badRequest({ param: "namespace", value: namespace.slice(0, 100), message: "namespace must be a Kubernetes namespace name" });
  }
  if (namespace !== undefined && !canSeeNamespace(access, namespace)) {
    return apiError("forbidden-namespace", `you may not see namespace ${JSON.stringify(namespace)}`);
  }
  const per = params.get("per");
  if (per !== null && per !== "minute") return badRequest({ param: "per", value: per.slice(0, 100), message: "per must be minute (or left out for totals over the window)" });

  const stored = await history.store.edgeCounts({
    sinceMs: times.since,
    untilMs: times.until,
    ...(verdicts.length > 0 ? { verdicts } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    perMinute: per === "minute",
  });
  // Only the edges with an end in the person's namespaces, as the flow routes scope their flows.
  const rows = access.all ? stored : stored.filter((r) => flowVisible(access, r.srcNamespace, r.dstNamespace));
  const status = await history.status();
  const body: FlowCountsResponse = {
    since: new Date(times.since).toISOString(),
    until: new Date(times.until).toISOString(),
    ...(status.reachesBack ? { reachesBack: status.reachesBack } : {}),
    total: rows.reduce((a, r) => a + r.count, 0),
    truncated: rows.length > MAX_ROWS,
    edges: rows.slice(0, MAX_ROWS),
  };
  return Response.json(body, { headers: { "Cache-Control": "no-store" } });
}
