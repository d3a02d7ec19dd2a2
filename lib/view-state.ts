// The whole dashboard view, as the URL holds it, so a link opens exactly the same view. Pure.
//
//   namespace, verdict, filter, since, until  — the flow query (lib/filter-model, same as /api/flows)
//   flow=<uuid or content key>                — the selected flow (details drawer)
//   node=<map node id>, edge=<map edge id>    — focus on the service map
//   panel=details|drops|status                — the open side panel
//   group=workload|app|identity               — service map grouping key (default workload)
//   policy=<policyKey>                        — only the drops that policy explains (client-side:
//                                               no Hubble filter can say "dropped by policy X")
//
// Ownership: the URL owns this state; components read it through `parseViewState` and change it
// only by writing a new URL from `viewStateToParams`.

import { emptyFlowQuery, flowQueryToParams, type FlowQuery, parseFlowQueryParams } from "./filter-model";
import { isRelativeTime, parseHubbleTime } from "./time";

export const GROUPINGS = ["workload", "app", "identity"] as const;
export type Grouping = (typeof GROUPINGS)[number];

export const PANELS = ["details", "drops", "status"] as const;
export type Panel = (typeof PANELS)[number];

/** Relative windows the time picker offers; `live` has no `since`. */
export const RELATIVE_WINDOWS = ["5m", "15m", "1h"] as const;

export type TimeWindow =
  { readonly kind: "live" } | { readonly kind: "relative"; readonly since: string } | { readonly kind: "absolute"; readonly since: string; readonly until?: string };

export interface ViewState {
  readonly query: FlowQuery;
  readonly flow?: string;
  readonly node?: string;
  readonly edge?: string;
  readonly panel?: Panel;
  readonly group: Grouping;
  /** `policyKey` of a policy: the table and the map show only the drops it explains. */
  readonly policy?: string;
}

export type ViewStateParseResult =
  { readonly ok: true; readonly view: ViewState } | { readonly ok: false; readonly param: string; readonly message: string; readonly view: ViewState };

const MAX_ID = 512;

export function defaultViewState(): ViewState {
  return { query: emptyFlowQuery(), group: "workload" };
}

/**
 * Reads a view from URL parameters. An invalid part is reported and left out, never thrown: a
 * shared link with one bad parameter still opens, and says what it dropped.
 */
export function parseViewState(params: URLSearchParams): ViewStateParseResult {
  const parsedQuery = parseFlowQueryParams(params);
  const group = params.get("group");
  const panel = params.get("panel");
  const view: ViewState = {
    query: parsedQuery.ok ? parsedQuery.query : emptyFlowQuery(),
    group: (GROUPINGS as readonly string[]).includes(group ?? "") ? (group as Grouping) : "workload",
    ...idParam(params, "flow"),
    ...idParam(params, "node"),
    ...idParam(params, "edge"),
    ...idParam(params, "policy"),
    ...((PANELS as readonly string[]).includes(panel ?? "") ? { panel: panel as Panel } : {}),
  };
  if (!parsedQuery.ok) return { ok: false, param: parsedQuery.error.param, message: parsedQuery.error.message, view };
  if (group !== null && view.group !== group) return { ok: false, param: "group", message: `group must be one of ${GROUPINGS.join(", ")}`, view };
  if (panel !== null && view.panel !== panel) return { ok: false, param: "panel", message: `panel must be one of ${PANELS.join(", ")}`, view };
  return { ok: true, view };
}

export function viewStateToParams(view: ViewState): URLSearchParams {
  const p = flowQueryToParams(view.query);
  if (view.flow) p.set("flow", view.flow);
  if (view.node) p.set("node", view.node);
  if (view.edge) p.set("edge", view.edge);
  if (view.panel) p.set("panel", view.panel);
  if (view.group !== "workload") p.set("group", view.group);
  if (view.policy) p.set("policy", view.policy);
  return p;
}

export function timeWindowOf(query: FlowQuery): TimeWindow {
  if (!query.since && !query.until) return { kind: "live" };
  if (query.since && !query.until && isRelativeTime(query.since)) return { kind: "relative", since: query.since };
  return { kind: "absolute", since: query.since ?? "", ...(query.until ? { until: query.until } : {}) };
}

/**
 * The link to share: a relative window becomes absolute since/until (as of `now`), so the link
 * shows the same flows later; a live view becomes the last 5 minutes up to now.
 */
export function shareableViewState(view: ViewState, now: Date): ViewState {
  const w = timeWindowOf(view.query);
  if (w.kind === "absolute" && w.until) return view;
  const since = w.kind === "live" ? new Date(now.getTime() - 5 * 60_000) : parseHubbleTime(w.since, now);
  return { ...view, query: { ...view.query, since: since.toISOString(), until: now.toISOString() } };
}

function idParam(params: URLSearchParams, name: "flow" | "node" | "edge" | "policy"): Partial<ViewState> {
  const value = params.get(name);
  if (!value || value.length > MAX_ID) return {};
  return { [name]: value };
}
