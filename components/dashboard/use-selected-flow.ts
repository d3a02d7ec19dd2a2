"use client";

import type { JsonObject } from "@bufbuild/protobuf";
import { useQuery } from "@tanstack/react-query";
import { parseJsonLines, flowToJsonObject } from "@/lib/flow-json";
import type { FlowQuery } from "@/lib/filter-model";
import { api } from "@/lib/api/client";

export type SelectedFlow =
  { readonly state: "none" } | { readonly state: "loading" } | { readonly state: "found"; readonly raw: JsonObject } | { readonly state: "gone"; readonly reason: string };

/**
 * The selected flow's Hubble JSON: from the flows in view, else fetched by uuid from the relay
 * within the view's time window (a shared link opened later), else why it cannot be shown.
 */
export function useSelectedFlow(
  id: string | undefined,
  inView: JsonObject | undefined,
  query: FlowQuery,
  /** An investigation page shows saved flows only: never ask the relay (`loading` while they load). */
  options: { readonly fromRelay: boolean; readonly loading?: boolean } = { fromRelay: true },
): SelectedFlow {
  const isUuid = !!id && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
  const fetched = useQuery({
    queryKey: ["flow-by-uuid", id, query.since ?? "", query.until ?? ""],
    enabled: !!id && !inView && isUuid && options.fromRelay,
    staleTime: Infinity,
    queryFn: async ({ signal }) => {
      const params = new URLSearchParams({ filter: `uuid=${id}`, follow: "false", limit: "1" });
      if (query.since) params.set("since", query.since);
      if (query.until) params.set("until", query.until);
      for (const line of parseJsonLines(await api.flowHistory(params, signal))) {
        if (line.ok && line.response.responseTypes.case === "flow") return flowToJsonObject(line.response.responseTypes.value);
      }
      return null;
    },
  });
  if (!id) return { state: "none" };
  if (inView) return { state: "found", raw: inView };
  if (!options.fromRelay) {
    if (options.loading) return { state: "loading" };
    return { state: "gone", reason: "This flow is not among the saved flows that match the current filters." };
  }
  if (!isUuid) return { state: "gone", reason: "This flow has no uuid (Cilium before 1.14), so it can only be shown while it is in view." };
  if (fetched.isPending) return { state: "loading" };
  if (fetched.isError) return { state: "gone", reason: `The relay could not be asked for this flow: ${fetched.error.message}` };
  if (!fetched.data) {
    return {
      state: "gone",
      reason:
        "The relay no longer holds this flow (its buffers have rotated since the link was made), nor does the flow history (it does not reach back that far, or is off). The rest of the view is restored.",
    };
  }
  return { state: "found", raw: fetched.data };
}
