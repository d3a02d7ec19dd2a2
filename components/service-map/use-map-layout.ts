"use client";

// The map's layout for one view (namespaces + grouping): restored from localStorage, saved back at
// most once a second while positions change and when the view goes away.

import { useCallback, useEffect, useMemo, useReducer, useRef } from "react";
import { MapLayout, type NodePosition } from "@/lib/service-map/layout";

const STORAGE_PREFIX = "hubble-lens:map-layout:v1:";
const SAVE_INTERVAL_MS = 1000;

export interface MapLayoutHandle {
  /** The storage key of this view's layout (also the key of everything per view). */
  readonly key: string;
  readonly layout: MapLayout;
  /** Changes when a pin or a reset changes the layout without a new snapshot. */
  readonly version: number;
  readonly bump: () => void;
  /** Forgets dragged and saved positions. */
  readonly reset: () => void;
}

export function useMapLayout(grouping: string, storageKey: string): MapLayoutHandle {
  const key = `${STORAGE_PREFIX}${grouping}:${storageKey}`;
  const layout = useMemo(() => loadLayout(key), [key]);
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  const reset = useCallback(() => {
    layout.clear();
    removeLayout(key);
    bump();
  }, [layout, key]);
  return { key, layout, version, bump, reset };
}

/** Persists the layout whenever `positions` (its latest result) changes; at most once a second. */
export function usePersistedLayout({ key, layout }: MapLayoutHandle, positions: ReadonlyMap<string, NodePosition>): void {
  const saved = useRef({ key, revision: layout.revision, at: 0 });
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (saveTimer.current !== undefined) return;
    if (saved.current.key === key && saved.current.revision === layout.revision) return;
    const wait = Math.max(0, SAVE_INTERVAL_MS - (Date.now() - saved.current.at));
    saveTimer.current = setTimeout(() => {
      saveTimer.current = undefined;
      saveLayout(key, layout);
      saved.current = { key, revision: layout.revision, at: Date.now() };
    }, wait);
  }, [positions, layout, key]);
  useEffect(
    () => () => {
      clearTimeout(saveTimer.current);
      saveTimer.current = undefined;
      saveLayout(key, layout);
    },
    [layout, key],
  );
}

function loadLayout(key: string): MapLayout {
  const layout = new MapLayout();
  if (typeof window === "undefined") return layout;
  try {
    const raw = window.localStorage.getItem(key);
    if (raw) layout.restore(JSON.parse(raw));
  } catch {
    // Unreadable or blocked storage: start with a fresh layout.
  }
  return layout;
}

function saveLayout(key: string, layout: MapLayout): void {
  try {
    window.localStorage.setItem(key, JSON.stringify(layout.serialize()));
  } catch {
    // Quota or blocked storage: positions then last for this page only.
  }
}

function removeLayout(key: string): void {
  try {
    window.localStorage.removeItem(key);
  } catch {
    // Nothing to remove.
  }
}
