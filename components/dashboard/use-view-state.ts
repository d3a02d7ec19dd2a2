"use client";

import { useSearchParams } from "next/navigation";
import { useCallback, useMemo, useState } from "react";
import { parseViewState, type ViewState, viewStateToParams } from "@/lib/view-state";

/**
 * The view as the URL holds it; `setView` writes a new URL (replace, so Back leaves the page).
 *
 * The URL is written with `history.replaceState`, which Next.js folds into `useSearchParams`
 * without asking the server for the page again (`router.replace` did: a round trip of 0.2–1 s
 * under load before a clicked row's details or the Drops view could show). The update still lands
 * after a click's own re-render: until it does, the view written last is the view (else a second
 * change made before the URL caught up — a verdict toggled right after a namespace was picked —
 * would be built on the old URL and undo the first).
 */
export function useViewState(): {
  view: ViewState;
  problem: { param: string; message: string } | undefined;
  setView: (next: ViewState) => void;
} {
  const params = useSearchParams();
  const current = params.toString();
  const parsed = useMemo(() => parseViewState(new URLSearchParams(current)), [current]);
  // The last view written, and the URL it was written over: it stands while the URL is still that one.
  const [pending, setPending] = useState<{ readonly from: string; readonly view: ViewState }>();
  const setView = useCallback(
    (next: ViewState) => {
      const qs = viewStateToParams(next).toString();
      setPending({ from: current, view: next });
      // The path as the browser has it (with any base path the app is served under).
      window.history.replaceState(null, "", `${window.location.pathname}${qs ? `?${qs}` : ""}`);
    },
    [current],
  );
  const waiting = pending !== undefined && pending.from === current && viewStateToParams(pending.view).toString() !== current;
  return {
    view: waiting ? pending.view : parsed.view,
    problem: waiting || parsed.ok ? undefined : { param: parsed.param, message: parsed.message },
    setView,
  };
}
