import "server-only";

import { policyKey, type ClusterSettings, type NamespaceLabels, type PolicyObject, type PolicyProblem, type PolicySet, type WorkloadPorts } from "@/lib/policy/types";

// The policy set's history: every distinct set a source reported, with the time it was first seen,
// so a flow is explained against the policies in force when it happened and a change can be laid
// against the drops before and after it. Bounded by version count; unchanged objects are shared
// between versions (a version holds references, not copies), so memory grows with what changed.

/** The policy set in force from `since`; `version` grows with every change. */
export interface PolicySnapshot extends PolicySet {
  readonly version: number;
  /** RFC 3339 time this version was first seen. */
  readonly since: string;
}

/** What one version changed, by policyKey. */
export interface PolicyChange {
  readonly version: number;
  readonly since: string;
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  /** Namespaces whose labels appeared, changed or went (namespace selectors depend on them). */
  readonly namespaces: readonly string[];
}

/** What a source currently sees. */
export interface PolicyState {
  readonly policies: readonly PolicyObject[];
  readonly namespaceLabels: NamespaceLabels;
  /** Named container ports of workload manifests (directory source); named-port rules resolve against them. */
  readonly workloadPorts?: readonly WorkloadPorts[];
  readonly problems: readonly PolicyProblem[];
}

interface Version {
  readonly snapshot: PolicySnapshot;
  readonly sinceMs: number;
  readonly change: PolicyChange;
  readonly problems: readonly PolicyProblem[];
  /** policyKey → fingerprint and object, to diff the next state against. */
  readonly byKey: ReadonlyMap<string, { readonly fingerprint: string; readonly policy: PolicyObject }>;
}

export const DEFAULT_MAX_VERSIONS = 500;
/** Problems kept per version; a repository full of non-policy YAML would otherwise dominate memory. */
export const MAX_PROBLEMS = 500;

// Fields the API server maintains on every write: a status update or a re-apply changes them
// without changing what the policy enforces, and must not produce a new version.
const VOLATILE_METADATA = ["resourceVersion", "generation", "managedFields", "uid", "creationTimestamp", "annotations", "selfLink"];

/** What decides enforcement: the object without status and server-maintained metadata. */
export function policyFingerprint(p: PolicyObject): string {
  const { status: _status, metadata, ...rest } = p.object as Record<string, unknown>;
  void _status;
  const meta: Record<string, unknown> = { ...(metadata as Record<string, unknown> | undefined) };
  for (const k of VOLATILE_METADATA) delete meta[k];
  return stableJson({ ...rest, metadata: meta });
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  });
}

export class PolicyHistory {
  private readonly versions: Version[] = [];
  private latestProblems: readonly PolicyProblem[] = [];
  private readonly placeholder: PolicySnapshot;

  constructor(
    private readonly settings: ClusterSettings,
    private readonly maxVersions = DEFAULT_MAX_VERSIONS,
    private readonly now: () => number = Date.now,
  ) {
    // Until a source delivers, an empty set stands in; it is not history (a flow from before the
    // first load is explained against the first real version, the oldest kept).
    this.placeholder = freeze({ policies: [], namespaceLabels: {}, settings, version: 0, since: new Date(now()).toISOString() });
  }

  /** True once a source delivered a first set. */
  get loaded(): boolean {
    return this.versions.length > 0;
  }

