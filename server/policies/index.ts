import "server-only";

import type { ServerConfig } from "@/server/config/env";
import type { ClusterSettings, PolicyProblem } from "@/lib/policy/types";
import { log } from "@/server/log";
import { DemoSource } from "./demo-source";
import { DirectorySource } from "./directory-source";
import { DEFAULT_MAX_VERSIONS, PolicyHistory, type PolicyChange, type PolicySnapshot } from "./history";
import { kubeconfigAvailable, KubernetesSource, type KubernetesSourceOptions } from "./kubernetes-source";
import type { PolicySource, SourceKind, SourceStatus } from "./source";

// The network policies the explainer uses: one source (chosen from the configuration), and the
// history of what it reported. See README.md in this directory.

export type { PolicyChange, PolicySnapshot } from "./history";
export type { ResourceStatus, SourceKind, SourceStatus } from "./source";

export interface PolicyService {
  readonly sourceKind: SourceKind;
  current(): PolicySnapshot;
  /** The version in force at `timeMs` (the oldest kept one if older). */
  at(timeMs: number): PolicySnapshot;
  /** Objects and resources that could not be used, and why (current ones, or those of the version in force at `timeMs`). */
  problems(timeMs?: number): readonly PolicyProblem[];
  /** Every kept version's change, oldest first. */
  history(): PolicyChange[];
  status(): SourceStatus;
  /** Called after every new version and status change; returns the unsubscribe function. */
  subscribe(listener: (change: PolicyChange | null) => void): () => void;
  close(): Promise<void>;
}

export interface PolicyServiceOptions {
  readonly maxVersions?: number;
  readonly now?: () => number;
  readonly kubernetes?: KubernetesSourceOptions;
  readonly directory?: { pollMs?: number; settleMs?: number };
  readonly env?: Record<string, string | undefined>;
}

/** Which source the configuration means: `auto` picks directory, then demo, then Kubernetes, then none. */
export function resolveSourceKind(config: ServerConfig["policies"], demoScenario: string | undefined, env: Record<string, string | undefined> = process.env): SourceKind {
  if (config.source !== "auto") return config.source;
  if (config.path !== null) return "directory";
  if (demoScenario !== undefined) return "demo";
  if (kubeconfigAvailable(env)) return "kubernetes";
  return "none";
}

export async function createPolicyService(config: ServerConfig, demoScenario: string | undefined, options: PolicyServiceOptions = {}): Promise<PolicyService> {
  const kind = resolveSourceKind(config.policies, demoScenario, options.env);
  let source: PolicySource | undefined;
  let unavailable: string | null = null;
  switch (kind) {
    case "directory":
      source = new DirectorySource(config.policies.path!, options.directory);
      break;
    case "demo":
      if (demoScenario === undefined) unavailable = "HUBBLE_LENS_POLICY_SOURCE=demo, but the demo relay is not simulating a scenario";
      else source = new DemoSource(demoScenario);
      break;
    case "kubernetes":
      source = new KubernetesSource(options.kubernetes);
      break;
    case "none":
      break;
  }
  const service = new SourcedPolicyService(kind, source, config.policies.settings, options, unavailable);
  await service.start();
  log.info(`policies: ${kind} source`, { version: service.current().version, policies: service.current().policies.length, state: service.status().state });
  return service;
}

class SourcedPolicyService implements PolicyService {
  private readonly versions: PolicyHistory;
  private statusNow: SourceStatus;
  private readonly listeners = new Set<(change: PolicyChange | null) => void>();

  constructor(
    readonly sourceKind: SourceKind,
    private readonly source: PolicySource | undefined,
    settings: ClusterSettings,
    options: PolicyServiceOptions,
    unavailable: string | null,
  ) {
    this.versions = new PolicyHistory(settings, options.maxVersions ?? DEFAULT_MAX_VERSIONS, options.now);
    this.statusNow = unavailable
      ? { state: "error", message: unavailable }
      : source
        ? { state: "loading", message: null }
        : { state: "ready", message: "no policy source: set HUBBLE_LENS_POLICIES to a directory of policy YAML, or give Hubble Lens a kubeconfig" };
  }

  async start(): Promise<void> {
    await this.source?.start({
      state: (state) => {
        const change = this.versions.update(state);
        if (change) {
          log.info(`policies: version ${change.version}`, {
            added: change.added.length,
            changed: change.changed.length,
            removed: change.removed.length,
            problems: state.problems.length,
          });
        }
        this.notify(change);
      },
      status: (status) => {
        const same = status.state === this.statusNow.state && status.message === this.statusNow.message;
        this.statusNow = status;
        if (!same) this.notify(null);
      },
    });
  }

  current(): PolicySnapshot {
    return this.versions.current();
  }

  at(timeMs: number): PolicySnapshot {
    return this.versions.at(timeMs);
  }

  problems(timeMs?: number): readonly PolicyProblem[] {
    return this.versions.problems(timeMs);
  }

  history(): PolicyChange[] {
    return this.versions.changes();
  }

  status(): SourceStatus {
    return this.statusNow;
  }

  subscribe(listener: (change: PolicyChange | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.source?.close();
  }

  private notify(change: PolicyChange | null): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        log.error(`policies: a change listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
