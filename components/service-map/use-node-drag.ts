"use client";

// d3-drag on the nodes layer: the subject is the node card under the pointer (none: the event goes
// on to d3-zoom and pans). Moves are coalesced per animation frame; the drop pins the node.

import { drag, type D3DragEvent, select } from "d3";
import { type RefObject, useEffect, useRef, useState } from "react";
import type { MapLayout, NodePosition } from "@/lib/service-map/layout";

export interface DragState {
  readonly id: string;
  readonly x: number;
  readonly y: number;
}

export interface NodeDragInput {
  readonly nodesLayerRef: RefObject<SVGGElement | null>;
  /** The element whose coordinates positions are in (the zoom layer). */
  readonly containerRef: RefObject<SVGGElement | null>;
  readonly layout: MapLayout;
  /** Where the nodes are drawn now. */
  readonly shown: () => ReadonlyMap<string, NodePosition>;
  /** A node was dropped and pinned. */
  readonly onPinned: () => void;
}

/** The node being dragged and where, or null. */
export function useNodeDrag({ nodesLayerRef, containerRef, layout, shown, onPinned }: NodeDragInput): DragState | null {
  const [dragging, setDragging] = useState<DragState | null>(null);
  const latest = useRef({ shown, onPinned });
  useEffect(() => {
    latest.current = { shown, onPinned };
  });

  useEffect(() => {
    const nodesLayer = nodesLayerRef.current;
    const container = containerRef.current;
    if (!nodesLayer || !container) return;
    let frame = 0;
    let pending: DragState | null = null;
    const behaviour = drag<SVGGElement, unknown, DragState>()
      .container(container)
      .subject((event: D3DragEvent<SVGGElement, unknown, DragState>) => {
        const target = (event.sourceEvent as Event | undefined)?.target;
        const card = target instanceof Element ? target.closest("[data-node-id]") : null;
        const id = card?.getAttribute("data-node-id");
        const p = id ? latest.current.shown().get(id) : undefined;
        return (id && p ? { id, x: p.x, y: p.y } : null) as DragState;
      })
      .on("start", () => {
        pending = null;
      })
      .on("drag", (event: D3DragEvent<SVGGElement, unknown, DragState>) => {
        pending = { id: event.subject.id, x: event.x, y: event.y };
        if (frame === 0)
          frame = requestAnimationFrame(() => {
            frame = 0;
            if (pending) setDragging(pending);
          });
      })
      .on("end", (event: D3DragEvent<SVGGElement, unknown, DragState>) => {
        cancelAnimationFrame(frame);
        frame = 0;
        if (pending) {
          layout.pin(event.subject.id, event.x, event.y);
          latest.current.onPinned();
        }
        pending = null;
        setDragging(null);
      });
    const selection = select(nodesLayer);
    selection.call(behaviour);
    return () => {
      selection.on(".drag", null);
      cancelAnimationFrame(frame);
    };
  }, [layout, nodesLayerRef, containerRef]);

  return dragging;
}
