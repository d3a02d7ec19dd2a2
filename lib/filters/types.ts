import type { Flow } from "@/proto/gen/flow/flow_pb";

/** A compiled filter: true when the flow passes. Pure, synchronous, allocation-light. */
export type FlowPredicate = (flow: Flow) => boolean;

/** Shared by every builder: the predicate that a FlowFilter field compiles to. */
export type FieldMatcher = FlowPredicate;

/** Go treats a nil and an empty repeated field alike: an empty list is "not set". */
export function isSet<T>(values: readonly T[] | undefined | null): values is readonly T[] {
  return values != null && values.length > 0;
}

/** Go's %q for a string, close enough for error messages. */
export function quote(s: string): string {
  return JSON.stringify(s);
}
