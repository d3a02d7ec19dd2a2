"use client";

// The policies in force, as `GET /api/policies` serves them, owned by React Query (refetched every
// 15 s; the server's `version` says when they changed). Compiled once per version.

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { compilePolicySet, type CompiledPolicySet } from "@/lib/policy";
import { policySetOf } from "@/lib/policy/types";
import { api } from "@/lib/api/client";
import type { PoliciesResponse } from "@/lib/api/policies";

export type { PoliciesResponse };

export const POLICIES_QUERY_KEY = ["policies"] as const;
export const POLICIES_REFETCH_MS = 15_000;

export interface LoadedPolicies {
  readonly state: "loading" | "error" | "ready";
  readonly error: string | undefined;
  readonly data: PoliciesResponse | undefined;
  /** Compiled for `data.version`; undefined until loaded, or when no policy source is configured. */
  readonly compiled: CompiledPolicySet | undefined;
  /** Changes whenever what the explainer answers may change: "<source>:<version>". */
  readonly version: string;
}

/**
 * The policies in force now, or — on an investigation page — the `fixed` set saved with it (then
 * nothing is fetched: the saved explanation must not change when today's policies do).
 */
export function usePolicies(fixed?: PoliciesResponse): LoadedPolicies {
  const q = useQuery({
    queryKey: POLICIES_QUERY_KEY,
    queryFn: ({ signal }) => api.policies(undefined, signal),
    refetchInterval: POLICIES_REFETCH_MS,
    enabled: fixed === undefined,
  });
  const data = fixed ?? q.data;
  const version = data ? `${data.source}:${data.version}` : "none";
  // React Query keeps the same data object while the answer is unchanged; the version is the key.
  const compiled = useMemo(
    () => (data && data.source !== "none" ? compilePolicySet(policySetOf(data)) : undefined),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one compile per version, not per refetch
    [version],
  );
  const state = data ? "ready" : q.isError ? "error" : "loading";
  const error = q.error ? q.error.message : undefined;
  // A stable object while nothing changed, so what depends on it does not recompute per render.
  return useMemo(() => ({ state, error, data, compiled, version }), [state, error, data, compiled, version]);
}
