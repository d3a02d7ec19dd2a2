// The catalogue of filter kinds: one row per kind says which hubble CLI flag it stands for,
// which FlowFilter field(s) it fills, how its value is checked and normalised, and how a field
// value is read back. Everything else in this module is driven by this table.
//
// The table's rows are in kinds-endpoint.ts, kinds-traffic.ts and kinds-event.ts; what a row is in
// kind-spec.ts; the values the kinds accept in kind-values.ts. This module joins them.
import type { FilterKind, KindSpec } from "./kind-spec";
import { ENDPOINT_KINDS } from "./kinds-endpoint";
import { EVENT_KINDS } from "./kinds-event";
import { TRAFFIC_KINDS } from "./kinds-traffic";

export { FILTER_KINDS, KIND_ALIASES, ValueError, isFilterKind, type Direction, type FilterKind, type KindSpec, type ListField } from "./kind-spec";
export { EVENT_TYPE_NAMES, RESERVED_IDENTITIES, TRACE_POINT_NAMES, VERDICT_NAMES, checkNamespaceName, type VerdictName } from "./kind-values";

export const KIND_SPECS: Readonly<Record<FilterKind, KindSpec>> = { ...ENDPOINT_KINDS, ...TRAFFIC_KINDS, ...EVENT_KINDS };
