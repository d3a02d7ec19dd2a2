// FlowQuery ⇄ `hubble observe` command lines.
//
// Writing: namespaces → `--namespace`, verdicts → `--verdict`, entries → their flag (`from:pod=x`
// → `--from-pod x`), `!` entries → `--not <flag>`, then `--since/--until`. When the CLI would refuse
// the flags of one list (e.g. `--namespace` with `--from-pod`, which this dashboard allows), the
// namespaces are left out if the pods already imply them; otherwise that list is written as raw
// `--allowlist` / `--denylist` JSON, so the command still selects exactly the same flows.
//
// Reading: flags as pflag parses them (`--flag value`, `--flag=value`, `-n ns`, `-nns`, `-fn ns`,
// `--`), the CLI's own conflict checks and messages, and the flags that do not filter (output,
// server, --follow, --last …) accepted and reported as ignored. Unknown flags are errors.
// Flag combinations the CLI refuses but whose filters are still well defined (`--namespace` with
// `--from-pod`) are accepted with a warning; the filter bar allows them too.
import { fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { FlowFilterSchema, type FlowFilter } from "../../proto/gen/flow/flow_pb";
import { FILTER_KINDS, KIND_SPECS, ValueError, type Direction, type FilterKind } from "./kinds";
import { type FilterEntry } from "./entry";
import { validateFlowQuery, type FlowQuery } from "./query";
import { fromHubbleFilters, InvalidFlowQueryError, toHubbleFilters } from "./hubble-filters";
import { quoteShellWord, ShellSyntaxError, splitShellWords } from "./shell";

export class HubbleCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HubbleCommandError";
  }
}

// ---- flag names and the CLI's conflict rules -----------------------------------------------

/** The CLI flag (without dashes) an entry stands for: `from:pod` → `from-pod`. */
export function cliFlagOf(kind: FilterKind, direction: Direction): string {
  const spec = KIND_SPECS[kind];
  return spec.directional && direction !== "either" ? `${direction}-${spec.flag}` : spec.flag;
}

/** The CLI flag of one entry: as cliFlagOf, except that `encrypted=false` is `--unencrypted`. */
function cliFlagOfEntry(e: FilterEntry): string {
  return e.kind === "encrypted" && e.value === "false" ? "unencrypted" : cliFlagOf(e.kind, e.direction);
}

