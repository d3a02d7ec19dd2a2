import "server-only";

import { compilePolicySet, type CompiledPolicySet } from "@/lib/policy";
import type { ClusterSettings } from "@/lib/policy/types";
import type { PolicySnapshot } from "./history";

// Compiling a set is the expensive part of explaining a flow; a dashboard explains many flows
// against the same few versions ("in force then" and "now"). Versions never change once made, so
// (version, settings) is a complete key. Small and LRU: old versions are asked for rarely.

export class CompiledPolicyCache {
  private readonly entries = new Map<string, CompiledPolicySet>();

  constructor(private readonly capacity = 8) {}

  get(snapshot: PolicySnapshot, settings: ClusterSettings = snapshot.settings): CompiledPolicySet {
    const key = `${snapshot.version}\0${snapshot.since}\0${JSON.stringify(settings)}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const compiled = compilePolicySet({ policies: snapshot.policies, namespaceLabels: snapshot.namespaceLabels, workloadPorts: snapshot.workloadPorts, settings });
    this.entries.set(key, compiled);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return compiled;
  }
}
