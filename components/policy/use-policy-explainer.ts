"use client";

// The one policy explainer of the page: the drawer, the table's policy column, the Drops view
// and the map all ask this object, so they show the same answer. Explanations run in the browser
// (lib/policy `explainFlow`, pure and fast), memoised per flow id for the current policy version,
// and only for flows someone looks at: drops and audits for the table, the Drops view and the
// map; allowed flows when the drawer asks.

import type { JsonObject } from "@bufbuild/protobuf";
import { useMemo, useRef } from "react";
import { attributeDrop, type DropAttribution, ExplanationCache } from "@/lib/drops";
import type { FlowRow } from "@/lib/flow-model";
import { explainFlow, isolatingPolicies } from "@/lib/policy";
import { type Direction, type Explanation, type IsolatingPolicy, type PolicyId, type PolicyObject, policyKey } from "@/lib/policy/types";
import type { NodeEndpoint } from "@/lib/service-map/policy-annotations";
import { type LoadedPolicies, type PoliciesResponse, usePolicies } from "./use-policies";

export interface PolicyExplainer {
  readonly policies: LoadedPolicies;
  /** Changes when answers may change (policy version, policies loaded or not). */
  readonly version: string;
  /** True when explanations can be computed (policies loaded from a source). */
  readonly ready: boolean;
  /** The explanation of a flow in the live buffer (memoised), or of `raw` when given. */
  explain(id: string, raw?: JsonObject): Explanation | undefined;
  /** The policies a drop is charged to (memoised per row). */
  attribution(row: FlowRow): DropAttribution;
  /** Policy ids only, for the map. */
  attributedPolicies(row: FlowRow): readonly PolicyId[];
  /** The policies isolating an endpoint in a direction; [] when none or not loaded. */
  isolating(endpoint: NodeEndpoint, direction: Direction): readonly IsolatingPolicy[];
  /** The loaded policy object (with its YAML). */
  policy(id: PolicyId): PolicyObject | undefined;
}

/** `raw`: the flow buffer's raw JSON by row id (the same Map for the life of a stream). */
export function usePolicyExplainer(raw: ReadonlyMap<string, JsonObject>, fixed?: PoliciesResponse): PolicyExplainer {
  const policies = usePolicies(fixed);
  const rawRef = useRef(raw);
  rawRef.current = raw;
  const { compiled, version, data } = policies;

  // Keyed on the policy list alone: a refetch that only changes the source's status keeps caches.
  const list = data?.policies;
  const byKey = useMemo(() => new Map((list ?? []).map((p) => [policyKey(p), p] as const)), [list]);
  const core = useMemo(() => {
    const run = (flow: JsonObject) => (compiled ? explainFlow(flow, compiled) : undefined);
    const cache = new ExplanationCache((id) => {
      const flow = rawRef.current.get(id);
      return flow ? run(flow) : undefined;
    });
    const attributions = new WeakMap<FlowRow, DropAttribution>();
    const isolatingCache = new Map<string, readonly IsolatingPolicy[]>();
    return {
      version,
      ready: compiled !== undefined,
      explain(id: string, flow?: JsonObject): Explanation | undefined {
        if (!compiled) return undefined;
        if (rawRef.current.has(id) || !flow) return cache.get(id);
        try {
          return run(flow);
        } catch {
          return undefined;
        }
      },
      attribution(row: FlowRow): DropAttribution {
        let a = attributions.get(row);
        if (!a) {
          a = attributeDrop(row, compiled ? cache.get(row.id) : undefined);
          // Not remembered while the flow's JSON is missing: it may arrive with the next batch.
          if (!compiled || cache.has(row.id)) attributions.set(row, a);
        }
        return a;
      },
      isolating(endpoint: NodeEndpoint, direction: Direction): readonly IsolatingPolicy[] {
        if (!compiled) return [];
        const key = `${direction}\u0000${endpoint.namespace}\u0000${endpoint.labels.join("\u0001")}`;
        const hit = isolatingCache.get(key);
        if (hit) return hit;
        let found: readonly IsolatingPolicy[];
        try {
          found = isolatingPolicies({ labels: endpoint.labels, namespace: endpoint.namespace || undefined }, direction, compiled);
        } catch {
          found = [];
        }
        if (isolatingCache.size > 5000) isolatingCache.clear();
        isolatingCache.set(key, found);
        return found;
      },
      policy(id: PolicyId): PolicyObject | undefined {
        return byKey.get(policyKey(id));
      },
    };
  }, [compiled, version, byKey]);

  return useMemo(() => ({ ...core, policies, attributedPolicies: (row: FlowRow) => core.attribution(row).policies }), [core, policies]);
}
