// Public surface of the filter model; see README.md in this folder.
export {
  FILTER_KINDS,
  KIND_ALIASES,
  KIND_SPECS,
  VERDICT_NAMES,
  EVENT_TYPE_NAMES,
  TRACE_POINT_NAMES,
  RESERVED_IDENTITIES,
  type Direction,
  type FilterKind,
  type KindSpec,
  type VerdictName,
} from "./kinds";
export { FilterSyntaxError, formatFilterEntry, parseFilterEntry, checkFilterEntry, sameFilterEntry, type FilterEntry } from "./entry";
export { emptyFlowQuery, isEmptyFlowQuery, validateFlowQuery, type FlowQuery, type QueryIssue, type QueryParam } from "./query";
export { FLOW_QUERY_PARAMS, flowQueryToParams, mergeFlowQueryIntoParams, parseFlowQueryParams, type FlowQueryParseResult } from "./url";
export { canonicalFiltersJson, fromHubbleFilters, InvalidFlowQueryError, toHubbleFilters, type FromHubbleResult, type HubbleFilters } from "./hubble-filters";
export {
  analyzeHubbleObserveCommand,
  cliConflicts,
  cliFlagOf,
  HubbleCommandError,
  parseHubbleObserveCommand,
  toHubbleObserveArgs,
  toHubbleObserveCommand,
  type ObserveCommandAnalysis,
  type ObserveCommandOptions,
} from "./cli";
export { quoteShellWord, splitShellWords } from "./shell";
