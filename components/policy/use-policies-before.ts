"use client";

// The policy versions in force just before recent changes (GET /api/policies?at=<since − 1 ms>),
// compiled, so the Drops view can tell which drops a change caused: those the version before it
// would have allowed. An old version never changes: fetched once, compiled once.

import { useQueries } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { type CompiledPolicySet, compilePolicySet, policySetOf } from "@/lib/policy";
import type { ChangeImpact } from "@/lib/policy-changes";
import { api } from "@/lib/api/client";
import type { PoliciesResponse } from "@/lib/api/policies";

/** At most this many changes (the newest) are looked at. */
export const CHANGES_COMPARED = 3;

export function usePolicySetsBefore(changes: readonly ChangeImpact[]): ReadonlyMap<number, CompiledPolicySet> {
  const wanted = changes.slice(0, CHANGES_COMPARED);
  const results = useQueries({
    queries: wanted.map((c) => ({
      queryKey: ["policies-before", c.version],
      staleTime: Infinity,
      retry: false,
      queryFn: ({ signal }: { signal: AbortSignal }): Promise<PoliciesResponse> => api.policies(new Date(c.sinceMs - 1), signal),
    })),
  });
  const compiledByVersion = useRef(new Map<number, CompiledPolicySet>());
  const key = results.map((r, i) => (r.data ? `${wanted[i].version}:${r.data.version}` : "")).join(",");
  return useMemo(() => {
    const out = new Map<number, CompiledPolicySet>();
    results.forEach((r, i) => {
      const data = r.data;
      if (!data) return;
      const change = wanted[i].version;
      let compiled = compiledByVersion.current.get(change);
      if (!compiled) {
        compiled = compilePolicySet(policySetOf(data));
        compiledByVersion.current.set(change, compiled);
      }
      out.set(change, compiled);
    });
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- recomputed when a version arrives, not per render
  }, [key]);
}
