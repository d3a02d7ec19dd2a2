// FlowQuery → `hubble observe` arguments; see cli.ts for the rules.
import { toJsonString } from "@bufbuild/protobuf";
import { FlowFilterSchema, type FlowFilter } from "../../proto/gen/flow/flow_pb";
import { KIND_SPECS, type Direction } from "./kinds";
import { validateFlowQuery, type FlowQuery } from "./query";
import { InvalidFlowQueryError, toHubbleFilters } from "./hubble-filters";
import { quoteShellWord } from "./shell";
import { cliConflicts, entryArgs, flagArgs, namespaceOf } from "./cli-flags";

export interface ObserveCommandOptions {
  follow?: boolean;
  /** `--last N`. */
  last?: number;
  output?: "compact" | "dict" | "json" | "jsonpb" | "table";
}

const rawFilterJson = (f: FlowFilter) => toJsonString(FlowFilterSchema, f, { useProtoFieldName: true });

/**
 * The query without its namespace picker when that changes nothing: the common "namespace shop,
 * from pod shop/frontend" case, which the CLI refuses as `--namespace shop --from-pod shop/frontend`.
 * Holds when every positive entry applies to both sides (no direction-agnostic entries), every
 * pod/service names its namespace, and the `from:` (or `to:`) pods all lie in the selected
 * namespaces: then the pods already imply the namespace condition and the extra filter the
 * namespace adds on the other side is a subset of the first.
 */
function withoutImpliedNamespaces(q: FlowQuery): FlowQuery | undefined {
  if (q.namespaces.length === 0) return undefined;
  const positive = q.filters.filter((f) => !f.negated);
  if (positive.some((f) => KIND_SPECS[f.kind].directional && f.direction === "either")) return undefined;
  const named = positive.filter((f) => f.kind === "pod" || f.kind === "service");
  if (named.some((f) => namespaceOf(f.value) === "")) return undefined;
  const implies = (direction: Direction) => {
    const pods = positive.filter((f) => f.kind === "pod" && f.direction === direction);
    return pods.length > 0 && pods.every((f) => q.namespaces.includes(namespaceOf(f.value)));
  };
  if (!implies("from") && !implies("to")) return undefined;
  return { ...q, namespaces: [] };
}

/** The arguments after `hubble observe`, unquoted (for execFile-style use). */
export function toHubbleObserveArgs(query: FlowQuery, options: ObserveCommandOptions = {}): string[] {
  const issues = validateFlowQuery(query);
  if (issues.length > 0) throw new InvalidFlowQueryError(issues);
  let q = query;
  if (cliConflicts(q).some((c) => c.list === "whitelist")) {
    const simpler = withoutImpliedNamespaces(q);
    if (simpler && !cliConflicts(simpler).some((c) => c.list === "whitelist")) q = simpler;
  }
  const conflicts = new Set(cliConflicts(q).map((c) => c.list));
  const filters = conflicts.size > 0 ? toHubbleFilters(q) : undefined;
  const args: string[] = [];
  if (conflicts.has("whitelist")) {
    for (const f of filters!.whitelist) args.push(...flagArgs("allowlist", rawFilterJson(f)));
  } else {
    for (const ns of q.namespaces) args.push(...flagArgs("namespace", ns));
    for (const v of q.verdicts) args.push(...flagArgs("verdict", v));
    for (const e of q.filters) if (!e.negated) args.push(...entryArgs(e));
  }
  if (conflicts.has("blacklist")) {
    for (const f of filters!.blacklist) args.push(...flagArgs("denylist", rawFilterJson(f)));
  } else {
    for (const e of q.filters) if (e.negated) args.push("--not", ...entryArgs(e));
  }
  if (q.since) args.push(...flagArgs("since", q.since));
  if (q.until && !options.follow) args.push(...flagArgs("until", q.until));
  if (options.last !== undefined) args.push("--last", String(options.last));
  if (options.follow) args.push("--follow");
  if (options.output) args.push("-o", options.output);
  return args;
}

/** A copy-pasteable `hubble observe …` line, each argument quoted for a POSIX shell as needed. */
export function toHubbleObserveCommand(q: FlowQuery, options: ObserveCommandOptions = {}): string {
  return ["hubble", "observe", ...toHubbleObserveArgs(q, options)].map(quoteShellWord).join(" ");
}
