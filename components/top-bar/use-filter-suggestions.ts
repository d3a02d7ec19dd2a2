// The filter bar's completions: the entries suggested for the text, whether the list is open, and
// which one the arrow keys point at.
import { useEffect, useMemo, useRef, useState } from "react";
import type { FlowQuery } from "@/lib/filter-model";
import type { FlowRow } from "@/lib/flow-model";
import { suggestFilterEntries } from "@/lib/suggestions";
import { isActiveEntry, looksLikeHubbleObserveCommand } from "./filter-entry";

const SUGGESTION_LIMIT = 10;

export function useFilterSuggestions(text: string, query: FlowQuery, rows: readonly FlowRow[]) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);

  // Suggestions read the rows as they are when the text changes, not on every streamed batch
  // (the scan is bounded, so computing them on the keystroke is cheap). Not useDeferredValue: the
  // stream's frequent urgent updates would keep postponing a deferred render.
  const rowsRef = useRef(rows);
  useEffect(() => {
    rowsRef.current = rows;
  }, [rows]);
  const suggestions = useMemo(() => {
    if (!open || looksLikeHubbleObserveCommand(text)) return [];
    return suggestFilterEntries(text, rowsRef.current, SUGGESTION_LIMIT + query.filters.length)
      .filter((s) => !isActiveEntry(s, query))
      .slice(0, SUGGESTION_LIMIT);
  }, [open, text, query]);
  const activeIndex = active < suggestions.length ? active : -1;
  const showList = open && suggestions.length > 0;

  return {
    suggestions,
    activeIndex,
    showList,
    /** The suggestion the arrow keys point at, when the list is shown. */
    highlighted: showList && activeIndex >= 0 ? suggestions[activeIndex] : undefined,
    setOpen,
    setActive,
    /** Opens the list and moves down, wrapping to the first. */
    next() {
      setOpen(true);
      setActive(suggestions.length === 0 ? -1 : (activeIndex + 1) % suggestions.length);
    },
    /** Moves up, wrapping to the last. */
    previous() {
      setActive(suggestions.length === 0 ? -1 : activeIndex <= 0 ? suggestions.length - 1 : activeIndex - 1);
    },
    close() {
      setOpen(false);
      setActive(-1);
    },
  };
}

export type FilterSuggestionsState = ReturnType<typeof useFilterSuggestions>;
