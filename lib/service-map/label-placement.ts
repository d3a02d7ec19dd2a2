// Where edge labels go without covering each other or a node card. Greedy, in priority order
// (the selected and hovered edges first, then the busiest): each label tries its edge's middle,
// then spots shifted up and down; a label with no free spot is left out (its edge still shows it
// on hover or selection). `required` labels always get a spot (they keep shifting until free).
// Pure and deterministic.

import type { Rect } from "./layout";

export interface LabelRequest {
  readonly id: string;
  /** The label's preferred centre (the middle of its edge). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Placed before everything else and never left out (selected, hovered). */
  readonly required?: boolean;
  /** Higher first among the rest (say, flows). */
  readonly priority: number;
}

export interface PlacedLabel {
  readonly id: string;
  /** Centre. */
  readonly x: number;
  readonly y: number;
}

/** Shifts tried for an optional label, in multiples of its height (0 = where it wants to be). */
const OPTIONAL_SHIFTS = [0, -1.2, 1.2, -2.4, 2.4];
const REQUIRED_SHIFTS_MAX = 60;

export function placeEdgeLabels(requests: readonly LabelRequest[], obstacles: readonly Rect[] = []): PlacedLabel[] {
  const order = [...requests].sort((a, b) => Number(!!b.required) - Number(!!a.required) || b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const taken: Rect[] = [];
  const out: PlacedLabel[] = [];
  for (const r of order) {
    const shifts = r.required ? requiredShifts() : OPTIONAL_SHIFTS;
    // A required label only avoids other labels: it may cover a card (it is on top, and asked for).
    const blockers = r.required ? taken : [...taken, ...obstacles];
    for (const s of shifts) {
      const y = r.y + s * r.height;
      const rect = { x: r.x - r.width / 2, y: y - r.height / 2, width: r.width, height: r.height };
      if (blockers.some((b) => overlaps(rect, b))) continue;
      taken.push(rect);
      out.push({ id: r.id, x: r.x, y });
      break;
    }
  }
  return out;
}

function requiredShifts(): number[] {
  const out = [0];
  for (let i = 1; i <= REQUIRED_SHIFTS_MAX; i++) out.push(-1.1 * i, 1.1 * i);
  return out;
}

export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
