import "server-only";
import { scopePolicySet } from "@/lib/access/policies";
import { accessKey, type NamespaceAccess } from "@/lib/access/scope";
import type { CompiledPolicySet } from "@/lib/policy";
import type { ClusterSettings } from "@/lib/policy/types";
import { CompiledPolicyCache } from "@/server/policies/compiled-cache";
import type { PolicySnapshot } from "@/server/policies";

// Policy snapshots as one person may read them (lib/access/policies.ts), and their compiled form
// for the explainer, memoized per (version, access): a version never changes once made, and a team
// has few distinct accesses. Everyone who may see every namespace shares the unscoped set.

const MAX_ACCESSES = 64;

export class ScopedPolicies {
  private readonly snapshots = new Map<string, PolicySnapshot>();
  private readonly compiled = new Map<string, CompiledPolicyCache>();

  snapshot(snapshot: PolicySnapshot, access: NamespaceAccess): PolicySnapshot {
    if (access.all) return snapshot;
    const key = `${snapshot.version}\0${snapshot.since}\0${accessKey(access)}`;
    let hit = this.snapshots.get(key);
    if (!hit) {
      hit = scopePolicySet(snapshot, access);
      this.snapshots.set(key, hit);
      if (this.snapshots.size > MAX_ACCESSES * 2) this.snapshots.delete(this.snapshots.keys().next().value!);
    }
    return hit;
  }

  compile(snapshot: PolicySnapshot, access: NamespaceAccess, settings?: ClusterSettings): CompiledPolicySet {
    const key = accessKey(access);
    let cache = this.compiled.get(key);
    if (!cache) {
      cache = new CompiledPolicyCache(4);
      this.compiled.set(key, cache);
      if (this.compiled.size > MAX_ACCESSES) this.compiled.delete(this.compiled.keys().next().value!);
    }
    return cache.get(this.snapshot(snapshot, access), settings);
  }
}
