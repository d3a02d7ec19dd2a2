import type { PoliciesResponse } from "@/components/policy/use-policies";
import type { PolicySet } from "@/lib/policy/types";

/** GET /api/investigations/<id>: everything but the flows. */
export interface InvestigationMeta {
  readonly id: string;
  readonly title: string;
  readonly note: string;
  readonly view: string;
  readonly selectedFlow: string | null;
  readonly createdAt: string;
  readonly flowCount: number;
  readonly policies: PolicySet & { readonly version: number; readonly since: string };
  /** Who saved it. */
  readonly owner?: string;
  /** The person looking is its owner: they may delete it. */
  readonly canDelete?: boolean;
}

/** The saved policies in the form the page's policy explainer takes (`usePolicyExplainer`'s fixed set). */
export function savedPolicies(investigation: InvestigationMeta): PoliciesResponse {
  const p = investigation.policies;
  return {
    source: "investigation",
    status: { state: "ready", message: null },
    version: p.version,
    since: p.since,
    policies: p.policies,
    namespaceLabels: p.namespaceLabels,
    settings: p.settings,
    workloadPorts: p.workloadPorts,
    problems: [],
    history: [],
  };
}
