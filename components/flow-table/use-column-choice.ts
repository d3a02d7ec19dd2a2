"use client";

import { useCallback, useEffect, useState } from "react";
import { COLUMNS_STORAGE_KEY, DEFAULT_COLUMNS, readColumnChoice, type ColumnId } from "./columns";

/** The visible columns: the default until mounted, then the stored choice; a change is stored. */
export function useColumnChoice(): [readonly ColumnId[], (next: readonly ColumnId[]) => void] {
  // The default on the server and in the first client render; the stored choice after mount.
  const [visible, setVisible] = useState<readonly ColumnId[]>(DEFAULT_COLUMNS);
  useEffect(() => {
    try {
      setVisible(readColumnChoice(window.localStorage.getItem(COLUMNS_STORAGE_KEY)));
    } catch {
      // Storage can be disabled; the default stands.
    }
  }, []);
  const change = useCallback((next: readonly ColumnId[]) => {
    setVisible(next);
    try {
      window.localStorage.setItem(COLUMNS_STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Not persisted, still applied.
    }
  }, []);
  return [visible, change];
}
