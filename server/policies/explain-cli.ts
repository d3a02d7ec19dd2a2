import "server-only";

import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { compilePolicySet, explainFlow, ExplainInputError, parseSettingAssignments, SKIPPED_NOT_A_POLICY } from "@/lib/policy";
import type { PolicyProblem } from "@/lib/policy/types";
import { FlowInputError, parseFlowText } from "./flow-input";
import { loadPolicyPath } from "./policy-files";

// `npm run explain`: "would this flow be allowed?" without a cluster, e.g. in CI before a policy
// change ships. Reads policies the way the directory source does and prints exactly the JSON that
// POST /api/explain returns. Exit codes: 0 explained, 1 denied (only with --exit-code), 2 usage
// or input errors.

const USAGE = `Usage: npm run explain -- --policies DIR|FILE --flow FILE [--setting key=value]... [--exit-code]

Explains one Hubble flow against a set of network policies and prints the explanation as JSON.

Options:
  --policies DIR|FILE   policy YAML/JSON: a file, or a directory searched recursively for .yaml,
                        .yml and .json (multi-document, as kubectl apply takes them). Namespace
                        objects in it give the namespace labels that namespace selectors match,
                        CiliumCIDRGroups the address groups CIDR rules refer to, and workload
                        manifests (Deployment, StatefulSet, Pod, ...) the container port names
                        that rules with a named port (port: "http") mean.
  --flow FILE           one flow as 'hubble observe -o json' prints it (one line or pretty-printed,
                        with or without the {"flow": ...} envelope); - reads standard input
  --setting key=value   a cilium-agent option that changes outcomes (repeatable):
                          policy-enforcement-mode=default|always|never
                          enable-host-firewall=true|false
                          allow-localhost=auto|always|policy
                          enable-non-default-deny-policies=true|false
                          enable-node-selector-labels=true|false (fromNodes/toNodes rules)
  --exit-code           exit 1 when the verdict is denied (for CI gates)
  -h, --help            show this help

Policy problems are printed as warnings on stderr; the explanation goes to stdout. Run it as
'npm run -s explain -- …' to keep npm's own banner out of stdout (e.g. '> explanation.json').
Exit status: 0 explained, 1 denied with --exit-code, 2 bad usage or unreadable input.`;

function fail(message: string): never {
  process.stderr.write(`explain: ${message}\n\nRun with --help for usage.\n`);
  process.exit(2);
}

function warnAll(problems: readonly PolicyProblem[]): void {
  const skipped = problems.filter((p) => p.message.startsWith(SKIPPED_NOT_A_POLICY));
  for (const p of problems) {
    if (!p.message.startsWith(SKIPPED_NOT_A_POLICY)) process.stderr.write(`warning: ${p.where}: ${p.message}\n`);
  }
  // A GitOps repository holds Deployments and Services too; one line is enough for them.
  if (skipped.length > 0) process.stderr.write(`note: ${skipped.length} document(s) that are not network policies were skipped\n`);
}

function readFlowFile(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    fail(`cannot read --flow ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        policies: { type: "string" },
        flow: { type: "string" },
        setting: { type: "string", multiple: true },
        "exit-code": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.policies === undefined) fail("--policies DIR|FILE is required");
  if (values.flow === undefined) fail("--flow FILE is required (- for standard input)");

  const settings = parseSettingAssignments(values.setting ?? []);
  if (!settings.ok) fail(`--setting: ${settings.message}`);

  try {
    statSync(values.policies);
  } catch (err) {
    fail(`cannot read --policies ${values.policies}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const loaded = await loadPolicyPath(values.policies);
  if (loaded.files.length === 0) fail(`--policies ${values.policies}: no .yaml, .yml or .json files found`);

  let flow: unknown;
  try {
    flow = parseFlowText(readFlowFile(values.flow));
  } catch (err) {
    if (err instanceof FlowInputError) fail(`--flow ${values.flow}: ${err.message}`);
    throw err;
  }

  const compiled = compilePolicySet({
    policies: loaded.policies,
    namespaceLabels: loaded.namespaceLabels,
    workloadPorts: loaded.workloadPorts,
    settings: settings.settings,
  });
  warnAll([...loaded.problems, ...compiled.problems]);

  let explanation;
  try {
    explanation = explainFlow(flow, compiled);
  } catch (err) {
    if (err instanceof ExplainInputError) fail(`--flow ${values.flow}: ${err.message}`);
    throw err;
  }
  process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
  if (values["exit-code"] && explanation.verdict === "denied") process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`explain: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
