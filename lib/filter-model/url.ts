// FlowQuery ⇄ URL query parameters, shared by the page URL and `/api/flows`:
//   namespace=shop&namespace=web   (also namespace=shop,web)
//   verdict=DROPPED                (repeatable; also comma-separated, any case)
//   filter=from:pod=shop/frontend  (repeatable, one filter-bar entry each; never split on commas,
//                                   label selectors contain them)
//   since=5m&until=2024-05-01T12:00:00Z
// Other parameters are left alone: they belong to other features (paging, follow, tabs).
import { checkNamespaceName, ValueError } from "./kinds";
import { formatFilterEntry, parseFilterEntry, FilterSyntaxError } from "./entry";
import { checkVerdictName, validateFlowQuery, type FlowQuery, type QueryIssue, type QueryParam } from "./query";

export const FLOW_QUERY_PARAMS: readonly QueryParam[] = ["namespace", "verdict", "filter", "since", "until"];

export type FlowQueryParseResult = { ok: true; query: FlowQuery } | { ok: false; error: QueryIssue };

const splitList = (values: string[]) =>
  values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");

/** Reads and validates a FlowQuery; the first problem is returned naming its parameter (→ HTTP 400). */
export function parseFlowQueryParams(params: URLSearchParams): FlowQueryParseResult {
  const q: FlowQuery = { namespaces: [], verdicts: [], filters: [] };
  for (const ns of splitList(params.getAll("namespace"))) {
    try {
      q.namespaces.push(checkNamespaceName(ns));
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      return fail("namespace", ns, `invalid namespace ${JSON.stringify(ns)}: ${e.message}`);
    }
  }
  for (const v of splitList(params.getAll("verdict"))) {
    try {
      q.verdicts.push(checkVerdictName(v));
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      return fail("verdict", v, e.message);
    }
  }
  for (const text of params.getAll("filter")) {
    if (text.trim() === "") continue;
    try {
      q.filters.push(parseFilterEntry(text));
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      return fail("filter", text, e.message);
    }
  }
  for (const param of ["since", "until"] as const) {
    const values = params.getAll(param).filter((v) => v.trim() !== "");
    if (values.length > 1) return fail(param, values.join(", "), `${param} is given ${values.length} times; give it once`);
    if (values.length === 1) q[param] = values[0].trim();
  }
  const issues = validateFlowQuery(q);
  if (issues.length > 0) return { ok: false, error: issues[0] };
  return { ok: true, query: q };
}

function fail(param: QueryParam, value: string, message: string): FlowQueryParseResult {
  return { ok: false, error: { param, value, message } };
}

/** Canonical parameters: one parameter per value, in FLOW_QUERY_PARAMS order. */
export function flowQueryToParams(q: FlowQuery): URLSearchParams {
  const p = new URLSearchParams();
  for (const ns of q.namespaces) p.append("namespace", ns);
  for (const v of q.verdicts) p.append("verdict", v);
  for (const f of q.filters) p.append("filter", formatFilterEntry(f));
  if (q.since) p.set("since", q.since);
  if (q.until) p.set("until", q.until);
  return p;
}

/** Writes the query into existing parameters, keeping unrelated ones (for router updates). */
export function mergeFlowQueryIntoParams(base: URLSearchParams, q: FlowQuery): URLSearchParams {
  const out = new URLSearchParams(base);
  for (const name of FLOW_QUERY_PARAMS) out.delete(name);
  for (const [k, v] of flowQueryToParams(q)) out.append(k, v);
  return out;
}
