"use client";

import { type ClipboardEvent, type KeyboardEvent, type Ref, useEffect, useId, useMemo, useRef, useState } from "react";
import {
  analyzeHubbleObserveCommand,
  FilterSyntaxError,
  formatFilterEntry,
  HubbleCommandError,
  parseFilterEntry,
  sameFilterEntry,
  validateFlowQuery,
  type FilterEntry,
  type FlowQuery,
  type VerdictName,
} from "@/lib/filter-model";
import type { FlowRow } from "@/lib/flow-model";
import { suggestFilterEntries } from "@/lib/suggestions";
import { consumeKey, mergeRefs } from "./hooks";
import { focusRing, mutedText, popoverClass } from "./ui";

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

export interface MapSelectionChip {
  readonly kind: "node" | "edge";
  /** The selection as people read it (from the id: text only). */
  readonly text: string;
  readonly onRemove: () => void;
}

interface PasteNotice {
  readonly ignored: readonly string[];
  readonly warnings: readonly string[];
}

const SUGGESTION_LIMIT = 10;

/** `hubble observe …`, `/usr/bin/hubble observe …`, `$ hubble observe …`, `kubectl … hubble observe …`. */
export function looksLikeHubbleObserveCommand(text: string): boolean {
  const t = text.trim();
  return /^(?:\$\s*)?(?:\S*\/)?hubble\s+observe(?:\s|$)/.test(t) || /^(?:\$\s*)?kubectl\s[\s\S]*\bhubble\s+observe(?:\s|$)/.test(t);
}

/**
 * The filter bar: one chip per entry (× removes it, "!" flips it to an exclusion) and an input
 * for `[!][from:|to:|either:]kind=value` with completions from the stream. A pasted (or typed)
 * `hubble observe …` line replaces the whole query and says which flags had no effect.
 */
