// The filter bar's text and what it becomes: an entry added to the query, a pasted command that
// replaces it, or a message saying why neither happened. Owns the text, the error and the notice.
import { useState } from "react";
import { analyzeHubbleObserveCommand, FilterSyntaxError, HubbleCommandError, parseFilterEntry, validateFlowQuery, type FilterEntry, type FlowQuery } from "@/lib/filter-model";
import { looksLikeHubbleObserveCommand, withEntry } from "./filter-entry";
import type { PasteNotice } from "./paste-notice";

/** What a commit did: an entry is in the query (added or already there), a command replaced the query, or nothing. */
export type CommitResult = "entry" | "command" | undefined;

export function useFilterEntry(query: FlowQuery, onQueryChange: (next: FlowQuery) => void) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<PasteNotice>();

  /** Applies `next` unless it makes the query invalid (e.g. a pod outside the picked namespaces). */
  const apply = (next: FlowQuery): boolean => {
    const before = new Set(validateFlowQuery(query).map((i) => i.message));
    const added = validateFlowQuery(next).find((i) => !before.has(i.message));
    if (added) {
      setError(added.message);
      return false;
    }
    setError(undefined);
    onQueryChange(next);
    return true;
  };

  const applyCommand = (command: string): CommitResult => {
    try {
      const analysis = analyzeHubbleObserveCommand(command);
      setError(undefined);
      onQueryChange(analysis.query);
      setNotice({ ignored: analysis.ignored, warnings: analysis.warnings });
      setText("");
      return "command";
    } catch (e) {
      if (!(e instanceof HubbleCommandError)) throw e;
      setText(command);
      setError(`Cannot use this hubble observe command: ${e.message}`);
      return undefined;
    }
  };

  const commit = (raw: string): CommitResult => {
    const entryText = raw.trim();
    if (entryText === "") return undefined;
    if (looksLikeHubbleObserveCommand(entryText)) return applyCommand(entryText);
    let entry: FilterEntry;
    try {
      entry = parseFilterEntry(entryText);
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      setText(entryText);
      setError(e.message);
      return undefined;
    }
    const next = withEntry(query, entry);
    if (next !== query && !apply(next)) return undefined;
    setText("");
    setNotice(undefined);
    return "entry";
  };

  return {
    text,
    error,
    notice,
    /** Sets the text as it is (a completion taken with Tab). */
    setText,
    /** The person typed or picked a step towards an entry: the old message no longer applies. */
    edit(next: string) {
      setText(next);
      setError(undefined);
    },
    clear() {
      setText("");
      setError(undefined);
    },
    dismissNotice: () => setNotice(undefined),
    commit,
    applyCommand,
    remove: (index: number) => apply({ ...query, filters: query.filters.filter((_, i) => i !== index) }),
    toggleNegation: (index: number) => apply({ ...query, filters: query.filters.map((f, i) => (i === index ? { ...f, negated: !f.negated } : f)) }),
  };
}

export type FilterEntryState = ReturnType<typeof useFilterEntry>;
