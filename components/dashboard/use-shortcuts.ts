"use client";

import { type RefObject, useEffect } from "react";

/**
 * The dashboard's keys: `/` focuses the filter bar, Esc closes what is open, space pauses or
 * resumes. Keys typed into a text field, a button or a menu are theirs, not ours.
 */
export function useShortcuts(opts: { filterInput: RefObject<HTMLInputElement | null>; onEscape: () => void; onTogglePause: () => void }): void {
  const { filterInput, onEscape, onTogglePause } = opts;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      const typing = target?.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target?.tagName ?? "");
      if (e.key === "Escape") {
        if (typing && target instanceof HTMLInputElement && target.value !== "") return;
        onEscape();
        return;
      }
      if (typing) return;
      if (e.key === "/") {
        e.preventDefault();
        filterInput.current?.focus();
      } else if (e.key === " " && !["BUTTON", "A"].includes(target?.tagName ?? "") && target?.getAttribute("role") !== "button") {
        e.preventDefault();
        onTogglePause();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [filterInput, onEscape, onTogglePause]);
}