export function FilterBar({ query, onQueryChange, rows, inputRef, selection }: FilterBarProps) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<PasteNotice>();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const ownInputRef = useRef<HTMLInputElement>(null);
  const setInputRef = useMemo(() => mergeRefs(ownInputRef, inputRef), [inputRef]);
  const listId = useId();
  const errorId = useId();
  const noticeId = useId();

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

  const applyCommand = (command: string) => {
    try {
      const analysis = analyzeHubbleObserveCommand(command);
      setError(undefined);
      onQueryChange(analysis.query);
      setNotice({ ignored: analysis.ignored, warnings: analysis.warnings });
      setText("");
      setOpen(false);
    } catch (e) {
      if (!(e instanceof HubbleCommandError)) throw e;
      setText(command);
      setError(`Cannot use this hubble observe command: ${e.message}`);
    }
  };

  const commit = (raw: string) => {
    const entryText = raw.trim();
    if (entryText === "") return;
    if (looksLikeHubbleObserveCommand(entryText)) return applyCommand(entryText);
    let entry: FilterEntry;
    try {
      entry = parseFilterEntry(entryText);
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      setText(entryText);
      setError(e.message);
      return;
    }
    const next = withEntry(query, entry);
    if (next === query || apply(next)) {
      setText("");
      setActive(-1);
      setNotice(undefined);
    }
  };

  const accept = (suggestion: string) => {
    // `pod=` or `from:` is a step towards an entry: keep typing; a whole entry is added.
    if (suggestion.endsWith("=") || suggestion.endsWith(":")) {
      setText(suggestion);
      setActive(-1);
      setError(undefined);
      ownInputRef.current?.focus();
    } else {
      commit(suggestion);
    }
  };

  const remove = (index: number) => {
    apply({ ...query, filters: query.filters.filter((_, i) => i !== index) });
    ownInputRef.current?.focus();
  };

  const toggleNegation = (index: number) => {
    apply({ ...query, filters: query.filters.map((f, i) => (i === index ? { ...f, negated: !f.negated } : f)) });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        setOpen(true);
        setActive(suggestions.length === 0 ? -1 : (activeIndex + 1) % suggestions.length);
        return;
      case "ArrowUp":
        e.preventDefault();
        setActive(suggestions.length === 0 ? -1 : activeIndex <= 0 ? suggestions.length - 1 : activeIndex - 1);
        return;
      case "Enter":
        e.preventDefault();
        if (showList && activeIndex >= 0) accept(suggestions[activeIndex]);
        else commit(text);
        return;
      case "Tab":
        if (showList && activeIndex >= 0 && !e.shiftKey) {
          e.preventDefault();
          setText(suggestions[activeIndex]);
          setActive(-1);
        }
        return;
      case "Escape":
        if (showList) {
          consumeKey(e);
          setOpen(false);
          setActive(-1);
        } else if (text !== "" || error) {
          consumeKey(e);
          setText("");
          setError(undefined);
        }
        return;
      case "Backspace":
        if (text === "" && query.filters.length > 0 && e.currentTarget.selectionStart === 0) {
          e.preventDefault();
          remove(query.filters.length - 1);
        }
        return;
    }
  };

  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const pasted = e.clipboardData.getData("text");
    if (!looksLikeHubbleObserveCommand(pasted)) return;
    e.preventDefault();
    // Shell line continuations are common in copied commands.
    applyCommand(pasted.replace(/\\\r?\n/g, " ").replace(/\r?\n/g, " "));
  };

  const describedBy = [error ? errorId : undefined, notice ? noticeId : undefined].filter(Boolean).join(" ") || undefined;

  return (
    <div className="flex min-w-0 flex-1 flex-col gap-1">
      <div
        className={`relative flex min-h-8 flex-wrap items-center gap-1 rounded border bg-white px-1 py-0.5 dark:bg-slate-950 ${
          error ? "border-red-500 dark:border-red-500" : "border-slate-300 focus-within:border-sky-500 dark:border-slate-700 dark:focus-within:border-sky-500"
        }`}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOpen(false);
        }}
      >
        <span aria-hidden="true" className={`px-1 text-xs ${mutedText}`}>
          Filter
        </span>
        {(query.filters.length > 0 || selection) && (
          <ul aria-label="Active filters" className="flex max-w-full flex-wrap items-center gap-1">
            {selection && (
              <SelectionChip
                selection={selection}
                onRemove={() => {
                  selection.onRemove();
                  ownInputRef.current?.focus();
                }}
              />
            )}
            {query.filters.map((f, i) => (
              <FilterChip key={`${i}:${formatFilterEntry(f)}`} entry={f} onToggleNegation={() => toggleNegation(i)} onRemove={() => remove(i)} />
            ))}
          </ul>
        )}
        <input
          ref={setInputRef}
          type="text"
          role="combobox"
          aria-label="Filter flows"
          aria-expanded={showList}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={showList && activeIndex >= 0 ? `${listId}-${activeIndex}` : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          className="h-6 min-w-56 flex-1 bg-transparent px-1 font-mono text-xs text-slate-900 outline-none placeholder:font-sans placeholder:text-slate-400 dark:text-slate-100 dark:placeholder:text-slate-500"
          placeholder={query.filters.length === 0 ? "from:pod=shop/frontend  !label=app=x  http-status=5+  port=443 — or paste hubble observe …" : "Add filter…"}
          spellCheck={false}
          autoComplete="off"
          autoCapitalize="off"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setError(undefined);
            setOpen(true);
            setActive(-1);
          }}
          onFocus={() => setOpen(true)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
        {showList && (
          <ul id={listId} role="listbox" aria-label="Filter suggestions" className={`${popoverClass} left-0 top-full max-h-72 min-w-72 overflow-y-auto py-1`}>
            {suggestions.map((s, i) => (
              <li
                key={s}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === activeIndex}
                className={`cursor-pointer truncate px-2 py-0.5 font-mono ${i === activeIndex ? "bg-sky-100 dark:bg-sky-900" : "hover:bg-slate-100 dark:hover:bg-slate-800"}`}
                onMouseDown={(e) => e.preventDefault()}
                onMouseEnter={() => setActive(i)}
                onClick={() => accept(s)}
              >
                {s}
              </li>
            ))}
          </ul>
        )}
      </div>
      {error && (
        <p id={errorId} role="alert" className="text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      {notice && (
        <div id={noticeId} role="status" className="flex items-start gap-2 text-xs text-slate-700 dark:text-slate-300">
          <div className="min-w-0">
            <p>Filters set from the pasted hubble observe command.</p>
            {notice.ignored.length > 0 && (
              <p className={mutedText}>
                Ignored (they do not change which flows match): <span className="font-mono">{notice.ignored.join(", ")}</span>
              </p>
            )}
            {notice.warnings.map((w) => (
              <p key={w} className="text-amber-700 dark:text-amber-400">
                {w}
              </p>
            ))}
          </div>
          <button
            type="button"
            aria-label="Dismiss"
            className={`rounded px-1 ${mutedText} hover:text-slate-900 dark:hover:text-white ${focusRing}`}
            onClick={() => setNotice(undefined)}
          >
            ×
          </button>
        </div>
      )}
    </div>
  );
}

