/**
 * Hubble's FlowFilter matching (cilium pkg/hubble/filters, v1.19 semantics):
 * the one implementation every part of Hubble Lens uses to decide whether a flow
 * passes a GetFlows whitelist/blacklist. See README.md for the semantics.
 */
export { compileFlowFilter, compileFlowFilters } from "./compile";
export { FilterBuildError } from "./errors";
export type { FlowPredicate } from "./types";
