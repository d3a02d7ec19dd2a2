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
//
// cli-flags.ts holds the flags and the CLI's conflict rules, cli-write.ts the writing and
// cli-read.ts the reading; this module is their public face.
export { cliConflicts, cliFlagOf } from "./cli-flags";
export { toHubbleObserveArgs, toHubbleObserveCommand, type ObserveCommandOptions } from "./cli-write";
export { analyzeHubbleObserveCommand, HubbleCommandError, parseHubbleObserveCommand, type ObserveCommandAnalysis } from "./cli-read";