/** The map's selection: a chip like the filters' (it narrows the table), removable with ×. */
function SelectionChip({ selection, onRemove }: { selection: MapSelectionChip; onRemove: () => void }) {
  const what = selection.kind === "node" ? "map node" : "map edge";
  return (
    <li
      data-testid="map-selection-chip"
      data-kind={selection.kind}
      className="inline-flex max-w-full items-center overflow-hidden rounded border border-violet-300 bg-violet-50 text-xs text-violet-900 dark:border-violet-800 dark:bg-violet-950 dark:text-violet-100"
    >
      <span className="pl-1.5 pr-1 text-[10px] font-semibold uppercase tracking-wide text-violet-600 dark:text-violet-300">{what}</span>
      <span className="max-w-96 truncate font-mono" title={selection.text}>
        {selection.text}
      </span>
      <button type="button" aria-label={`Remove ${what} selection ${selection.text}`} className={`px-1 hover:bg-black/10 dark:hover:bg-white/10 ${focusRing}`} onClick={onRemove}>
        ×
      </button>
    </li>
  );
}

function FilterChip({ entry, onToggleNegation, onRemove }: { entry: FilterEntry; onToggleNegation: () => void; onRemove: () => void }) {
  const text = formatFilterEntry(entry);
  const shown = entry.negated ? text.slice(1) : text;
  return (
    <li
      className={`inline-flex max-w-full items-center overflow-hidden rounded border text-xs ${
        entry.negated
          ? "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
          : "border-sky-300 bg-sky-50 text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100"
      }`}
    >
      <button
        type="button"
        aria-pressed={entry.negated}
        aria-label={`Exclude ${shown}`}
        title={entry.negated ? "Excluded: click to include instead" : "Click to exclude instead"}
        className={`px-1 font-mono font-bold ${entry.negated ? "text-red-700 dark:text-red-300" : "text-slate-400 hover:text-slate-700 dark:text-slate-500 dark:hover:text-slate-200"} ${focusRing}`}
        onClick={onToggleNegation}
      >
        !
      </button>
      <span className={`truncate font-mono ${entry.negated ? "line-through decoration-red-400/60" : ""}`} title={text}>
        {shown}
      </span>
      <button type="button" aria-label={`Remove filter ${text}`} className={`px-1 hover:bg-black/10 dark:hover:bg-white/10 ${focusRing}`} onClick={onRemove}>
        ×
      </button>
    </li>
  );
}

/**
 * The query with `entry` added; the same query when it is already there. A plain `namespace=`
 * or `verdict=` goes to its picker: they mean exactly `--namespace` / `--verdict`.
 */
function withEntry(query: FlowQuery, entry: FilterEntry): FlowQuery {
  if (!entry.negated && entry.kind === "namespace" && entry.direction === "either") {
    return query.namespaces.includes(entry.value) ? query : { ...query, namespaces: [...query.namespaces, entry.value] };
  }
  if (!entry.negated && entry.kind === "verdict") {
    const v = entry.value as VerdictName;
    return query.verdicts.includes(v) ? query : { ...query, verdicts: [...query.verdicts, v] };
  }
  return query.filters.some((f) => sameFilterEntry(f, entry)) ? query : { ...query, filters: [...query.filters, entry] };
}

function isActiveEntry(text: string, query: FlowQuery): boolean {
  if (text.endsWith("=") || text.endsWith(":")) return false;
  try {
    return withEntry(query, parseFilterEntry(text)) === query;
  } catch {
    return false;
  }
}
