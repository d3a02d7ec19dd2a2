"use client";

// Zoom and pan with d3-zoom: the transform goes onto the zoom layer directly (no React work per
// frame); React hears only of detail-level changes. The view fits itself to the map until the
// user zooms, pans or drags; a new view fits again.

import { type D3ZoomEvent, select, zoom, type ZoomBehavior, zoomIdentity } from "d3";
import { type RefObject, useCallback, useEffect, useRef, useState } from "react";
import type { NamespaceBox, NodePosition } from "@/lib/service-map/layout";
import { DETAIL_SCALE, EDGE_LABEL_SCALE, fitTransform, MAX_SCALE, MIN_SCALE } from "./sizing";

/** 0: overview; 1: destination cards show their details; 2: edges carry their labels too. */
export type ZoomLevel = 0 | 1 | 2;

export interface MapZoomInput {
  readonly svgRef: RefObject<SVGSVGElement | null>;
  readonly layerRef: RefObject<SVGGElement | null>;
  /** What is drawn now (read when fitting). */
  readonly content: () => { readonly shown: ReadonlyMap<string, NodePosition>; readonly boxes: readonly NamespaceBox[] };
  /** The view: a new one fits again. */
  readonly viewKey: string;
  /** The layout's positions: each new set fits the view while the user has not moved it. */
  readonly positions: ReadonlyMap<string, NodePosition>;
}

export function useMapZoom({ svgRef, layerRef, content, viewKey, positions }: MapZoomInput) {
  const zoomRef = useRef<ZoomBehavior<SVGSVGElement, unknown> | undefined>(undefined);
  const userMovedView = useRef(false);
  const [level, setLevel] = useState<ZoomLevel>(0);
  const latestContent = useRef(content);
  useEffect(() => {
    latestContent.current = content;
  });

  useEffect(() => {
    const svg = svgRef.current;
    const layer = layerRef.current;
    if (!svg || !layer) return;
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([MIN_SCALE, MAX_SCALE])
      .on("zoom", (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        layer.setAttribute("transform", e.transform.toString());
        if (e.sourceEvent) userMovedView.current = true;
        setLevel(e.transform.k >= EDGE_LABEL_SCALE ? 2 : e.transform.k >= DETAIL_SCALE ? 1 : 0);
      });
    const selection = select(svg);
    selection.call(z).on("dblclick.zoom", null);
    zoomRef.current = z;
    return () => {
      selection.on(".zoom", null);
      zoomRef.current = undefined;
    };
  }, [svgRef, layerRef]);

  /** Fits the view to the map; `legible`: not below the zoom at which names can be read. */
  const fit = useCallback(
    (legible: boolean) => {
      const svg = svgRef.current;
      const z = zoomRef.current;
      if (!svg || !z) return;
      const { width, height } = svg.getBoundingClientRect();
      const { shown, boxes } = latestContent.current();
      const t = fitTransform({ width, height }, shown.values(), boxes, legible);
      if (t) z.transform(select(svg), zoomIdentity.translate(t.x, t.y).scale(t.k));
    },
    [svgRef],
  );

  const zoomBy = useCallback(
    (factor: number) => {
      const svg = svgRef.current;
      if (svg && zoomRef.current) zoomRef.current.scaleBy(select(svg), factor);
    },
    [svgRef],
  );

  useEffect(() => {
    userMovedView.current = false;
  }, [viewKey]);
  useEffect(() => {
    if (!userMovedView.current && positions.size > 0) fit(true);
  }, [positions, fit]);

  /** The user moved something on the map (a drag): the view stops fitting itself. */
  const markMoved = useCallback(() => {
    userMovedView.current = true;
  }, []);
  /** The layout was reset: the view fits itself again. */
  const resetMoved = useCallback(() => {
    userMovedView.current = false;
  }, []);

  return { level, fit, zoomBy, markMoved, resetMoved };
}
