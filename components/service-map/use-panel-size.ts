"use client";

import { useLayoutEffect, useState } from "react";
import type { ViewportSize } from "@/lib/service-map/layout";

/** The panel's size, measured before the first paint and on every resize; undefined until then. */
export function usePanelSize(ref: { readonly current: HTMLElement | null }): ViewportSize | undefined {
  const [size, setSize] = useState<ViewportSize>();
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = (width: number, height: number) => {
      if (width > 0 && height > 0) setSize((s) => (s && Math.abs(s.width - width) < 1 && Math.abs(s.height - height) < 1 ? s : { width, height }));
    };
    const r = el.getBoundingClientRect();
    measure(r.width, r.height);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(([entry]) => measure(entry.contentRect.width, entry.contentRect.height));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}
