// `GET /api/policies[?at=<RFC 3339>]` and `POST /api/explain`. The shapes themselves belong to the
// policy explainer (lib/policy/types.ts), which the browser runs too; this names them as the API's.

import type { Explanation, PoliciesResponse } from "@/lib/policy/types";

export type { Explanation, PoliciesResponse };

/** `POST /api/explain`'s body. */
export interface ExplainRequest {
  /** A flow as `hubble observe -o json` prints it (or the `{"flow": …}` line around it). */
  readonly flow: unknown;
  /** Cluster settings to explain with instead of the source's (e.g. enable-policy). */
  readonly settings?: unknown;
  /** Explain against the policies in force at the flow's time (the default) or now. */
  readonly at?: "flow" | "now";
}

/** `POST /api/explain`'s answer: the Explanation, with the policy version (headers) it used. */
export interface ExplainResult {
  readonly explanation: Explanation;
  readonly version: string | null;
  readonly since: string | null;
}

/** The headers the version and its start come in. */
export const POLICY_VERSION_HEADER = "X-Hubble-Lens-Policy-Version";
export const POLICY_SINCE_HEADER = "X-Hubble-Lens-Policy-Since";
