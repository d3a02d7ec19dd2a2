// A click on a Drops-view group, as a new view: the same filters the filter bar would add
// (from/to namespace, drop-reason), or the client-side `policy=` parameter for a policy, which no
// Hubble filter can express. Pure.

import type { FilterEntry, VerdictName } from "../filter-model";
import { parseFilterEntry } from "../filter-model";
import type { ViewState } from "../view-state";
import type { DropSelection } from "./group";

/** Verdicts the Drops view looks at; a namespace pair narrows to them when no verdict is chosen. */
const DROP_VERDICTS: readonly VerdictName[] = ["DROPPED", "AUDIT"];

/**
 * The view after selecting a group. Replaces earlier selections of the same kind (two drop
 * reasons AND'ed would show nothing), clears the map focus and the open flow, keeps the panel.
 * Undefined when the selection cannot be expressed (a value the filter model refuses).
 */
export function applyDropSelection(view: ViewState, selection: DropSelection): ViewState | undefined {
  const base: ViewState = { ...view, flow: undefined, node: undefined, edge: undefined };
  switch (selection.kind) {
    case "policy":
      return { ...base, policy: view.policy === selection.policy ? undefined : selection.policy };
    case "reason": {
      const entry = entryOf(`drop-reason=${selection.reason}`);
      if (!entry) return undefined;
      const filters = view.query.filters.filter((f) => f.negated || f.kind !== "drop-reason");
      return { ...base, query: { ...view.query, filters: [...filters, entry] } };
    }
    case "namespaces": {
      const added: FilterEntry[] = [];
      for (const [dir, ns] of [
        ["from", selection.from],
        ["to", selection.to],
      ] as const) {
        if (!ns) continue;
        const entry = entryOf(`${dir}:namespace=${ns}`);
        if (!entry) return undefined;
        added.push(entry);
      }
      if (added.length === 0) return undefined;
      const filters = view.query.filters.filter((f) => f.negated || f.kind !== "namespace" || f.direction === "either");
      const verdicts = view.query.verdicts.length > 0 ? view.query.verdicts : [...DROP_VERDICTS];
      return { ...base, query: { ...view.query, verdicts, filters: [...filters, ...added] } };
    }
  }
}

/** Whether the group's selection is what the view already shows (for aria-pressed). */
export function isDropSelectionActive(view: ViewState, selection: DropSelection | undefined): boolean {
  if (!selection) return false;
  const has = (kind: FilterEntry["kind"], direction: FilterEntry["direction"], value: string) =>
    view.query.filters.some((f) => !f.negated && f.kind === kind && f.direction === direction && f.value === value);
  switch (selection.kind) {
    case "policy":
      return view.policy === selection.policy;
    case "reason":
      return has("drop-reason", "either", selection.reason);
    case "namespaces":
      return (!selection.from || has("namespace", "from", selection.from)) && (!selection.to || has("namespace", "to", selection.to)) && !!(selection.from || selection.to);
  }
}

function entryOf(text: string): FilterEntry | undefined {
  try {
    return parseFilterEntry(text);
  } catch {
    return undefined;
  }
}
