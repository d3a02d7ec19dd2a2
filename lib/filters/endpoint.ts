import type { Endpoint, Flow, FlowFilter, Workload } from "@/proto/gen/flow/flow_pb";
import { FilterBuildError } from "./errors";
import { isSet, type FieldMatcher } from "./types";

type EndpointGetter = (flow: Flow) => Endpoint | undefined;
const source: EndpointGetter = (flow) => flow.source;
const destination: EndpointGetter = (flow) => flow.destination;

/** Identity equality; a flow without that endpoint never matches (identity 0 needs an endpoint). */
function identityMatcher(identities: readonly number[], get: EndpointGetter): FieldMatcher {
  const wanted = new Set(identities);
  return (flow) => {
    const ep = get(flow);
    return ep !== undefined && wanted.has(ep.identity);
  };
}

export function buildIdentityMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourceIdentity)) out.push(identityMatcher(f.sourceIdentity, source));
  if (isSet(f.destinationIdentity)) out.push(identityMatcher(f.destinationIdentity, destination));
}

/** An empty name or kind in a filter entry is a wildcard; any of the endpoint's workloads may match. */
function workloadMatcher(entries: readonly Workload[], get: EndpointGetter): FieldMatcher {
  const names = entries.map((w) => w.name);
  const kinds = entries.map((w) => w.kind);
  return (flow) => {
    const workloads = get(flow)?.workloads;
    if (!workloads) return false;
    for (let i = 0; i < workloads.length; i++) {
      const w = workloads[i];
      for (let j = 0; j < names.length; j++) {
        if ((names[j] === "" || names[j] === w.name) && (kinds[j] === "" || kinds[j] === w.kind)) return true;
      }
    }
    return false;
  };
}

export function buildWorkloadMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourceWorkload)) out.push(workloadMatcher(f.sourceWorkload, source));
  if (isSet(f.destinationWorkload)) out.push(workloadMatcher(f.destinationWorkload, destination));
}

function clusterNameMatcher(names: readonly string[], get: EndpointGetter): FieldMatcher {
  if (names.includes("")) throw new FilterBuildError("invalid filter, name must not be empty");
  const wanted = new Set(names);
  return (flow) => wanted.has(get(flow)?.clusterName ?? "");
}

export function buildClusterNameMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourceClusterName)) out.push(clusterNameMatcher(f.sourceClusterName, source));
  if (isSet(f.destinationClusterName)) out.push(clusterNameMatcher(f.destinationClusterName, destination));
}
