// The flow table's columns: what each shows (precomputed text from lib/flow-details/display), how
// wide it is, and which are shown by default. The user's choice persists in localStorage.
import type { FlowDisplay } from "@/lib/flow-details/display";

export const COLUMN_IDS = ["time", "source", "destination", "port", "l7", "verdict", "dropReason", "policy", "direction", "node", "eventType"] as const;
export type ColumnId = (typeof COLUMN_IDS)[number];

export interface ColumnDef {
  readonly id: ColumnId;
  readonly header: string;
  /** A CSS grid track. */
  readonly width: string;
  /** Its minimum width in rem: the table scrolls sideways below the sum. */
  readonly minRem: number;
  readonly text: (d: FlowDisplay) => string;
  readonly title?: (d: FlowDisplay) => string;
}

const fixed = (rem: number) => ({ width: `${rem}rem`, minRem: rem });
const flex = (rem: number, fr: number) => ({ width: `minmax(${rem}rem, ${fr}fr)`, minRem: rem });

export const COLUMNS: Readonly<Record<ColumnId, ColumnDef>> = {
  time: { id: "time", header: "Time (UTC)", ...fixed(6.5), text: (d) => d.time, title: (d) => d.timeTitle },
  source: { id: "source", header: "Source", ...flex(8, 1.3), text: (d) => d.source, title: (d) => d.sourceTitle },
  destination: { id: "destination", header: "Destination", ...flex(8, 1.3), text: (d) => d.destination, title: (d) => d.destinationTitle },
  port: { id: "port", header: "Port", ...fixed(5.5), text: (d) => d.port, title: (d) => d.portTitle },
  l7: { id: "l7", header: "L7", ...flex(8, 1.5), text: (d) => d.l7, title: (d) => d.l7Title },
  verdict: { id: "verdict", header: "Verdict", ...fixed(7), text: (d) => d.verdict },
  dropReason: { id: "dropReason", header: "Drop reason", ...flex(7, 0.8), text: (d) => d.dropReason },
  policy: { id: "policy", header: "Policy", ...flex(5.5, 0.9), text: (d) => d.policyNames, title: (d) => d.policyTitle },
  direction: { id: "direction", header: "Direction", ...fixed(5), text: (d) => d.direction },
  node: { id: "node", header: "Node", ...flex(5.5, 0.7), text: (d) => d.node },
  eventType: { id: "eventType", header: "Event", ...fixed(9.5), text: (d) => d.eventType, title: (d) => d.eventTypeTitle },
};

export const DEFAULT_COLUMNS: readonly ColumnId[] = COLUMN_IDS.filter((id) => id !== "node");

export const COLUMNS_STORAGE_KEY = "hubble-lens:flow-table:columns:v1";

/** The stored choice, or the default when nothing (valid) is stored. Order is always the table's. */
export function readColumnChoice(stored: string | null): readonly ColumnId[] {
  if (!stored) return DEFAULT_COLUMNS;
  try {
    const parsed: unknown = JSON.parse(stored);
    if (!Array.isArray(parsed)) return DEFAULT_COLUMNS;
    const chosen = COLUMN_IDS.filter((id) => parsed.includes(id));
    return chosen.length > 0 ? chosen : DEFAULT_COLUMNS;
  } catch {
    return DEFAULT_COLUMNS;
  }
}
