// How big the map is drawn: the zoom at which node names stay legible, the part of the panel the
// drawing may use, how many cards fit there, and the automatic fit's transform. Pure numbers.

import { contentBounds, type NamespaceBox, type NodePosition, type ViewportSize, viewportGrid } from "@/lib/service-map/layout";
import { NODE_LABEL_FONT } from "./map-node";

/** From this zoom on, destination cards list their endpoints and DNS names. */
export const DETAIL_SCALE = 1.3;
/** From this zoom on, edges carry their labels where they fit (otherwise: on hover and when selected). */
export const EDGE_LABEL_SCALE = 1.8;
/** Node names are never drawn smaller than this (px on screen) by the automatic fit. */
export const NODE_LABEL_MIN_PX = 11;
/** The smallest zoom at which node names are legible: the automatic fit never goes below it. */
export const LEGIBLE_SCALE = NODE_LABEL_MIN_PX / NODE_LABEL_FONT;
export const MIN_SCALE = 0.05;
export const MAX_SCALE = 4;
const MAX_FIT_SCALE = 1.5;
/** Share of the grid cells a layout fills in practice (namespace boxes and gaps take the rest). */
const CELL_FILL = 0.85;
/** Never collapse a map of this many nodes or fewer. */
const MIN_CAPACITY = 12;
/** Room kept at the bottom of the panel for the legend and the view's buttons (side by side there). */
const BOTTOM_BAR_H = 36;
/** Space kept around the drawing by the fit (px). */
const FIT_PAD = 16;

/** The panel's height the drawing may use: above the legend and the buttons. */
const drawableHeight = (height: number) => height - BOTTOM_BAR_H;

/** The area the layout fills: the drawable part of the panel in map units at the legible zoom. */
export function layoutViewport(panel: ViewportSize): ViewportSize {
  return { width: panel.width / LEGIBLE_SCALE, height: drawableHeight(panel.height) / LEGIBLE_SCALE };
}

/** How many node cards fit the panel at a legible zoom (the default threshold for collapsing). */
export function nodesThatFit(panel: ViewportSize): number {
  const { cols, rows } = viewportGrid(layoutViewport(panel));
  // A dozen nodes stay expanded even in a small panel: fewer would say too little.
  return Math.max(MIN_CAPACITY, Math.floor(cols * rows * CELL_FILL));
}

/**
 * The zoom and pan that centre the drawing in the drawable part of the panel. `legible`: never
 * below the legible zoom (a larger map is shown from its centre and can be panned; it is collapsed
 * by namespace long before that); otherwise everything is shown, however small.
 */
export function fitTransform(
  panel: ViewportSize,
  positions: Iterable<NodePosition>,
  boxes: readonly NamespaceBox[],
  legible: boolean,
): { k: number; x: number; y: number } | undefined {
  const b = contentBounds(positions, boxes);
  if (!b || panel.width === 0 || panel.height === 0) return undefined;
  const height = drawableHeight(panel.height);
  const k = clamp(Math.min((panel.width - 2 * FIT_PAD) / b.width, (height - FIT_PAD) / b.height), legible ? LEGIBLE_SCALE : MIN_SCALE, MAX_FIT_SCALE);
  return { k, x: panel.width / 2 - k * (b.x + b.width / 2), y: height / 2 - k * (b.y + b.height / 2) };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
