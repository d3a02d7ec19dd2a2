"use client";

// The filter bar's list of completions (a listbox the input controls).
import { popoverClass } from "./ui";

export interface FilterSuggestionListProps {
  readonly id: string;
  readonly suggestions: readonly string[];
  readonly activeIndex: number;
  readonly onHover: (index: number) => void;
  readonly onPick: (suggestion: string) => void;
}

/** The id of option `index` in the list `listId`, for the input's aria-activedescendant. */
export const suggestionId = (listId: string, index: number) => `${listId}-${index}`;

export function FilterSuggestionList({ id, suggestions, activeIndex, onHover, onPick }: FilterSuggestionListProps) {
  return (
    <ul id={id} role="listbox" aria-label="Filter suggestions" className={`${popoverClass} left-0 top-full max-h-72 min-w-72 overflow-y-auto py-1`}>
      {suggestions.map((s, i) => (
        <li
          key={s}
          id={suggestionId(id, i)}
          role="option"
          aria-selected={i === activeIndex}
          className={`cursor-pointer truncate px-2 py-0.5 font-mono ${i === activeIndex ? "bg-sky-100 dark:bg-sky-900" : "hover:bg-slate-100 dark:hover:bg-slate-800"}`}
          // Keeps the focus in the input, so the list does not close before the click.
          onMouseDown={(e) => e.preventDefault()}
          onMouseEnter={() => onHover(i)}
          onClick={() => onPick(s)}
        >
          {s}
        </li>
      ))}
    </ul>
  );
}
