"use client";

import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { COLUMN_IDS, COLUMNS, type ColumnId } from "./columns";

export interface ColumnPickerProps {
  visible: readonly ColumnId[];
  onChange(visible: readonly ColumnId[]): void;
}

/**
 * A "Columns" menu button: a menu of checkboxes (WAI-ARIA menu button pattern). ↑/↓/Home/End move,
 * Space or Enter toggles, Esc or Tab closes and returns focus to the button. The last visible
 * column cannot be turned off.
 */
export function ColumnPicker({ visible, onChange }: ColumnPickerProps) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const itemRefs = useRef<(HTMLDivElement | null)[]>([]);
  const menuId = useId();

  const close = useCallback((refocus: boolean) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    itemRefs.current[0]?.focus();
    const onPointerDown = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!menuRef.current?.contains(t) && !buttonRef.current?.contains(t)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, [open]);

  const toggle = (id: ColumnId) => {
    const on = visible.includes(id);
    if (on && visible.length === 1) return;
    onChange(on ? visible.filter((c) => c !== id) : COLUMN_IDS.filter((c) => c === id || visible.includes(c)));
  };

  const onMenuKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = itemRefs.current.filter((x): x is HTMLDivElement => x !== null);
    const at = items.indexOf(document.activeElement as HTMLDivElement);
    const focus = (i: number) => items[(i + items.length) % items.length]?.focus();
    switch (e.key) {
      case "ArrowDown":
        focus(at + 1);
        break;
      case "ArrowUp":
        focus(at - 1);
        break;
      case "Home":
        focus(0);
        break;
      case "End":
        focus(items.length - 1);
        break;
      case "Escape":
        close(true);
        break;
      case "Tab":
        close(false);
        return;
      case " ":
      case "Enter":
        if (at >= 0) toggle(COLUMN_IDS[at]);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <div className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
        className="rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800"
      >
        Columns
      </button>
      {open && (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-label="Table columns"
          onKeyDown={onMenuKeyDown}
          className="absolute right-0 z-30 mt-1 w-48 rounded border border-slate-200 bg-white py-1 text-xs shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          {COLUMN_IDS.map((id, i) => {
            const checked = visible.includes(id);
            return (
              <div
                key={id}
                ref={(el) => {
                  itemRefs.current[i] = el;
                }}
                role="menuitemcheckbox"
                aria-checked={checked}
                aria-disabled={checked && visible.length === 1 ? true : undefined}
                tabIndex={-1}
                onClick={() => toggle(id)}
                className="flex cursor-pointer items-center gap-2 px-3 py-1 text-slate-700 outline-none hover:bg-slate-100 focus:bg-sky-100 dark:text-slate-200 dark:hover:bg-slate-800 dark:focus:bg-sky-900/50"
              >
                <span aria-hidden="true" className="inline-block w-3 text-center">
                  {checked ? "✓" : ""}
                </span>
                {COLUMNS[id].header}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
