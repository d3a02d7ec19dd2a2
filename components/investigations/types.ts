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
  /** "reference": its flows are read from the flow history (absent on servers from before). */
  readonly flowSource?: "copy" | "reference";
  /** A referenced investigation: what the flow history still holds of it. */
  readonly reference?: ReferenceAvailability;
}

/** GET /api/investigations/<id>'s `reference` (server/investigations/referenced.ts). */
export interface ReferenceAvailability {
  readonly since: string;
  readonly until: string;
  readonly savedCount: number;
  readonly remaining: number | null;
  readonly reachesBack: string | null;
  readonly complete: boolean;
  readonly message?: string;
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
