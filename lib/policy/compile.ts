// A PolicySet compiled once into RuleBlocks. Never throws: unusable policies and rules become
// problems. The compiled set caches, per subject identity, which blocks select it, so explaining
// a stream of flows between the same workloads does the selector work once.

import { compileCiliumPolicy } from "./cilium";
import { compileNetworkPolicy } from "./knp";
import type { LabelSet } from "./labels";
import type { CompiledPolicySet, RuleBlock } from "./model";
import { type PolicyObject, type PolicyProblem, type PolicySet, policyKey } from "./types";

export type { CompiledPolicySet } from "./model";

const KIND_ORDER = { CiliumNetworkPolicy: 0, NetworkPolicy: 1, CiliumClusterwideNetworkPolicy: 2 } as const;

export function compilePolicySet(set: PolicySet): CompiledPolicySet {
  const blocks: RuleBlock[] = [];
  const problems: PolicyProblem[] = [];
  const byKey = new Map<string, PolicyObject>();
  const given: readonly PolicyObject[] = Array.isArray(set?.policies) ? set.policies : [];
  const policies = [...given].sort(
    (a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
  for (const p of policies) {
    const where = `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`;
    try {
      const r = p.kind === "NetworkPolicy" ? compileNetworkPolicy(p) : compileCiliumPolicy(p, set.settings);
      blocks.push(...r.blocks);
      for (const m of r.problems) problems.push({ where, message: m });
      byKey.set(policyKey(p), p);
    } catch (e) {
      // A bug or an object shape nobody anticipated: report it, keep the rest usable.
      problems.push({ where, message: `could not be compiled: ${(e instanceof Error ? e.message : String(e)).slice(0, 200)}` });
    }
  }
  return { set, blocks, problems, byKey, selectingCache: new Map(), suggestionCache: new Map() };
}

const CACHE_LIMIT = 4096;

/** Blocks whose subject selector matches this endpoint (cached by its labels). */
export function selectingBlocks(c: CompiledPolicySet, labels: LabelSet, kind: "pod" | "host", cacheKey: string): readonly RuleBlock[] {
  const key = `${kind}\n${cacheKey}`;
  const hit = c.selectingCache.get(key);
  if (hit) return hit;
  const found = c.blocks.filter((b) => b.selects(labels, kind));
  if (c.selectingCache.size >= CACHE_LIMIT) c.selectingCache.clear();
  c.selectingCache.set(key, found);
  return found;
}
