// `hubble observe …` → FlowQuery, as pflag and the CLI read the arguments; see cli.ts for the rules.
import { fromJsonString } from "@bufbuild/protobuf";
import { FlowFilterSchema, type FlowFilter } from "../../proto/gen/flow/flow_pb";
import { FILTER_KINDS, KIND_SPECS, ValueError, type Direction, type FilterKind } from "./kinds";
import { type FilterEntry } from "./entry";
import { validateFlowQuery, type FlowQuery } from "./query";
import { fromHubbleFilters, InvalidFlowQueryError, toHubbleFilters } from "./hubble-filters";
import { ShellSyntaxError, splitShellWords } from "./shell";
import { cliFlagOf, listConflict } from "./cli-flags";

export class HubbleCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HubbleCommandError";
  }
}

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
