// The policy explainer: policy documents in, explanations of flows out. See README.md.
export * from "./types";
export * from "./settings";
export { parsePolicyDocuments, policyFromObject, SKIPPED_NOT_A_POLICY, type ParsedDocuments, type ParsedObject } from "./documents";
export { compilePolicySet, type CompiledPolicySet } from "./compile";
export { explainFlow } from "./explain";
export { ExplainInputError } from "./flow";
export { isolatingPolicies } from "./isolating";
export { ruleLineRange } from "./ranges";
