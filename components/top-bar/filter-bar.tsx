"use client";

import { type ClipboardEvent, type Ref, useId, useMemo, useRef } from "react";
import type { FlowQuery } from "@/lib/filter-model";
import type { FlowRow } from "@/lib/flow-model";
import { ActiveFilters, type MapSelectionChip } from "./filter-chips";
import { joinCommandLines, looksLikeHubbleObserveCommand } from "./filter-entry";
import { filterInputKeyDown } from "./filter-keys";
import { FilterSuggestionList, suggestionId } from "./filter-suggestions";
import { mergeRefs } from "./hooks";
import { PasteNoticeView } from "./paste-notice";
import { mutedText } from "./ui";
import { useFilterEntry } from "./use-filter-entry";
import { useFilterSuggestions } from "./use-filter-suggestions";

export interface FilterBarProps {
  readonly query: FlowQuery;
  /** The whole next query: an entry may land in the namespace or verdict picker, a pasted command replaces everything. */
  readonly onQueryChange: (next: FlowQuery) => void;
  /** Flows in view, newest first: where suggestions come from. */
  readonly rows: readonly FlowRow[];
  /** Focuses the input (the page binds `/` to it). */
  readonly inputRef?: Ref<HTMLInputElement>;
  /** The service map's selection (`node=` / `edge=` in the URL), shown as a chip; × clears it. */
  readonly selection?: MapSelectionChip;
}

/**
 * The filter bar: one chip per entry (× removes it, "!" flips it to an exclusion) and an input
 * for `[!][from:|to:|either:]kind=value` with completions from the stream. A pasted (or typed)
 * `hubble observe …` line replaces the whole query and says which flags had no effect.
 * The parts: `use-filter-entry.ts` (text → query), `use-filter-suggestions.ts`, `filter-keys.ts`,
 * `filter-chips.tsx`, `filter-suggestions.tsx`, `paste-notice.tsx`.
 */
export function FilterBar({ query, onQueryChange, rows, inputRef, selection }: FilterBarProps) {
  const entry = useFilterEntry(query, onQueryChange);
  const list = useFilterSuggestions(entry.text, query, rows);
  const ownInputRef = useRef<HTMLInputElement>(null);
  const setInputRef = useMemo(() => mergeRefs(ownInputRef, inputRef), [inputRef]);
  const listId = useId();
  const errorId = useId();
  const noticeId = useId();
  const focusInput = () => ownInputRef.current?.focus();

  const commit = (raw: string) => {
    const done = entry.commit(raw);
    if (done === "entry") list.setActive(-1);
    else if (done === "command") list.setOpen(false);
  };

  const accept = (suggestion: string) => {
    // `pod=` or `from:` is a step towards an entry: keep typing; a whole entry is added.
    if (suggestion.endsWith("=") || suggestion.endsWith(":")) {
      entry.edit(suggestion);
      list.setActive(-1);
      focusInput();
    } else {
      commit(suggestion);
    }
  };

  const removeChip = (index: number) => {
    entry.remove(index);
    focusInput();
  };

  const onKeyDown = filterInputKeyDown({ entry, list, filterCount: query.filters.length, accept, commit, removeChip });

  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const pasted = e.clipboardData.getData("text");
    if (!looksLikeHubbleObserveCommand(pasted)) return;
    e.preventDefault();
    if (entry.applyCommand(joinCommandLines(pasted)) === "command") list.setOpen(false);
  };

  const { error, notice } = entry;
  const describedBy = [error ? errorId : undefined, notice ? noticeId : undefined].filter(Boolean).join(" ") || undefined;

  return (
    <div className="flex min-w-0 flex-1 flex-col gap-1">
      <div
        className={`relative flex min-h-8 flex-wrap items-center gap-1 rounded border bg-white px-1 py-0.5 dark:bg-slate-950 ${
          error ? "border-red-500 dark:border-red-500" : "border-slate-300 focus-within:border-sky-500 dark:border-slate-700 dark:focus-within:border-sky-500"
        }`}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) list.setOpen(false);
        }}
      >
        <span aria-hidden="true" className={`px-1 text-xs ${mutedText}`}>
          Filter
        </span>
        <ActiveFilters filters={query.filters} selection={selection} onSelectionRemoved={focusInput} onToggleNegation={entry.toggleNegation} onRemove={removeChip} />
        <input
          ref={setInputRef}
          type="text"
          role="combobox"
          aria-label="Filter flows"
          aria-expanded={list.showList}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={list.showList && list.activeIndex >= 0 ? suggestionId(listId, list.activeIndex) : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          className="h-6 min-w-56 flex-1 bg-transparent px-1 font-mono text-xs text-slate-900 outline-none placeholder:font-sans placeholder:text-slate-400 dark:text-slate-100 dark:placeholder:text-slate-500"
          placeholder={query.filters.length === 0 ? "from:pod=shop/frontend  !label=app=x  http-status=5+  port=443 — or paste hubble observe …" : "Add filter…"}
          spellCheck={false}
          autoComplete="off"
          autoCapitalize="off"
          value={entry.text}
          onChange={(e) => {
            entry.edit(e.target.value);
            list.setOpen(true);
            list.setActive(-1);
          }}
          onFocus={() => list.setOpen(true)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
        {list.showList && <FilterSuggestionList id={listId} suggestions={list.suggestions} activeIndex={list.activeIndex} onHover={list.setActive} onPick={accept} />}
      </div>
      {error && (
        <p id={errorId} role="alert" className="text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      {notice && <PasteNoticeView id={noticeId} notice={notice} onDismiss={entry.dismissNotice} />}
    </div>
  );
}
