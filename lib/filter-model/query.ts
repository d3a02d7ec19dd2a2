// The view query: what the flow table, the service map and `/api/flows` are asked to show.
// It is the single source for the URL, the Hubble whitelist/blacklist and the `hubble observe`
// command line. Namespaces and verdicts are kept apart from the filter bar because the UI shows
// them as pickers; they mean exactly `--namespace` and `--verdict`.
import { checkNamespaceName, VERDICT_NAMES, ValueError, type VerdictName } from "./kinds";
import { checkFilterEntry, formatFilterEntry, FilterSyntaxError, type FilterEntry } from "./entry";
import { parseHubbleTime, TimeSyntaxError } from "../time";
import { buildTrackers, escapedNamespaceScopes } from "./tracker";

export interface FlowQuery {
  /** `--namespace`: flows whose source or destination pod is in one of these namespaces. */
  namespaces: string[];
  /** `--verdict`. */
  verdicts: VerdictName[];
  /** Filter-bar entries, in the order the user added them. */
  filters: FilterEntry[];
  /** `--since`: a duration back from now (`5m`) or an absolute time; resolved per request. */
  since?: string;
  /** `--until`. */
  until?: string;
}

export type QueryParam = "namespace" | "verdict" | "filter" | "since" | "until";

/** A problem with one part of a query, named the way the URL names it. */
export interface QueryIssue {
  param: QueryParam;
  value: string;
  message: string;
}

export function emptyFlowQuery(): FlowQuery {
  return { namespaces: [], verdicts: [], filters: [] };
}

export function isEmptyFlowQuery(q: FlowQuery): boolean {
  return q.namespaces.length === 0 && q.verdicts.length === 0 && q.filters.length === 0 && !q.since && !q.until;
}

export function checkVerdictName(raw: string): VerdictName {
  const upper = raw.trim().toUpperCase();
  if (!(VERDICT_NAMES as readonly string[]).includes(upper)) {
    throw new ValueError(`unknown verdict ${JSON.stringify(raw)}; expected one of ${VERDICT_NAMES.filter((v) => v !== "VERDICT_UNKNOWN").join(", ")}`);
  }
  return upper as VerdictName;
}

// Any fixed instant will do to check the syntax of a time.
const SYNTAX_CHECK_NOW = new Date(0);

/**
 * Every problem in a query, in parameter order. An empty list means the query can be turned into
 * Hubble filters and a `hubble observe` command line.
 */
export function validateFlowQuery(q: FlowQuery): QueryIssue[] {
  const issues: QueryIssue[] = [];
  for (const ns of q.namespaces) {
    try {
      checkNamespaceName(ns);
    } catch (e) {
      issues.push({ param: "namespace", value: ns, message: `invalid namespace ${JSON.stringify(ns)}: ${(e as Error).message}` });
    }
  }
  for (const v of q.verdicts) {
    try {
      if (checkVerdictName(v) !== v) throw new ValueError(`write verdicts in upper case (${v.toUpperCase()})`);
    } catch (e) {
      issues.push({ param: "verdict", value: v, message: (e as Error).message });
    }
  }
  let filtersOk = true;
  for (const f of q.filters) {
    try {
      const canonical = checkFilterEntry(f);
      if (canonical.value !== f.value) {
        throw new FilterSyntaxError(formatFilterEntry(f), `not in canonical form (${formatFilterEntry(canonical)})`, f.kind);
      }
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      filtersOk = false;
      issues.push({ param: "filter", value: e.entry, message: e.message });
    }
  }
  if (filtersOk) issues.push(...namespaceScopeIssues(q));
  const times: { param: "since" | "until"; value: string | undefined }[] = [
    { param: "since", value: q.since },
    { param: "until", value: q.until },
  ];
  const resolved: Partial<Record<"since" | "until", number>> = {};
  for (const { param, value } of times) {
    if (value === undefined) continue;
    try {
      resolved[param] = parseHubbleTime(value, SYNTAX_CHECK_NOW).getTime();
    } catch (e) {
      if (!(e instanceof TimeSyntaxError)) throw e;
      issues.push({ param, value, message: `invalid ${param}: ${e.message}` });
    }
  }
  if (resolved.since !== undefined && resolved.until !== undefined && resolved.since > resolved.until) {
    issues.push({ param: "until", value: q.until!, message: `until (${q.until}) is before since (${q.since})` });
  }
  return issues;
}

/**
 * Every flow a query selects must lie inside the namespaces it selects. The CLI's way of applying
 * namespaces can lose them (see escapedNamespaceScopes); the CLI refuses most such combinations
 * ("namespace conflict", "--from-pod and --namespace cannot be combined"). Hubble Lens accepts the
 * combinations that stay inside the namespaces (the namespace picker plus a pod in one of them)
 * and refuses the others, naming the entry that escapes.
 */
export function namespaceScopeIssues(q: FlowQuery): QueryIssue[] {
  const issues: QueryIssue[] = [];
  const { white, black } = buildTrackers(q);
  const lists = [
    { tracker: white, entries: q.filters.filter((f) => !f.negated) },
    { tracker: black, entries: q.filters.filter((f) => f.negated) },
  ];
  for (const { tracker, entries } of lists) {
    for (const { scope, namespaces } of escapedNamespaceScopes(tracker, tracker.flowFilters())) {
      const side = (e: FilterEntry) => scope === "namespace" || e.direction === "either" || (scope === "from:namespace" ? e.direction === "from" : e.direction === "to");
      const culprit = entries.find(
        (e) =>
          side(e) &&
          ((e.kind === "namespace" && !(scope === "namespace" && e.direction === "either") && !namespaces.includes(e.value)) ||
            ((e.kind === "pod" || e.kind === "service") && e.value.includes("/") && !namespaces.includes(e.value.slice(0, e.value.indexOf("/"))))),
      );
      const selection = `the ${scope} selection (${namespaces.join(", ")})`;
      if (culprit) {
        const text = formatFilterEntry(culprit);
        const where =
          culprit.kind === "namespace"
            ? `namespace ${JSON.stringify(culprit.value)}`
            : culprit.value.startsWith("/")
              ? "any namespace"
              : `namespace ${JSON.stringify(culprit.value.slice(0, culprit.value.indexOf("/")))}`;
        issues.push({
          param: "filter",
          value: text,
          message: `filter ${JSON.stringify(text)} names ${where}, outside ${selection}: some matching flows would escape the namespace selection`,
        });
      } else {
        issues.push({
          param: scope === "namespace" && q.namespaces.length > 0 ? "namespace" : "filter",
          value: namespaces.join(","),
          message: `these filters cannot be kept inside ${selection}`,
        });
      }
    }
  }
  return issues;
}
