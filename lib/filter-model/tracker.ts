// Builds GetFlowsRequest whitelist/blacklist from a FlowQuery exactly the way `hubble observe`
// builds them from the equivalent flags (cilium/cilium hubble/cmd/observe/flows_filter.go,
// `filterTracker`):
//
// * Positive entries (plus `namespaces` and `verdicts`) go to one tracker, `!` entries to another:
//   every `--not` flag of the CLI lands in the same blacklist tracker, so negated entries of
//   different kinds are AND'ed ("exclude flows that match all of them"); values of one kind OR.
// * A tracker holds a left and a right FlowFilter. Direction-agnostic entries (`pod=x`) put the
//   source field on the left and the destination field on the right; `from:`/`to:` entries and
//   kinds without a direction go into both. Left and right are OR'ed by Hubble; when they end up
//   equal only one is sent.
// * Namespaces are applied last: `namespace=` on the left's source and the right's destination,
//   `from:namespace=` / `to:namespace=` on both. Bare pod/service names get the namespace
//   prefixed; a side with no pod or service gets `ns/`; names that have a namespace are kept.
import { create, equals } from "@bufbuild/protobuf";
import { FlowFilterSchema, type FlowFilter } from "../../proto/gen/flow/flow_pb";
import { KIND_SPECS, type Direction, type FilterKind, type ListField } from "./kinds";
import type { FlowQuery } from "./query";

export interface HubbleFilters {
  whitelist: FlowFilter[];
  blacklist: FlowFilter[];
}

type ListOf = Record<ListField, unknown[]>;
export const listField = (f: FlowFilter, field: ListField) => (f as unknown as ListOf)[field];
const list = listField;

export class FilterTracker {
  left: FlowFilter | undefined;
  right: FlowFilter | undefined;
  ns: string[] = [];
  srcNs: string[] = [];
  dstNs: string[] = [];

  private side(which: "left" | "right"): FlowFilter {
    return (this[which] ??= create(FlowFilterSchema));
  }

  add(kind: FilterKind, direction: Direction, value: string): void {
    const spec = KIND_SPECS[kind];
    if (kind === "namespace") {
      (direction === "from" ? this.srcNs : direction === "to" ? this.dstNs : this.ns).push(value);
      return;
    }
    // A fresh element per side: message values must not be shared between the two filters.
    if (!spec.directional) {
      for (const s of ["left", "right"] as const) list(this.side(s), spec.field!).push(spec.toProto(value));
    } else if (direction === "either") {
      list(this.side("left"), spec.sourceField!).push(spec.toProto(value));
      list(this.side("right"), spec.destinationField!).push(spec.toProto(value));
    } else {
      const field = direction === "from" ? spec.sourceField! : spec.destinationField!;
      for (const s of ["left", "right"] as const) list(this.side(s), field).push(spec.toProto(value));
    }
  }

  flowFilters(): FlowFilter[] {
    if (!this.left && !this.right && this.ns.length === 0 && this.srcNs.length === 0 && this.dstNs.length === 0) return [];
    const left = this.side("left");
    const right = this.side("right");
    if (this.dstNs.length > 0) {
      applyNamespaces(left, "destination", this.dstNs);
      applyNamespaces(right, "destination", this.dstNs);
    }
    if (this.srcNs.length > 0) {
      applyNamespaces(left, "source", this.srcNs);
      applyNamespaces(right, "source", this.srcNs);
    }
    if (this.ns.length > 0) {
      applyNamespaces(left, "source", this.ns);
      applyNamespaces(right, "destination", this.ns);
    }
    return equals(FlowFilterSchema, left, right) ? [left] : [left, right];
  }
}

function applyNamespaces(f: FlowFilter, side: "source" | "destination", namespaces: string[]): void {
  const podField = side === "source" ? "sourcePod" : "destinationPod";
  const svcField = side === "source" ? "sourceService" : "destinationService";
  if (f[podField].length === 0 && f[svcField].length === 0) f[podField] = [""];
  f[podField] = prefixNamespaces(f[podField], namespaces);
  f[svcField] = prefixNamespaces(f[svcField], namespaces);
}

function prefixNamespaces(names: string[], namespaces: string[]): string[] {
  if (namespaces.length === 0 || names.length === 0) return names;
  return names.flatMap((n) => (n.includes("/") ? [n] : namespaces.map((ns) => `${ns}/${n}`)));
}

export function buildTrackers(q: FlowQuery): { white: FilterTracker; black: FilterTracker } {
  const white = new FilterTracker();
  const black = new FilterTracker();
  for (const ns of q.namespaces) white.add("namespace", "either", ns);
  for (const v of q.verdicts) white.add("verdict", "either", v);
  for (const e of q.filters) (e.negated ? black : white).add(e.kind, e.direction, e.value);
  return { white, black };
}

/** Builds whitelist and blacklist without validating (see validateFlowQuery). */
export function buildHubbleFilters(q: FlowQuery): HubbleFilters {
  const { white, black } = buildTrackers(q);
  return { whitelist: white.flowFilters(), blacklist: black.flowFilters() };
}

export type NamespaceScope = "namespace" | "from:namespace" | "to:namespace";

/**
 * The namespace selections of a tracker that some built filter escapes.
 *
 * The CLI applies a namespace by prefixing bare pod/service names or by adding `ns/` to a side that
 * has none; a side that already names a pod or service in another namespace keeps it, and the
 * namespace condition silently vanishes from that filter. A filter stays inside `namespace=` if
 * its source or its destination is pinned to those namespaces (all its pods, or all its services,
 * name one of them); inside `from:namespace=` if its source is; inside `to:namespace=` if its
 * destination is.
 */
export function escapedNamespaceScopes(tracker: FilterTracker, filters: FlowFilter[]): { scope: NamespaceScope; namespaces: string[] }[] {
  const within = (names: string[], set: string[]) => names.length > 0 && names.every((n) => n.includes("/") && set.includes(n.slice(0, n.indexOf("/"))));
  const pinned = (f: FlowFilter, side: "source" | "destination", set: string[]) =>
    side === "source" ? within(f.sourcePod, set) || within(f.sourceService, set) : within(f.destinationPod, set) || within(f.destinationService, set);
  const out: { scope: NamespaceScope; namespaces: string[] }[] = [];
  if (tracker.ns.length > 0 && !filters.every((f) => pinned(f, "source", tracker.ns) || pinned(f, "destination", tracker.ns))) {
    out.push({ scope: "namespace", namespaces: tracker.ns });
  }
  if (tracker.srcNs.length > 0 && !filters.every((f) => pinned(f, "source", tracker.srcNs))) {
    out.push({ scope: "from:namespace", namespaces: tracker.srcNs });
  }
  if (tracker.dstNs.length > 0 && !filters.every((f) => pinned(f, "destination", tracker.dstNs))) {
    out.push({ scope: "to:namespace", namespaces: tracker.dstNs });
  }
  return out;
}
