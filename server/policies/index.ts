import "server-only";
import type { ServerConfig } from "@/server/config/env";
import type { PolicyProblem, PolicySet } from "@/lib/policy/types";

// STUB (the lead's contract; the policy-sources helper replaces this file, keeping these names).

/** The policy set in force from `since`; `version` grows with every change. */
export interface PolicySnapshot extends PolicySet {
  readonly version: number;
  /** RFC 3339 time this version was first seen. */
  readonly since: string;
}

export interface PolicyService {
  readonly sourceKind: "kubernetes" | "directory" | "demo" | "none";
  current(): PolicySnapshot;
  /** The version in force at `timeMs` (the oldest kept one if older). */
  at(timeMs: number): PolicySnapshot;
  problems(): readonly PolicyProblem[];
  close(): Promise<void>;
}

export async function createPolicyService(config: ServerConfig, demoScenario: string | undefined): Promise<PolicyService> {
  void config;
  void demoScenario;
  const empty: PolicySnapshot = { policies: [], namespaceLabels: {}, settings: config.policies.settings, version: 0, since: new Date().toISOString() };
  return { sourceKind: "none", current: () => empty, at: () => empty, problems: () => [], close: async () => {} };
}
