// Which edge labels the map draws, and where (never two on one another).

import type { Rect } from "@/lib/service-map/layout";
import { NODE_H, NODE_W, type NodePosition } from "@/lib/service-map/layout";
import { edgeGeometry } from "@/lib/service-map/geometry";
import { placeEdgeLabels, type LabelRequest } from "@/lib/service-map/label-placement";
import { edgeDropText, type EdgeDropPolicies } from "@/lib/service-map/policy-annotations";
import type { ServiceMapSnapshot } from "@/lib/service-map/types";
import { edgeLabelText, edgeLabelWidth, LABEL_H } from "./map-edge";
import type { Emphasis } from "./map-node";

export interface PlacedEdgeLabel {
  readonly id: string;
  readonly text: string;
  readonly x: number;
  readonly y: number;
}

/**
 * The edge labels to draw: the selected and hovered edges' always; zoomed in, every other edge's
 * that fits without covering a label or a card (busiest first). Never two on one another.
 */
export function edgeLabelsOf(
  view: ServiceMapSnapshot,
  shown: ReadonlyMap<string, NodePosition>,
  lanes: ReadonlyMap<string, number>,
  edgeDrops: ReadonlyMap<string, EdgeDropPolicies>,
  emphasis: { edge: (id: string) => Emphasis },
  required: readonly (string | undefined)[],
  all: boolean,
  detailed: boolean,
): PlacedEdgeLabel[] {
  const requests: LabelRequest[] = [];
  const texts = new Map<string, string>();
  for (const e of view.edges) {
    const isRequired = required.includes(e.id);
    if (!isRequired && (!all || emphasis.edge(e.id) === "dim")) continue;
    const a = shown.get(e.source);
    const b = shown.get(e.target);
    if (!a || !b) continue;
    const g = edgeGeometry(e.source, e.target, a, b, lanes.get(e.id) ?? 0);
    const dropText = e.verdicts.dropped + e.verdicts.audit > 0 ? edgeDropText(edgeDrops.get(e.id)) : "";
    const text = edgeLabelText(e, view.windowMs, dropText);
    texts.set(e.id, text);
    requests.push({ id: e.id, x: g.label.x, y: g.label.y, width: edgeLabelWidth(text), height: LABEL_H, required: isRequired, priority: e.flows });
  }
  if (requests.length === 0) return [];
  const cards: Rect[] = [];
  // Zoomed in, destination cards list endpoints below them: keep labels off those lines too.
  const below = detailed ? 44 : 0;
  if (all) for (const p of shown.values()) cards.push({ x: p.x - NODE_W / 2, y: p.y - NODE_H / 2, width: NODE_W, height: NODE_H + below });
  return placeEdgeLabels(requests, cards).map((p) => ({ ...p, text: texts.get(p.id)! }));
}
