import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import { buildAddressMatchers, buildEncryptedMatcher, buildIPVersionMatcher } from "./address";
import { buildClusterNameMatchers, buildIdentityMatchers, buildWorkloadMatchers } from "./endpoint";
import { FilterBuildError } from "./errors";
import {
  buildDropReasonMatcher,
  buildEventTypeMatcher,
  buildInterfaceMatcher,
  buildIPTraceIDMatcher,
  buildReplyMatcher,
  buildTraceIDMatcher,
  buildTrafficDirectionMatcher,
  buildUUIDMatcher,
  buildVerdictMatcher,
} from "./event";
import { buildHTTPMatchers } from "./http";
import { buildPortMatchers, buildProtocolMatcher, buildTCPFlagsMatcher } from "./l4";
import { buildLabelMatchers } from "./labels";
import { buildFQDNMatchers, buildNodeNameMatcher } from "./names";
import { buildPodMatchers, buildServiceMatchers } from "./pod";
import { isSet, type FieldMatcher, type FlowPredicate } from "./types";

/**
 * Builders in Hubble's DefaultFilters order, so that a FlowFilter with several
 * mistakes reports the same first error as Hubble, and cheap equality checks run
 * before regexes and selectors.
 */
const builders: ReadonlyArray<(f: FlowFilter, out: FieldMatcher[]) => void> = [
  buildUUIDMatcher,
  buildEventTypeMatcher,
  buildVerdictMatcher,
  buildDropReasonMatcher,
  buildReplyMatcher,
  buildEncryptedMatcher,
  buildIdentityMatchers,
  buildProtocolMatcher,
  buildAddressMatchers,
  buildPodMatchers,
  buildWorkloadMatchers,
  buildServiceMatchers,
  buildFQDNMatchers,
  buildLabelMatchers,
  buildPortMatchers,
  buildHTTPMatchers,
  buildTCPFlagsMatcher,
  buildNodeNameMatcher,
  buildClusterNameMatchers,
  buildIPVersionMatcher,
  buildTraceIDMatcher,
  buildTrafficDirectionMatcher,
  rejectCEL,
  buildInterfaceMatcher,
  buildIPTraceIDMatcher,
];

function rejectCEL(f: FlowFilter): void {
  if (isSet(f.experimental?.celExpression)) {
    throw new FilterBuildError("CEL expressions are not supported by Hubble Lens");
  }
}

const matchAll: FlowPredicate = () => true;

/** Compiles one FlowFilter: every set field must match (AND). An empty filter matches everything. */
export function compileFlowFilter(f: FlowFilter): FlowPredicate {
  const matchers: FieldMatcher[] = [];
  for (const build of builders) build(f, matchers);
  switch (matchers.length) {
    case 0:
      return matchAll;
    case 1:
      return matchers[0];
    case 2: {
      const [a, b] = matchers;
      return (flow) => a(flow) && b(flow);
    }
    default:
      return (flow) => {
        for (let i = 0; i < matchers.length; i++) if (!matchers[i](flow)) return false;
        return true;
      };
  }
}

/**
 * Hubble's Apply: the flow passes when it matches at least one whitelist filter
 * (or the whitelist is empty) and no blacklist filter.
 */
export function compileFlowFilters(whitelist: readonly FlowFilter[], blacklist: readonly FlowFilter[]): FlowPredicate {
  const allow = whitelist.map(compileFlowFilter);
  const deny = blacklist.map(compileFlowFilter);
  if (allow.length === 0 && deny.length === 0) return matchAll;
  return (flow) => {
    if (allow.length > 0) {
      let allowed = false;
      for (let i = 0; i < allow.length; i++) {
        if (allow[i](flow)) {
          allowed = true;
          break;
        }
      }
      if (!allowed) return false;
    }
    for (let i = 0; i < deny.length; i++) if (deny[i](flow)) return false;
    return true;
  };
}
