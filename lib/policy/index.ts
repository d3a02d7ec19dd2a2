// The policy explainer: policy documents in, explanations of flows out. See README.md.
export * from "./types";
export * from "./settings";
export { parsePolicyDocuments, policyFromObject, SKIPPED_NOT_A_POLICY, type ParsedDocuments, type ParsedObject } from "./documents";
