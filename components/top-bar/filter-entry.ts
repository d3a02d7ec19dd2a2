// What a line typed in the filter bar does to the query: a `hubble observe …` command replaces it,
// an entry is added (or goes to the namespace / verdict picker). Pure: the bar's hooks call these.
import { parseFilterEntry, sameFilterEntry, type FilterEntry, type FlowQuery, type VerdictName } from "@/lib/filter-model";

/** `hubble observe …`, `/usr/bin/hubble observe …`, `$ hubble observe …`, `kubectl … hubble observe …`. */
export function looksLikeHubbleObserveCommand(text: string): boolean {
  const t = text.trim();
  return /^(?:\$\s*)?(?:\S*\/)?hubble\s+observe(?:\s|$)/.test(t) || /^(?:\$\s*)?kubectl\s[\s\S]*\bhubble\s+observe(?:\s|$)/.test(t);
}

/**
 * The query with `entry` added; the same query when it is already there. A plain `namespace=`
 * or `verdict=` goes to its picker: they mean exactly `--namespace` / `--verdict`.
 */
export function withEntry(query: FlowQuery, entry: FilterEntry): FlowQuery {
  if (!entry.negated && entry.kind === "namespace" && entry.direction === "either") {
    return query.namespaces.includes(entry.value) ? query : { ...query, namespaces: [...query.namespaces, entry.value] };
  }
  if (!entry.negated && entry.kind === "verdict") {
    const v = entry.value as VerdictName;
    return query.verdicts.includes(v) ? query : { ...query, verdicts: [...query.verdicts, v] };
  }
  return query.filters.some((f) => sameFilterEntry(f, entry)) ? query : { ...query, filters: [...query.filters, entry] };
}

/** Whether the completed entry `text` is already in effect (so there is no point suggesting it). */
export function isActiveEntry(text: string, query: FlowQuery): boolean {
  if (text.endsWith("=") || text.endsWith(":")) return false;
  try {
    return withEntry(query, parseFilterEntry(text)) === query;
  } catch {
    return false;
  }
}

/** A pasted command as one line: shell line continuations are common in copied commands. */
export function joinCommandLines(pasted: string): string {
  return pasted.replace(/\\\r?\n/g, " ").replace(/\r?\n/g, " ");
}
