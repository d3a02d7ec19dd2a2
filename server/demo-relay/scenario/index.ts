import "server-only";

// Scenario files: format (schema), loading, the policies in force, and the outcome check.
export { checkOutcomes, explainScenario, type AgreementReport } from "./agreement";
export { listScenarios, loadScenario, ScenarioError, scenarioPolicies, scenariosDir } from "./load";
export type { Outcome, PolicyKind, Scenario, ScenarioPolicy, TrafficSpec, WorkloadSpec } from "./schema";
export { policyRef } from "./schema";