/** An entry as CLI arguments; `--encrypted` and `--unencrypted` take no value. */
function entryArgs(e: FilterEntry): string[] {
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

const namespaceOf = (name: string) => (name.includes("/") ? name.slice(0, name.indexOf("/")) : "");

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

function listConflict(entries: FilterEntry[]): string | undefined {
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

// ---- writing --------------------------------------------------------------------------------

export interface ObserveCommandOptions {
  follow?: boolean;
  /** `--last N`. */
  last?: number;
  output?: "compact" | "dict" | "json" | "jsonpb" | "table";
}

function flagArgs(flag: string, value: string): string[] {
  // pflag would take a value starting with '-' anyway; the `=` form makes it obvious.
  return value.startsWith("-") ? [`--${flag}=${value}`] : [`--${flag}`, value];
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

// ---- reading --------------------------------------------------------------------------------

type FlagSpec =
  | { type: "filter"; kind: FilterKind; direction: Direction; fixed?: string }
  | { type: "not" }
  | { type: "time"; param: "since" | "until" }
  | { type: "raw"; list: "whitelist" | "blacklist" }
  | { type: "unsupported"; takesValue: boolean; optionalValue?: boolean }
  | { type: "ignored"; takesValue: boolean };

const LONG_FLAGS = new Map<string, FlagSpec>();
const SHORT_FLAGS = new Map<string, string>();
for (const kind of FILTER_KINDS) {
  const spec = KIND_SPECS[kind];
  for (const direction of spec.directional ? (["either", "from", "to"] as const) : (["either"] as const)) {
    LONG_FLAGS.set(cliFlagOf(kind, direction), { type: "filter", kind, direction });
  }
  if (spec.short) SHORT_FLAGS.set(spec.short, spec.flag);
}
LONG_FLAGS.set("encrypted", { type: "filter", kind: "encrypted", direction: "either", fixed: "true" });
LONG_FLAGS.set("unencrypted", { type: "filter", kind: "encrypted", direction: "either", fixed: "false" });
LONG_FLAGS.set("ipv4", { type: "filter", kind: "ip-version", direction: "either", fixed: "v4" });
LONG_FLAGS.set("ipv6", { type: "filter", kind: "ip-version", direction: "either", fixed: "v6" });
SHORT_FLAGS.set("4", "ipv4");
SHORT_FLAGS.set("6", "ipv6");
LONG_FLAGS.set("not", { type: "not" });
LONG_FLAGS.set("since", { type: "time", param: "since" });
LONG_FLAGS.set("until", { type: "time", param: "until" });
LONG_FLAGS.set("allowlist", { type: "raw", list: "whitelist" });
LONG_FLAGS.set("denylist", { type: "raw", list: "blacklist" });
for (const f of ["cel-expression", "ip-trace-id", "ip-trace-option"]) LONG_FLAGS.set(f, { type: "unsupported", takesValue: true });
for (const f of ["all-namespaces", "from-all-namespaces", "to-all-namespaces"]) {
  LONG_FLAGS.set(f, { type: "unsupported", takesValue: false, optionalValue: true });
}
SHORT_FLAGS.set("A", "all-namespaces");
const IGNORED_WITH_VALUE = [
  "output",
  "time-format",
  "color",
  "last",
  "first",
  "input-file",
  "field-mask",
  "experimental-field-mask",
  "server",
  "timeout",
  "request-timeout",
  "tls-ca-cert-files",
  "tls-client-cert-file",
  "tls-client-key-file",
  "tls-server-name",
  "basic-auth-username",
  "basic-auth-password",
  "port-forward-port",
  "kube-context",
  "kube-namespace",
  "kubeconfig",
  "config",
];
const IGNORED_BOOLEAN = [
  "follow",
  "all",
  "print-raw-filters",
  "print-node-name",
  "print-policy-names",
  "numeric",
  "ip-translation",
  "silent-errors",
  "use-default-field-masks",
  "experimental-use-default-field-masks",
  "tls",
  "tls-allow-insecure",
  "port-forward",
  "debug",
  "help",
];
for (const f of IGNORED_WITH_VALUE) LONG_FLAGS.set(f, { type: "ignored", takesValue: true });
for (const f of IGNORED_BOOLEAN) LONG_FLAGS.set(f, { type: "ignored", takesValue: false });
for (const [s, l] of [
  ["o", "output"],
  ["f", "follow"],
  ["s", "silent-errors"],
  ["P", "port-forward"],
  ["D", "debug"],
  ["h", "help"],
]) {
  SHORT_FLAGS.set(s, l);
}

/** Flags that take no value unless written `--flag=value`. */
const takesNoValue = (spec: FlagSpec) =>
  spec.type === "not" || (spec.type === "filter" && spec.fixed !== undefined) || (spec.type === "ignored" && !spec.takesValue) || (spec.type === "unsupported" && !spec.takesValue);

export interface ObserveCommandAnalysis {
  query: FlowQuery;
  /** Arguments that were read but do not affect which flows match (`--follow`, `-o jsonpb`, …). */
  ignored: string[];
  /**
   * Combinations the hubble CLI itself refuses but Hubble Lens accepts (e.g. `--namespace` with
   * `--from-pod`, as in "namespace shop, from pod shop/frontend"), with the CLI's message.
   */
  warnings: string[];
}

/**
 * Reads a pasted `hubble observe …` line (or just its flags) into a FlowQuery.
 * Throws HubbleCommandError naming the flag or value at fault.
 */
export function analyzeHubbleObserveCommand(text: string): ObserveCommandAnalysis {
  let split;
  try {
    split = splitShellWords(text);
  } catch (e) {
    if (e instanceof ShellSyntaxError) throw new HubbleCommandError(`cannot read the command: ${e.message}`);
    throw e;
  }
  const ignored: string[] = [];
  const args = commandArgs(split.words);
  if (split.rest !== undefined) ignored.push(`everything from ${JSON.stringify(split.rest)} on (another command)`);

  const lists: Record<"whitelist" | "blacklist", FilterEntry[]> = { whitelist: [], blacklist: [] };
  const raw: Record<"whitelist" | "blacklist", FlowFilter[]> = { whitelist: [], blacklist: [] };
  const times: { since?: string; until?: string } = {};
  let blacklisting = false;
  let follow = false;

  const apply = (name: string, spec: FlagSpec, value: string | undefined, shown: string) => {
    switch (spec.type) {
      case "not":
        if (blacklisting) throw new HubbleCommandError("consecutive --not statements");
        blacklisting = true;
        return;
      case "filter": {
        const list = lists[blacklisting ? "blacklist" : "whitelist"];
        const negated = blacklisting;
        blacklisting = false;
        const kindSpec = KIND_SPECS[spec.kind];
        let canonical: string;
        try {
          canonical = kindSpec.normalize((spec.fixed ?? value!).trim());
        } catch (e) {
          if (!(e instanceof ValueError)) throw e;
          throw new HubbleCommandError(`invalid --${name} value ${JSON.stringify(value)}: ${e.message}; expected ${kindSpec.expects}`);
        }
        list.push({ kind: spec.kind, direction: spec.direction, value: canonical, negated });
        return;
      }
      case "time":
        times[spec.param] = value!;
        return;
      case "raw": {
        let f: FlowFilter;
        try {
          f = fromJsonString(FlowFilterSchema, value!);
        } catch (e) {
          throw new HubbleCommandError(`invalid --${name} value: ${(e as Error).message}`);
        }
        raw[spec.list].push(f);
        return;
      }
      case "unsupported":
        throw new HubbleCommandError(`flag --${name} is a hubble observe filter that Hubble Lens cannot show; remove it`);
      case "ignored":
        if (name === "follow") follow = value === undefined || value === "true";
        ignored.push(shown);
        return;
    }
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      if (i + 1 < args.length) throw new HubbleCommandError(`unexpected argument ${JSON.stringify(args[i + 1])}: hubble observe takes only flags`);
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = LONG_FLAGS.get(name);
      if (!spec) throw new HubbleCommandError(`unknown flag --${name}${suggestFlag(name)}`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (!takesNoValue(spec)) {
        if (i + 1 >= args.length) throw new HubbleCommandError(`flag needs an argument: --${name}`);
        value = args[++i];
      }
      apply(name, spec, value, value === undefined ? `--${name}` : `--${name} ${value}`);
    } else if (arg.startsWith("-") && arg.length > 1) {
      // Shorthands, pflag style: -f, -n ns, -nns, -n=ns, -fn ns.
      let chars = arg.slice(1);
      while (chars.length > 0) {
        const c = chars[0];
        const name = SHORT_FLAGS.get(c);
        if (!name) throw new HubbleCommandError(`unknown shorthand flag: ${JSON.stringify(c)} in ${arg}`);
        const spec = LONG_FLAGS.get(name)!;
        let value: string | undefined;
        if (chars.length > 2 && chars[1] === "=") {
          value = chars.slice(2);
          chars = "";
        } else if (takesNoValue(spec)) {
          chars = chars.slice(1);
        } else if (chars.length > 1) {
          value = chars.slice(1);
          chars = "";
        } else {
          if (i + 1 >= args.length) throw new HubbleCommandError(`flag needs an argument: -${c}`);
          value = args[++i];
          chars = "";
        }
        apply(name, spec, value, value === undefined ? `-${c}` : `-${c} ${value}`);
      }
    } else {
      throw new HubbleCommandError(`unexpected argument ${JSON.stringify(arg)}: hubble observe takes only flags`);
    }
  }
  if (blacklisting) throw new HubbleCommandError("trailing --not found in the arguments");
  const warnings: string[] = [];
  for (const name of ["whitelist", "blacklist"] as const) {
    const conflict = listConflict(lists[name]);
    if (conflict) warnings.push(`${conflict}: the hubble CLI refuses this ${name === "whitelist" ? "" : "--not "}combination; Hubble Lens applies it as written`);
  }
  if (times.until !== undefined && follow) {
    ignored.push(`--until ${times.until} (the CLI does not send it with --follow)`);
    delete times.until;
  }

  let query: FlowQuery;
  if (raw.whitelist.length === 0 && raw.blacklist.length === 0) {
    query = { namespaces: [], verdicts: [], filters: [] };
    for (const e of lists.whitelist) {
      if (e.kind === "namespace" && e.direction === "either") query.namespaces.push(e.value);
      else if (e.kind === "verdict") query.verdicts.push(e.value as FlowQuery["verdicts"][number]);
      else query.filters.push(e);
    }
    query.filters.push(...lists.blacklist);
  } else {
    // Raw filters are appended to the flag-built ones, as the CLI does; read the union back.
    let built;
    try {
      built = toHubbleFilters({ namespaces: [], verdicts: [], filters: [...lists.whitelist, ...lists.blacklist] });
    } catch (e) {
      if (e instanceof InvalidFlowQueryError) throw new HubbleCommandError(e.message);
      throw e;
    }
    const back = fromHubbleFilters({
      whitelist: [...built.whitelist, ...raw.whitelist],
      blacklist: [...built.blacklist, ...raw.blacklist],
    });
    if (!back.ok) throw new HubbleCommandError(`--allowlist/--denylist: ${back.error}`);
    query = back.query;
  }
  if (times.since !== undefined) query.since = times.since;
  if (times.until !== undefined) query.until = times.until;
  const issues = validateFlowQuery(query);
  if (issues.length > 0) throw new HubbleCommandError(issues[0].message);
  return { query, ignored, warnings };
}

export function parseHubbleObserveCommand(text: string): FlowQuery {
  return analyzeHubbleObserveCommand(text).query;
}

/** Drops `hubble observe [flows]` (and anything before `hubble`, e.g. `kubectl exec … --`). */
function commandArgs(words: string[]): string[] {
  const hubble = words.findIndex((w) => w === "hubble" || w.endsWith("/hubble"));
  let rest = hubble >= 0 ? words.slice(hubble + 1) : words;
  if (hubble >= 0 && rest[0] !== "observe") {
    throw new HubbleCommandError(`only "hubble observe" commands can be read${rest[0] ? `, not "hubble ${rest[0]}"` : ""}`);
  }
  if (rest[0] === "observe") rest = rest.slice(1);
  if (rest[0] === "flows") rest = rest.slice(1);
  return rest;
}

function suggestFlag(name: string): string {
  const near = [...LONG_FLAGS.keys()].find((f) => f.startsWith(name) || name.startsWith(f));
  return near ? ` (did you mean --${near}?)` : "";
}
