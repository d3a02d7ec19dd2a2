import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import { compileFQDNPatterns, compileNodeNamePatterns } from "./patterns";
import { compileRE2 } from "./regex";
import { isSet, type FieldMatcher } from "./types";

/** Hubble's name for the cluster a bare node name belongs to. */
const DEFAULT_CLUSTER = "default";

function fqdnMatcher(patterns: readonly string[], source: boolean): FieldMatcher {
  const re = compileFQDNPatterns(patterns);
  return (flow) => {
    const names = source ? flow.sourceNames : flow.destinationNames;
    if (!names) return false;
    for (let i = 0; i < names.length; i++) {
      if (re.test(names[i])) return true;
    }
    return false;
  };
}

export function buildFQDNMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourceFqdn)) out.push(fqdnMatcher(f.sourceFqdn, true));
  if (isSet(f.destinationFqdn)) out.push(fqdnMatcher(f.destinationFqdn, false));
  if (isSet(f.dnsQuery)) {
    const queries = f.dnsQuery.map((p) => compileRE2(p, (msg) => `invalid DNS query filter: failed to compile regexp: ${msg}`));
    out.push((flow) => {
      const record = flow.l7?.record;
      if (record?.case !== "dns") return false;
      const query = record.value.query;
      for (let i = 0; i < queries.length; i++) {
        if (queries[i].test(query)) return true;
      }
      return false;
    });
  }
}

/** Node names without a cluster ("kind-worker") are matched as "default/kind-worker". */
export function buildNodeNameMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.nodeName)) return;
  const re = compileNodeNamePatterns(f.nodeName);
  out.push((flow) => {
    const name = flow.nodeName;
    if (!name) return false;
    return re.test(name.includes("/") ? name : `${DEFAULT_CLUSTER}/${name}`);
  });
}