  /**
   * Records what the source sees now. Returns the change when the set differs from the latest
   * version (a new version), null when only problems or nothing changed.
   */
  update(state: PolicyState): PolicyChange | null {
    const last = this.versions.at(-1);
    this.latestProblems = boundProblems(state.problems, last?.problems);
    const byKey = new Map<string, { fingerprint: string; policy: PolicyObject }>();
    for (const p of state.policies) byKey.set(policyKey(p), { fingerprint: policyFingerprint(p), policy: p });
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    const policies: PolicyObject[] = [];
    for (const [key, now] of byKey) {
      const before = last?.byKey.get(key);
      if (before === undefined) added.push(key);
      else if (before.fingerprint !== now.fingerprint) changed.push(key);
      else byKey.set(key, before); // same content: share the previous version's object
      policies.push(byKey.get(key)!.policy);
    }
    if (last) for (const key of last.byKey.keys()) if (!byKey.has(key)) removed.push(key);
    const namespaces = diffNamespaces(last?.snapshot.namespaceLabels ?? {}, state.namespaceLabels);
    // Renamed container ports change what a named-port rule allows, so they make a version too.
    const workloadPorts = state.workloadPorts ?? [];
    const portsChanged = stableJson(last?.snapshot.workloadPorts ?? []) !== stableJson(workloadPorts);
    if (last && added.length + changed.length + removed.length + namespaces.length === 0 && !portsChanged) return null;

    const sinceMs = Math.max(this.now(), last?.sinceMs ?? 0);
    const version = (last?.snapshot.version ?? 0) + 1;
    const since = new Date(sinceMs).toISOString();
    policies.sort((a, b) => compareKeys(policyKey(a), policyKey(b)));
    const sharedPorts = !portsChanged && last?.snapshot.workloadPorts ? last.snapshot.workloadPorts : workloadPorts;
    const snapshot = freeze({ policies, namespaceLabels: state.namespaceLabels, workloadPorts: sharedPorts, settings: this.settings, version, since });
    const change: PolicyChange = { version, since, added: added.sort(compareKeys), changed: changed.sort(compareKeys), removed: removed.sort(compareKeys), namespaces };
    this.versions.push({ snapshot, sinceMs, change, problems: this.latestProblems, byKey });
    if (this.versions.length > this.maxVersions) this.versions.splice(0, this.versions.length - this.maxVersions);
    return change;
  }

  current(): PolicySnapshot {
    return this.versions.at(-1)?.snapshot ?? this.placeholder;
  }

  /** The version in force at `timeMs`: the newest one seen at or before it, else the oldest kept. */
  at(timeMs: number): PolicySnapshot {
    const v = this.versionAt(timeMs);
    return v?.snapshot ?? this.placeholder;
  }

  /** The load problems of the version in force at `timeMs` (the current ones without a time). */
  problems(timeMs?: number): readonly PolicyProblem[] {
    if (timeMs === undefined) return this.latestProblems;
    return this.versionAt(timeMs)?.problems ?? this.latestProblems;
  }

  /** Every kept version's change, oldest first. */
  changes(): PolicyChange[] {
    return this.versions.map((v) => v.change);
  }

  private versionAt(timeMs: number): Version | undefined {
    if (this.versions.length === 0) return undefined;
    if (!Number.isFinite(timeMs)) return this.versions.at(-1);
    // Binary search: the last version with sinceMs <= timeMs.
    let lo = 0;
    let hi = this.versions.length - 1;
    if (this.versions[0].sinceMs > timeMs) return this.versions[0];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.versions[mid].sinceMs <= timeMs) lo = mid;
      else hi = mid - 1;
    }
    return this.versions[lo];
  }
}

/** At most MAX_PROBLEMS (the last one says how many more), and the previous array when equal, so versions share it. */
function boundProblems(problems: readonly PolicyProblem[], previous: readonly PolicyProblem[] | undefined): readonly PolicyProblem[] {
  const bounded =
    problems.length <= MAX_PROBLEMS
      ? problems
      : [...problems.slice(0, MAX_PROBLEMS - 1), { where: "(more)", message: `${problems.length - MAX_PROBLEMS + 1} more problems not shown` }];
  if (previous && previous.length === bounded.length && previous.every((p, i) => p.where === bounded[i].where && p.message === bounded[i].message)) return previous;
  return bounded;
}

function diffNamespaces(before: NamespaceLabels, after: NamespaceLabels): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => stableJson(before[n] ?? null) !== stableJson(after[n] ?? null)).sort(compareKeys);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function freeze(s: PolicySnapshot): PolicySnapshot {
  return Object.freeze({ ...s, policies: Object.freeze([...s.policies]) });
}
