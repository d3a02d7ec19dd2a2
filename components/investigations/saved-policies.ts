import type { PoliciesResponse } from "@/components/policy/use-policies";
import type { InvestigationView } from "@/lib/api/investigations";

/** The saved policies in the form the page's policy explainer takes (`usePolicyExplainer`'s fixed set). */
export function savedPolicies(investigation: InvestigationView): PoliciesResponse {
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
