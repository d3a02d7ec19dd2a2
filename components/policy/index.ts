// The policy-drop investigation in the UI: one explainer for the page (usePolicyExplainer), the
// drawer's policy panel, the Drops view and its toggle, and the `policy=` row filter.
export { DropsToggle } from "./drops-toggle";
export { DropsView } from "./drops-view";
export { PolicyPanel } from "./policy-panel";
export { NO_POLICIES_TEXT, PolicyStatus } from "./policy-status";
export { usePolicyCell, usePolicyFilteredRows } from "./use-policy-filter";
export { type PolicyExplainer, usePolicyExplainer } from "./use-policy-explainer";
export { type LoadedPolicies, type PoliciesResponse, usePolicies } from "./use-policies";
