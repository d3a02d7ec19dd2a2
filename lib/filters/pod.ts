import type { Flow, FlowFilter } from "@/proto/gen/flow/flow_pb";
import { FilterBuildError } from "./errors";
import { isSet, quote, type FieldMatcher } from "./types";

/**
 * Pod and service filters share Hubble's "[namespace/]<name-prefix>" syntax:
 *   "xwing"          namespace "default", name prefix "xwing"
 *   "kube-system/"   every name in namespace kube-system
 *   "/xwing"         name prefix "xwing" in any namespace
 *   "a/b/c"          only the first two parts count: namespace "a", prefix "b"
 * The name is a prefix ("deathstar" matches "deathstar-7848d6c4d5-th9v2");
 * the namespace is exact. An endpoint with neither namespace nor name never matches.
 */
export interface NamespacedName {
  readonly namespace: string;
  readonly prefix: string;
}

export function parseNamespacedName(text: string): NamespacedName {
  const parts = text.split("/");
  if (parts.length > 1) return { namespace: parts[0], prefix: parts[1] };
  if (parts[0] === "") return { namespace: "", prefix: "" };
  return { namespace: "default", prefix: parts[0] };
}

type TextGetter = (flow: Flow) => string | undefined;

function namespacedNameMatcher(entries: readonly string[], getNamespace: TextGetter, getName: TextGetter, context: string): FieldMatcher {
  const parsed = entries.map((entry) => {
    const nn = parseNamespacedName(entry);
    if (nn.namespace === "" && nn.prefix === "") {
      throw new FilterBuildError(`${context}invalid filter, must be [namespace/][<name>], got ${quote(entry)}`);
    }
    return nn;
  });
  return (flow) => {
    const namespace = getNamespace(flow) ?? "";
    const name = getName(flow) ?? "";
    if (namespace === "" && name === "") return false;
    for (let i = 0; i < parsed.length; i++) {
      const f = parsed[i];
      if ((f.namespace === "" || f.namespace === namespace) && (f.prefix === "" || name.startsWith(f.prefix))) {
        return true;
      }
    }
    return false;
  };
}

export function buildPodMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourcePod)) {
    out.push(
      namespacedNameMatcher(
        f.sourcePod,
        (fl) => fl.source?.namespace,
        (fl) => fl.source?.podName,
        "",
      ),
    );
  }
  if (isSet(f.destinationPod)) {
    out.push(
      namespacedNameMatcher(
        f.destinationPod,
        (fl) => fl.destination?.namespace,
        (fl) => fl.destination?.podName,
        "",
      ),
    );
  }
}

export function buildServiceMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourceService)) {
    out.push(
      namespacedNameMatcher(
        f.sourceService,
        (fl) => fl.sourceService?.namespace,
        (fl) => fl.sourceService?.name,
        "invalid source service filter: ",
      ),
    );
  }
  if (isSet(f.destinationService)) {
    out.push(
      namespacedNameMatcher(
        f.destinationService,
        (fl) => fl.destinationService?.namespace,
        (fl) => fl.destinationService?.name,
        "invalid destination service filter: ",
      ),
    );
  }
}
