import "server-only";

import { policyFromObject } from "@/lib/policy";
import type { PolicyObject, PolicyProblem } from "@/lib/policy/types";
import { loadScenario, scenarioPolicies } from "@/server/demo-relay/scenario";
import type { PolicyState } from "./history";
import type { PolicySource, SourceSink } from "./source";

// The demo relay's simulated cluster has policies too: the same objects its traffic was generated
// against, so the explainer can be tried without a cluster. They never change while it runs.

/** The scenario's policies and namespace labels, as the Kubernetes source would report them. */
export function scenarioPolicyState(scenarioName: string): PolicyState {
  const scenario = loadScenario(scenarioName);
  const origin = `scenario ${scenario.name}`;
  const policies: PolicyObject[] = [];
  const problems: PolicyProblem[] = [];
  for (const p of scenarioPolicies(scenario)) {
    const r = policyFromObject(p.object, origin, p.yamlText);
    if (r.policy) policies.push(r.policy);
    if (r.problem) problems.push(r.problem);
  }
  const namespaceLabels: Record<string, Record<string, string>> = {};
  for (const ns of scenario.namespaces) {
    // The API server sets this label on every namespace; selectors written against it must match.
    namespaceLabels[ns.name] = { ...ns.labels, "kubernetes.io/metadata.name": ns.name };
  }
  return { policies, namespaceLabels, problems };
}

export class DemoSource implements PolicySource {
  readonly kind = "demo" as const;

  constructor(private readonly scenarioName: string) {}

  async start(sink: SourceSink): Promise<void> {
    try {
      const state = scenarioPolicyState(this.scenarioName);
      sink.state(state);
      sink.status({ state: "ready", message: `${state.policies.length} policies of the demo scenario ${this.scenarioName}` });
    } catch (err) {
      sink.status({ state: "error", message: `demo scenario ${this.scenarioName}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  async close(): Promise<void> {}
}
