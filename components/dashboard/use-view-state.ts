"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { parseViewState, type ViewState, viewStateToParams } from "@/lib/view-state";

/** The view as the URL holds it; `setView` writes a new URL (replace, so Back leaves the page). */
export function useViewState(): {
  view: ViewState;
  problem: { param: string; message: string } | undefined;
  setView: (next: ViewState) => void;
} {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const parsed = useMemo(() => parseViewState(new URLSearchParams(params.toString())), [params]);
  const setView = useCallback(
    (next: ViewState) => {
      const qs = viewStateToParams(next).toString();
      router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    },
    [router, pathname],
  );
  return {
    view: parsed.view,
    problem: parsed.ok ? undefined : { param: parsed.param, message: parsed.message },
    setView,
  };
}
