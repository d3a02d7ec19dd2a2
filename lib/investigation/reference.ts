// What a referenced investigation's page says of its flows: read from the flow history, all of
// them, some (retention removed the others), more (recorded late), or none (history is off or
// could not be read). Opening one reads its flows from the store once: the server's description
// (FlowReferenceView: the window, the count saved, how far back history reaches) is known without
// reading them, and how many remain is the count of lines the browser received for them. Pure.

import type { FlowReferenceView } from "../api/investigations";
import type { SnapshotFlows } from "./snapshot";

/** How the browser's one read of an investigation's flows went. */
export type SavedFlowsRead =
  | { readonly state: "reading" }
  /** Every line the server sent (each one flow of the reference), counted before the view's query narrows them. */
  | { readonly state: "read"; readonly lines: number }
  /** An error answer, a broken connection or a body cut short: how many remain is not known. */
  | { readonly state: "failed" };

/** A whole answer's read: its lines counted; one cut short mid-line is not taken for a whole one. */
export function savedFlowsRead(snapshot: Pick<SnapshotFlows, "lines" | "cutShort">): SavedFlowsRead {
  return snapshot.cutShort ? { state: "failed" } : { state: "read", lines: snapshot.lines };
}

export type ReferenceAvailability =
  | { readonly state: "reading" }
  | { readonly state: "complete"; readonly remaining: number }
  /** `remaining` null: not known. */
  | { readonly state: "incomplete"; readonly remaining: number | null; readonly message: string };

const count = (n: number) => n.toLocaleString("en-US");

/**
 * What the page says of a reference's flows. Complete only when the read finished and found as
 * many as were saved; a failed read never claims anything but that it failed.
 */
export function referenceAvailability(ref: FlowReferenceView, read: SavedFlowsRead): ReferenceAvailability {
  if (ref.history === "off") {
    return {
      state: "incomplete",
      remaining: 0,
      message: `Flow history is off on this server: none of the ${count(ref.savedCount)} flows this investigation points at can be read.`,
    };
  }
  if (read.state === "reading") return read;
  if (read.state === "failed") {
    return {
      state: "incomplete",
      remaining: null,
      message: `The flow history could not be read just now, so it is not known how many of the ${count(ref.savedCount)} flows saved remain; reload to try again.`,
    };
  }
  const remaining = read.lines;
  if (remaining === ref.savedCount) return { state: "complete", remaining };
  // Retention removes whole blocks (SQLite) or days (ClickHouse) by their newest flow: history can
  // still reach back before the window while some of its flows are gone. The count decides.
  const why =
    remaining > ref.savedCount
      ? "the flow history now holds more flows of this window than when it was saved (flows recorded late)"
      : ref.history === "unknown"
        ? "retention has removed the others (how far back the flow history reaches could not be read just now)"
        : ref.reachesBack === null
          ? "retention has removed the others, and the flow history is empty now"
          : `retention has removed the others (the flow history now reaches back to ${ref.reachesBack}; this window starts ${ref.since})`;
  return { state: "incomplete", remaining, message: `${count(remaining)} of the ${count(ref.savedCount)} flows saved remain: ${why}.` };
}
