// What the map says about an edge's transport security: whether its packets were seen encrypted
// between nodes (`IP.encrypted`: WireGuard or IPsec transparent encryption; only packets that
// cross nodes are encrypted, so a share below 100 % is normal) and whether its connections were
// mutually authenticated (`auth_type` SPIRE on the policy verdict of a rule with
// `authentication.mode: required`, not dropped). Counts come from the aggregation (types.ts).

import type { ServiceMapEdge } from "./types";
import { formatShare } from "./edge-health";

export type SecurityInput = Pick<ServiceMapEdge, "flows" | "encrypted" | "authenticated">;

export interface EdgeSecurity {
  /** Some of the edge's flows were seen encrypted between nodes. */
  readonly encrypted: boolean;
  /** Share of the edge's flows seen encrypted (0–1). */
  readonly encryptedShare: number;
  /** Some of the edge's connections passed mutual authentication. */
  readonly authenticated: boolean;
}

export function edgeSecurity(edge: SecurityInput): EdgeSecurity {
  return {
    encrypted: edge.encrypted > 0,
    encryptedShare: edge.flows > 0 ? Math.min(1, edge.encrypted / edge.flows) : 0,
    authenticated: edge.authenticated > 0,
  };
}

/** "encrypted between nodes (WireGuard or IPsec): 120 of 400 flows (30%)". */
export function encryptedText(edge: SecurityInput): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return `encrypted between nodes (WireGuard or IPsec): ${n(edge.encrypted)} of ${n(edge.flows)} flows (${formatShare(edgeSecurity(edge).encryptedShare)})`;
}

/** "mutually authenticated (SPIRE): 12 policy verdicts required and passed it". */
export function authenticatedText(edge: SecurityInput): string {
  const n = edge.authenticated;
  return `mutually authenticated (SPIRE): ${n.toLocaleString("en-US")} policy verdict${n === 1 ? "" : "s"} required and passed it`;
}

/** Both, for the edge's accessible name; "" when neither applies. */
export function edgeSecurityText(edge: SecurityInput): string {
  const s = edgeSecurity(edge);
  return [s.encrypted ? encryptedText(edge) : "", s.authenticated ? authenticatedText(edge) : ""].filter(Boolean).join("; ");
}
