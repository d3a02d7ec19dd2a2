// What the browser says about its flow budget (lib/sse `sampling`): how many of the view's flows
// the table shows, in the user's words. Pure.

import type { SamplingAccount } from "./sse";

export interface SamplingSummary {
  /** Per second over the last account interval (or since the start, with one account). */
  readonly forwardedSeen: number;
  readonly forwardedSent: number;
  readonly prioritySeen: number;
  readonly prioritySent: number;
  /** "1 in N" for forwarded flows; 1 when all were sent. */
  readonly oneIn: number;
}

/** The difference between two accounts (previous may be absent: then since the start). */
export function samplingSummary(latest: SamplingAccount, previous: SamplingAccount | undefined): SamplingSummary {
  const d = (a: number, b: number | undefined) => Math.max(0, a - (b ?? 0));
  const forwardedSeen = d(latest.seen.forwarded, previous?.seen.forwarded);
  const forwardedSent = d(latest.sent.forwarded, previous?.sent.forwarded);
  return {
    forwardedSeen,
    forwardedSent,
    prioritySeen: d(latest.seen.priority, previous?.seen.priority),
    prioritySent: d(latest.sent.priority, previous?.sent.priority),
    oneIn: forwardedSent > 0 ? Math.max(1, Math.round(forwardedSeen / forwardedSent)) : forwardedSeen > 0 ? Infinity : 1,
  };
}

/**
 * The notice above the table when flows were left out; undefined when the table shows every flow.
 * `hubbleLost`: Hubble reported lost flows on the stream (lib/stream-gaps.ts), so the map and the
 * Drops view count every flow that arrived, not every flow.
 */
export function samplingNotice(latest: SamplingAccount, previous: SamplingAccount | undefined, hubbleLost = false): string | undefined {
  const s = samplingSummary(latest, previous);
  const parts: string[] = [];
  if (s.forwardedSent < s.forwardedSeen) {
    parts.push(
      s.forwardedSent === 0
        ? `showing none of ${fmt(s.forwardedSeen)} forwarded flows (drops and errors took the budget)`
        : s.oneIn < 2
          ? `showing ${fmt(s.forwardedSent)} of ${fmt(s.forwardedSeen)} forwarded flows`
          : `showing 1 in ${fmt(s.oneIn)} forwarded flows (${fmt(s.forwardedSent)} of ${fmt(s.forwardedSeen)})`,
    );
  }
  if (s.prioritySent < s.prioritySeen) parts.push(`${fmt(s.prioritySent)} of ${fmt(s.prioritySeen)} drops, audits and errors`);
  if (parts.length === 0) return undefined;
  const text = parts.join("; ");
  return `${text[0].toUpperCase()}${text.slice(1)} — the table gets ${fmt(latest.budget)} flows/s; the map and the Drops view count every flow${hubbleLost ? " that arrived" : ""}. Pause or narrow the filter to see all.`;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}
