// The filter input's keys: arrows move through the suggestions, Enter takes one or adds the text,
// Tab completes, Esc closes the list then clears, Backspace in an empty input removes the last chip.
import type { KeyboardEvent } from "react";
import type { FilterEntryState } from "./use-filter-entry";
import type { FilterSuggestionsState } from "./use-filter-suggestions";
import { consumeKey } from "./hooks";

export interface FilterKeyTargets {
  readonly entry: FilterEntryState;
  readonly list: FilterSuggestionsState;
  readonly filterCount: number;
  /** Takes a suggestion (a step keeps typing from it; a whole entry is added). */
  readonly accept: (suggestion: string) => void;
  /** Adds the text as typed. */
  readonly commit: (text: string) => void;
  readonly removeChip: (index: number) => void;
}

export function filterInputKeyDown({ entry, list, filterCount, accept, commit, removeChip }: FilterKeyTargets) {
  return (e: KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        list.next();
        return;
      case "ArrowUp":
        e.preventDefault();
        list.previous();
        return;
      case "Enter":
        e.preventDefault();
        if (list.highlighted !== undefined) accept(list.highlighted);
        else commit(entry.text);
        return;
      case "Tab":
        if (list.highlighted !== undefined && !e.shiftKey) {
          e.preventDefault();
          entry.setText(list.highlighted);
          list.setActive(-1);
        }
        return;
      case "Escape":
        if (list.showList) {
          consumeKey(e);
          list.close();
        } else if (entry.text !== "" || entry.error) {
          consumeKey(e);
          entry.clear();
        }
        return;
      case "Backspace":
        if (entry.text === "" && filterCount > 0 && e.currentTarget.selectionStart === 0) {
          e.preventDefault();
          removeChip(filterCount - 1);
        }
        return;
    }
  };
}
