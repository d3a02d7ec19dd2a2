// What an edge's colour says: the share of its flows that were dropped and the share of its HTTP
// responses that were 5xx — not merely which verdicts are present. One drop among thousands of
// forwarded flows is a small mark on a healthy edge; "mostly dropped" means more than half. Pure.

import type { ServiceMapEdge } from "./types";

/**
 * How an edge is drawn, most severe first:
 * - `dropped`: more than half of its flows dropped.
 * - `partly-dropped`: at least `NOTABLE_SHARE` of its flows dropped (not most).
 * - `http-errors`: at least `NOTABLE_SHARE` of its HTTP responses are 5xx.
 * - `error`: more than half of its flows ended in a datapath error verdict.
 * - `audit`: more than half of its flows were policy-audited (would have been dropped).
 * - `healthy`: everything else (forwarded, redirected, or only a trace of drops and errors).
 */
export type EdgeHealthClass = "dropped" | "partly-dropped" | "http-errors" | "error" | "audit" | "healthy";

/** Below this share, drops, 5xx, errors and audits are a small mark on the edge, not its colour. */
export const NOTABLE_SHARE = 0.05;
/** Above this share a verdict is what the edge "mostly" is. */
export const MOST_SHARE = 0.5;

export interface EdgeHealth {
  readonly kind: EdgeHealthClass;
  /** Dropped flows / flows (0 without flows). */
  readonly droppedShare: number;
  /** 5xx responses / HTTP responses; undefined without responses. */
  readonly httpErrorShare: number | undefined;
  readonly errorShare: number;
  readonly auditShare: number;
  /** Some drops, but too few to colour the edge (a small red mark). */
  readonly minorDrops: boolean;
  /** Some 5xx, but too few to colour the edge, or the edge is coloured for drops (a small orange mark). */
  readonly minorHttpErrors: boolean;
}

type HealthInput = Pick<ServiceMapEdge, "flows" | "verdicts" | "http">;

export function edgeHealth(edge: HealthInput): EdgeHealth {
  const flows = edge.flows;
  const share = (n: number) => (flows > 0 ? n / flows : 0);
  const droppedShare = share(edge.verdicts.dropped);
  const errorShare = share(edge.verdicts.error);
  const auditShare = share(edge.verdicts.audit);
  const h = edge.http;
  const httpErrorShare = h && h.responses > 0 ? h.status5xx / h.responses : undefined;
  const http = httpErrorShare ?? 0;
  const kind: EdgeHealthClass =
    droppedShare > MOST_SHARE
      ? "dropped"
      : droppedShare >= NOTABLE_SHARE
        ? "partly-dropped"
        : http >= NOTABLE_SHARE
          ? "http-errors"
          : errorShare > MOST_SHARE
            ? "error"
            : auditShare > MOST_SHARE
              ? "audit"
              : "healthy";
  return {
    kind,
    droppedShare,
    httpErrorShare,
    errorShare,
    auditShare,
    minorDrops: edge.verdicts.dropped > 0 && droppedShare < NOTABLE_SHARE,
    minorHttpErrors: (h?.status5xx ?? 0) > 0 && kind !== "http-errors",
  };
}

/** A share as people read it: "0%", "<0.1%", "2.5%", "37%", "100%". */
export function formatShare(share: number): string {
  const p = share * 100;
  if (p === 0) return "0%";
  if (p < 0.1) return "<0.1%";
  if (p < 10) return `${p.toFixed(1)}%`;
  if (p > 99 && p < 100) return "99%";
  return `${Math.round(p)}%`;
}

/**
 * The edge's health in words with numbers, for its accessible name:
 * "mostly dropped: 812 of 1,000 flows dropped (81%), 3.0% HTTP 5xx (6 of 200 responses)".
 */
export function edgeHealthText(edge: HealthInput, health: EdgeHealth = edgeHealth(edge)): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const lead: Record<EdgeHealthClass, string> = {
    dropped: "mostly dropped",
    "partly-dropped": "partly dropped",
    "http-errors": "HTTP errors",
    error: "mostly errors",
    audit: "mostly audited",
    healthy: "healthy",
  };
  const parts = [`${n(edge.verdicts.dropped)} of ${n(edge.flows)} flows dropped (${formatShare(health.droppedShare)})`];
  const h = edge.http;
  if (h && h.responses > 0) parts.push(`${formatShare(health.httpErrorShare!)} HTTP 5xx (${n(h.status5xx)} of ${n(h.responses)} responses)`);
  if (edge.verdicts.error > 0) parts.push(`${n(edge.verdicts.error)} errors (${formatShare(health.errorShare)})`);
  if (edge.verdicts.audit > 0) parts.push(`${n(edge.verdicts.audit)} audited (${formatShare(health.auditShare)})`);
  return `${lead[health.kind]}: ${parts.join(", ")}`;
}
