// The hubble CLI's flags for filter entries and its rules on combining them within one list
// (hubble/cmd/observe/flows_filter.go): used when writing a command and when reading one.
import { KIND_SPECS, type Direction, type FilterKind } from "./kinds";
import { type FilterEntry } from "./entry";
import { type FlowQuery } from "./query";

/** The CLI flag (without dashes) an entry stands for: `from:pod` → `from-pod`. */
export function cliFlagOf(kind: FilterKind, direction: Direction): string {
  const spec = KIND_SPECS[kind];
  return spec.directional && direction !== "either" ? `${direction}-${spec.flag}` : spec.flag;
}

/** The CLI flag of one entry: as cliFlagOf, except that `encrypted=false` is `--unencrypted`. */
export function cliFlagOfEntry(e: FilterEntry): string {
  return e.kind === "encrypted" && e.value === "false" ? "unencrypted" : cliFlagOf(e.kind, e.direction);
}

/** A flag and its value as arguments. */
export function flagArgs(flag: string, value: string): string[] {
  // pflag would take a value starting with '-' anyway; the `=` form makes it obvious.
  return value.startsWith("-") ? [`--${flag}=${value}`] : [`--${flag}`, value];
}

/** An entry as CLI arguments; `--encrypted` and `--unencrypted` take no value. */
export function entryArgs(e: FilterEntry): string[] {
  return e.kind === "encrypted" ? [`--${cliFlagOfEntry(e)}`] : flagArgs(cliFlagOf(e.kind, e.direction), e.value);
}

// Flags that may not be combined within one list (hubble/cmd/observe/flows_filter.go, newFlowFilter).
const CONFLICT_GROUPS: readonly (readonly string[])[] = [
  ["from-fqdn", "from-ip", "ip", "fqdn", "from-namespace", "namespace", "from-all-namespaces", "all-namespaces"],
  ["from-fqdn", "from-ip", "ip", "fqdn", "from-pod", "pod"],
  ["to-fqdn", "to-ip", "ip", "fqdn", "to-namespace", "namespace", "to-all-namespaces", "all-namespaces"],
  ["to-fqdn", "to-ip", "ip", "fqdn", "to-pod", "pod"],
  ["to-pod", "namespace", "all-namespaces"],
  ["from-pod", "namespace", "all-namespaces"],
  ["to-service", "namespace", "all-namespaces"],
  ["from-service", "namespace", "all-namespaces"],
  ["label", "from-label"],
  ["label", "to-label"],
  ["service", "from-service"],
  ["service", "to-service"],
  ["port", "to-port"],
  ["port", "from-port"],
  ["identity", "to-identity"],
  ["identity", "from-identity"],
  ["workload", "to-workload"],
  ["workload", "from-workload"],
  ["encrypted", "unencrypted"],
];

function flagConflict(changed: string[]): string | undefined {
  for (const group of CONFLICT_GROUPS) {
    for (const flag of group) {
      if (!changed.includes(flag)) continue;
      for (const other of group) {
        if (other !== flag && changed.includes(other)) return `filters --${flag} and --${other} cannot be combined`;
      }
    }
  }
  return undefined;
}

export const namespaceOf = (name: string) => (name.includes("/") ? name.slice(0, name.indexOf("/")) : "");

/** The CLI's `checkNamespaceConflicts`: every namespace flag must contain every namespaced pod/service. */
function namespaceConflict(entries: FilterEntry[]): string | undefined {
  const values = (kind: FilterKind, dirs: Direction[]) => entries.filter((e) => e.kind === kind && dirs.includes(e.direction)).map((e) => e.value);
  const ns = values("namespace", ["either"]);
  const srcNs = values("namespace", ["from"]);
  const dstNs = values("namespace", ["to"]);
  const srcPods = values("pod", ["either", "from"]);
  const dstPods = values("pod", ["either", "to"]);
  const srcSvcs = values("service", ["either", "from"]);
  const dstSvcs = values("service", ["either", "to"]);
  const check = (namespaces: string[], names: string[]) => {
    for (const n of namespaces) {
      for (const name of names) {
        const nn = namespaceOf(name);
        if (nn !== "" && nn !== n) return `namespace conflict: ${JSON.stringify(n)} does not contain ${JSON.stringify(name)}`;
      }
    }
    return undefined;
  };
  const inconsistent = (pods: string[], svcs: string[]) => {
    for (const pod of pods) {
      const podNs = namespaceOf(pod);
      if (podNs === "") continue;
      for (const svc of svcs) {
        if (namespaceOf(svc) !== podNs) return `namespace of service ${JSON.stringify(svc)} conflict with pod ${JSON.stringify(podNs)}`;
      }
    }
    return undefined;
  };
  return (
    check(ns, [...srcPods, ...srcSvcs, ...dstPods, ...dstSvcs]) ??
    check(srcNs, [...srcPods, ...srcSvcs]) ??
    check(dstNs, [...dstPods, ...dstSvcs]) ??
    inconsistent(srcPods, srcSvcs) ??
    inconsistent(dstPods, dstSvcs)
  );
}

function entriesOfList(q: FlowQuery, negated: boolean): FilterEntry[] {
  const top: FilterEntry[] = negated
    ? []
    : [
        ...q.namespaces.map((value): FilterEntry => ({ kind: "namespace", value, direction: "either", negated: false })),
        ...q.verdicts.map((value): FilterEntry => ({ kind: "verdict", value, direction: "either", negated: false })),
      ];
  return [...top, ...q.filters.filter((f) => f.negated === negated)];
}

export function listConflict(entries: FilterEntry[]): string | undefined {
  const changed: string[] = [];
  for (const e of entries) {
    const flag = cliFlagOfEntry(e);
    if (!changed.includes(flag)) changed.push(flag);
    const c = flagConflict(changed);
    if (c) return c;
  }
  return namespaceConflict(entries);
}

/**
 * Why the hubble CLI would refuse this query written as flags (one message per refused list),
 * e.g. "filters --from-pod and --namespace cannot be combined". Empty when it accepts it.
 */
export function cliConflicts(q: FlowQuery): { list: "whitelist" | "blacklist"; message: string }[] {
  const out: { list: "whitelist" | "blacklist"; message: string }[] = [];
  const white = listConflict(entriesOfList(q, false));
  if (white) out.push({ list: "whitelist", message: white });
  const black = listConflict(entriesOfList(q, true));
  if (black) out.push({ list: "blacklist", message: black });
  return out;
}
