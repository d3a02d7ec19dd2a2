import "server-only";

import { compileFlowFilters, FilterBuildError } from "@/lib/filters";
import { type FlowQuery, InvalidFlowQueryError, parseFlowQueryParams, toHubbleFilters, toHubbleObserveCommand } from "@/lib/filter-model";
import { LIVE_WINDOW_MS } from "@/lib/flow-pages";
import { isRelativeTime, parseHubbleTimestamp } from "@/lib/time";
import type { AggregationWindow } from "@/server/hub/aggregation";
import { timestampToNs, type EpochNs } from "@/lib/timestamp";
import { GROUPINGS, type Grouping } from "@/lib/view-state";
import { DEFAULT_HUB_OPTIONS, type FlowSubscriptionRequest } from "@/server/hub/hub";
import { DEFAULT_FLOW_BUDGET, MAX_FLOW_BUDGET } from "@/server/hub/sampler";
import { ALL_NAMESPACES, canSeeNamespace, restrictFilters, type NamespaceAccess } from "@/lib/access/scope";
import { apiError } from "@/server/http/api-error";

/** A request parameter that is wrong, and why; routes answer it with HTTP 400. */
export interface ParamProblem {
  readonly param: string;
  readonly value: string;
  readonly message: string;
  /** 403: the request asks for namespaces the person may not see (else 400). */
  readonly forbidden?: true;
}

export type ParsedFlowRequest = { ok: true; query: FlowQuery; subscription: FlowSubscriptionRequest } | { ok: false; problem: ParamProblem };

/** Clock skew between the browser and the server that a `since` may be ahead by. */
const FUTURE_SLACK_MS = 60_000;

/**
 * Turns `/api/flows` query parameters into a hub subscription: the view (namespaces, verdicts,
 * filter entries, since/until), checked the way the relay would check the filters it builds, so a
 * bad request fails here with a 400 rather than later inside the stream.
 */
export function parseFlowRequest(params: URLSearchParams, now: Date, access: NamespaceAccess = ALL_NAMESPACES): ParsedFlowRequest {
  const parsed = parseFlowQueryParams(params);
  if (!parsed.ok) return { ok: false, problem: parsed.error };
  const query = parsed.query;
  // Asking for a namespace one may not see is refused outright, not answered with its flows to
  // and from one's own namespaces (the namespace picker never offers it).
  const hidden = query.namespaces.find((ns) => !canSeeNamespace(access, ns));
  if (hidden !== undefined) {
    return { ok: false, problem: { param: "namespace", value: hidden, message: `you may not see namespace ${JSON.stringify(hidden.slice(0, 63))}`, forbidden: true } };
  }

  const followRaw = params.get("follow");
  if (followRaw !== null && followRaw !== "true" && followRaw !== "false") {
    return { ok: false, problem: { param: "follow", value: followRaw, message: "follow must be true or false" } };
  }

  const groupRaw = params.get("group");
  if (groupRaw !== null && !(GROUPINGS as readonly string[]).includes(groupRaw)) {
    return { ok: false, problem: { param: "group", value: groupRaw, message: `group must be one of ${GROUPINGS.join(", ")}` } };
  }
  const grouping = (groupRaw ?? "workload") as Grouping;
  const budgetRaw = params.get("budget");
  const budget = budgetRaw === null ? DEFAULT_FLOW_BUDGET : Number(budgetRaw);
  if (!Number.isInteger(budget) || budget < 1 || budget > MAX_FLOW_BUDGET || !/^\d+$/.test(budgetRaw ?? "1")) {
    return { ok: false, problem: { param: "budget", value: budgetRaw ?? "", message: `budget must be a whole number of flows per second from 1 to ${MAX_FLOW_BUDGET}` } };
  }

  let sinceNs: EpochNs | undefined;
  let untilNs: EpochNs | undefined;
  for (const param of ["since", "until"] as const) {
    const raw = query[param];
    if (raw === undefined) continue;
    try {
      const ns = timestampToNs(parseHubbleTimestamp(raw, now));
      if (param === "since") sinceNs = ns;
      else untilNs = ns;
    } catch (err) {
      return { ok: false, problem: { param, value: raw, message: (err as Error).message } };
    }
  }
  // A negative duration counts forward (hubble's `--since -5m` is five minutes from now): such a
  // view would wait, showing nothing, and is nearly always a typo for 5m.
  if (sinceNs !== undefined && sinceNs > BigInt(now.getTime() + FUTURE_SLACK_MS) * 1_000_000n) {
    const raw = query.since ?? "";
    const hint = raw.trim().startsWith("-") ? `; for the last ${raw.trim().slice(1)} write ${raw.trim().slice(1)}` : "";
    return { ok: false, problem: { param: "since", value: raw, message: `since must not be in the future (${raw} is after now)${hint}` } };
  }
  if (sinceNs !== undefined && untilNs !== undefined && untilNs < sinceNs) {
    return { ok: false, problem: { param: "until", value: query.until ?? "", message: "until is before since" } };
  }

  let filters;
  try {
    filters = toHubbleFilters(query);
    compileFlowFilters(filters.whitelist, filters.blacklist);
  } catch (err) {
    if (err instanceof InvalidFlowQueryError) {
      const first = err.issues[0];
      return { ok: false, problem: { param: first?.param ?? "filter", value: "", message: err.message } };
    }
    if (err instanceof FilterBuildError) {
      return { ok: false, problem: { param: "filter", value: "", message: err.message } };
    }
    throw err;
  }
  // The person's namespaces, ANDed into the filters the relay gets (lib/access/scope.ts).
  const scoped = restrictFilters(filters, access);
  if (!scoped.ok) return { ok: false, problem: { param: "filter", value: "", message: scoped.message, forbidden: true } };
  filters = scoped.filters;

  // Like the hubble CLI, `until` means a bounded query: it never follows past it.
  const follow = followRaw === "false" || untilNs !== undefined ? false : true;
  const nowMs = now.getTime();
  const sinceMs = sinceNs === undefined ? undefined : Number(sinceNs / 1_000_000n);
  const untilMs = untilNs === undefined ? undefined : Number(untilNs / 1_000_000n);
  // A relative `since` moves with the clock while following; an absolute one, or a bounded query, stays put.
  const window: AggregationWindow =
    sinceMs === undefined
      ? { kind: "sliding", ms: LIVE_WINDOW_MS }
      : follow && query.since !== undefined && isRelativeTime(query.since)
        ? { kind: "sliding", ms: Math.max(1000, nowMs - sinceMs) }
        : { kind: "fixed", fromMs: sinceMs, ...(untilMs !== undefined ? { toMs: untilMs } : {}) };
  return {
    ok: true,
    query,
    subscription: {
      filters,
      sinceNs,
      untilNs,
      follow,
      grouping,
      budget,
      window,
      // The hub starts a view without `since` with the last N flows per node, as `--last N` does.
      command: toHubbleObserveCommand(query, {
        follow,
        ...(sinceNs === undefined ? { last: DEFAULT_HUB_OPTIONS.defaultHistoryPerNode } : {}),
      }),
    },
  };
}

/** The 400 (or 403) for a ParamProblem, naming the parameter and the value given. */
export function badRequest(problem: ParamProblem): Response {
  return apiError(problem.forbidden ? "forbidden-namespace" : "invalid-query", `${problem.param}: ${problem.message}`, { about: { param: problem.param, value: problem.value } });
}
