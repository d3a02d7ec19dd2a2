"use client";

import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { parseFilterEntry } from "@/lib/filter-model";
import { consumeKey, usePopover } from "./hooks";
import { useNamespaces } from "./queries";
import { buttonClass, inputClass, mutedText, popoverClass } from "./ui";

export interface NamespacePickerProps {
  /** Selected namespaces; empty means all namespaces. */
  readonly value: readonly string[];
  readonly onChange: (next: string[]) => void;
}

type Item =
  | { readonly type: "all" }
  | { readonly type: "namespace"; readonly name: string; readonly clusters: readonly string[]; readonly recent: boolean }
  | { readonly type: "add"; readonly name: string };

/**
 * Multi-select of namespaces from the relay (GetNamespaces: namespaces with flows in the last
 * hour), plus the ones the view already has. A searchable listbox: arrows move, Enter or Space
 * toggles, Esc closes. A name the relay did not list can be added when it is a valid namespace.
 */
export function NamespacePicker({ value, onChange }: NamespacePickerProps) {
  const namespaces = useNamespaces();
  const pop = usePopover();
  const [search, setSearch] = useState("");
  const [active, setActive] = useState(0);
  const searchRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const selected = useMemo(() => new Set(value), [value]);

  const options = useMemo(() => {
    const clusters = new Map<string, Set<string>>();
    for (const n of namespaces.data ?? []) {
      if (!clusters.has(n.namespace)) clusters.set(n.namespace, new Set());
      if (n.cluster) clusters.get(n.namespace)!.add(n.cluster);
    }
    const names = [...new Set([...clusters.keys(), ...value])].sort();
    return names.map((name) => ({ name, clusters: [...(clusters.get(name) ?? [])].sort(), recent: clusters.has(name) }));
  }, [namespaces.data, value]);

  const term = search.trim().toLowerCase();
  const items: Item[] = useMemo(() => {
    const list: Item[] = [{ type: "all" }];
    for (const o of options) if (o.name.includes(term)) list.push({ type: "namespace", ...o });
    if (term !== "" && !options.some((o) => o.name === term) && isNamespaceName(term)) list.push({ type: "add", name: term });
    return list;
  }, [options, term]);
  const activeIndex = Math.min(active, items.length - 1);

  useEffect(() => {
    if (pop.open) searchRef.current?.focus();
    else setSearch("");
  }, [pop.open]);

  const toggle = (item: Item) => {
    if (item.type === "all") onChange([]);
    else if (selected.has(item.name)) onChange(value.filter((n) => n !== item.name));
    else onChange([...value, item.name]);
    if (item.type === "add") setSearch("");
  };

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    const move = (to: number) => {
      e.preventDefault();
      setActive(Math.max(0, Math.min(items.length - 1, to)));
    };
    switch (e.key) {
      case "ArrowDown":
        return move(activeIndex + 1);
      case "ArrowUp":
        return move(activeIndex - 1);
      case "PageDown":
        return move(activeIndex + 10);
      case "PageUp":
        return move(activeIndex - 10);
      case "Home":
        if (e.ctrlKey) move(0);
        return;
      case "End":
        if (e.ctrlKey) move(items.length - 1);
        return;
      case "Enter":
      case " ": // namespaces have no spaces, so Space is free to toggle
        consumeKey(e);
        if (items[activeIndex]) toggle(items[activeIndex]);
        return;
    }
  };

  const summary = value.length === 0 ? "All namespaces" : value.length <= 2 ? value.join(", ") : `${value.length} namespaces`;
  const optionId = (i: number) => `${listId}-opt-${i}`;

  return (
    <div className="relative" {...pop.rootProps}>
      <button
        ref={pop.triggerRef}
        type="button"
        className={`${buttonClass} max-w-56`}
        aria-haspopup="listbox"
        aria-expanded={pop.open}
        aria-label={`Namespaces: ${summary}`}
        title={value.length > 2 ? value.join(", ") : undefined}
        onClick={() => pop.setOpen(!pop.open)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" && !pop.open) {
            e.preventDefault();
            pop.setOpen(true);
          }
        }}
      >
        <span className={mutedText}>ns</span>
        <span className="truncate">{summary}</span>
        {namespaces.isError && (
          <span aria-hidden="true" className="text-amber-600 dark:text-amber-400" title="Namespaces could not be loaded">
            !
          </span>
        )}
        <span aria-hidden="true" className={mutedText}>
          ▾
        </span>
      </button>
      {pop.open && (
        <div className={`${popoverClass} left-0 w-72 p-2`}>
          <input
            ref={searchRef}
            type="text"
            role="combobox"
            aria-label="Search namespaces"
            aria-expanded="true"
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={items[activeIndex] ? optionId(activeIndex) : undefined}
            className={`${inputClass} mb-2 w-full`}
            placeholder="Search or type a namespace"
            value={search}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => {
              setSearch(e.target.value);
              setActive(0);
            }}
            onKeyDown={onSearchKey}
          />
          {namespaces.isError && (
            <div role="alert" className="mb-2 rounded border border-amber-300 bg-amber-50 p-2 text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
              <p>Couldn’t load namespaces from the relay: {namespaces.error.message}</p>
              <p className="mt-1">You can still type a namespace name to add it.</p>
              <button type="button" className={`${buttonClass} mt-1`} onClick={() => void namespaces.refetch()}>
                Retry
              </button>
            </div>
          )}
          <ul id={listId} role="listbox" aria-label="Namespaces" aria-multiselectable="true" className="max-h-72 overflow-y-auto">
            {items.map((item, i) => {
              const isSelected = item.type === "all" ? value.length === 0 : selected.has(item.name);
              return (
                <li
                  key={item.type === "all" ? "\u0000all" : `${item.type}:${item.name}`}
                  id={optionId(i)}
                  role="option"
                  aria-selected={isSelected}
                  className={`flex cursor-pointer items-center gap-2 rounded px-2 py-1 ${i === activeIndex ? "bg-sky-100 dark:bg-sky-900" : "hover:bg-slate-100 dark:hover:bg-slate-800"}`}
                  onMouseDown={(e) => e.preventDefault()}
                  onMouseEnter={() => setActive(i)}
                  onClick={() => toggle(item)}
                >
                  <span
                    aria-hidden="true"
                    className={`inline-flex h-3.5 w-3.5 shrink-0 items-center justify-center rounded-sm border text-[10px] leading-none ${isSelected ? "border-sky-600 bg-sky-600 text-white" : "border-slate-400 dark:border-slate-500"}`}
                  >
                    {isSelected ? "✓" : ""}
                  </span>
                  {item.type === "all" && <span className="font-medium">All namespaces</span>}
                  {item.type === "namespace" && (
                    <>
                      <span className="truncate font-mono">{item.name}</span>
                      {item.clusters.length > 0 && <span className={`truncate ${mutedText}`}>{item.clusters.join(", ")}</span>}
                      {!item.recent && namespaces.isSuccess && <span className={`ml-auto shrink-0 ${mutedText}`}>no recent flows</span>}
                    </>
                  )}
                  {item.type === "add" && (
                    <span>
                      Add <span className="font-mono">{item.name}</span>
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
          {namespaces.isPending && <p className={`px-2 py-1 ${mutedText}`}>Loading namespaces…</p>}
          {namespaces.isSuccess && options.length === 0 && term === "" && <p className={`px-2 py-1 ${mutedText}`}>The relay reports no namespaces with flows in the last hour.</p>}
        </div>
      )}
    </div>
  );
}

function isNamespaceName(text: string): boolean {
  try {
    parseFilterEntry(`namespace=${text}`);
    return true;
  } catch {
    return false;
  }
}
