// A PolicySet compiled once into RuleBlocks. Never throws: unusable policies and rules become
// problems. The compiled set caches, per subject identity, which blocks select it, so explaining
// a stream of flows between the same workloads does the selector work once.

import { compileCiliumPolicy } from "./cilium";
import { compileNetworkPolicy } from "./knp";
import type { Prefix } from "../filters/ip";
import { LabelSet } from "./labels";
import { buildNamedPortIndex } from "./named-ports";
import { type CidrGroup, parseCidr } from "./peers";
import type { CompiledPolicySet, RuleBlock } from "./model";
import { type PolicyObject, type PolicyProblem, type PolicySet, policyKey } from "./types";

export type { CompiledPolicySet } from "./model";

const KIND_ORDER = { CiliumNetworkPolicy: 0, NetworkPolicy: 1, CiliumClusterwideNetworkPolicy: 2, CiliumCIDRGroup: 3 } as const;

export function compilePolicySet(set: PolicySet): CompiledPolicySet {
  const blocks: RuleBlock[] = [];
  const problems: PolicyProblem[] = [];
  const byKey = new Map<string, PolicyObject>();
  const given: readonly PolicyObject[] = Array.isArray(set?.policies) ? set.policies : [];
  const policies = [...given].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const groups = cidrGroups(policies, problems);
  for (const p of policies) {
    if (p.kind === "CiliumCIDRGroup") {
      byKey.set(policyKey(p), p);
      continue;
    }
    const where = `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`;
    try {
      const r = p.kind === "NetworkPolicy" ? compileNetworkPolicy(p) : compileCiliumPolicy(p, set.settings, groups);
      blocks.push(...r.blocks);
      for (const m of r.problems) problems.push({ where, message: m });
      byKey.set(policyKey(p), p);
    } catch (e) {
      // A bug or an object shape nobody anticipated: report it, keep the rest usable.
      problems.push({ where, message: `could not be compiled: ${(e instanceof Error ? e.message : String(e)).slice(0, 200)}` });
    }
  }
  const hasNamedPorts = blocks.some((b) =>
    [b.allow.ingress, b.allow.egress, b.deny.ingress, b.deny.egress].some((rules) => rules.some((r) => r.ports?.some((p) => p.named !== undefined))),
  );
  return { set, blocks, problems, byKey, namedPorts: buildNamedPortIndex(set?.workloadPorts), hasNamedPorts, selectingCache: new Map(), suggestionCache: new Map() };
}

/** CiliumCIDRGroups by name, for `cidrGroupRef`/`cidrGroupSelector`; a bad CIDR is reported and skipped. */
function cidrGroups(objects: readonly PolicyObject[], problems: PolicyProblem[]): Map<string, CidrGroup> {
  const out = new Map<string, CidrGroup>();
  for (const p of objects) {
    if (p.kind !== "CiliumCIDRGroup") continue;
    const spec = (p.object.spec ?? {}) as Record<string, unknown>;
    const metadata = (p.object.metadata ?? {}) as Record<string, unknown>;
    const list = Array.isArray(spec.externalCIDRs) ? spec.externalCIDRs : [];
    const cidrs: { text: string; prefix: Prefix }[] = [];
    for (const c of list) {
      const prefix = typeof c === "string" ? parseCidr(c) : null;
      if (prefix) cidrs.push({ text: c as string, prefix });
      else problems.push({ where: `CiliumCIDRGroup ${p.name}`, message: `invalid CIDR ${JSON.stringify(String(c).slice(0, 60))} in spec.externalCIDRs is ignored` });
    }
    const labels = metadata.labels && typeof metadata.labels === "object" ? Object.entries(metadata.labels as Record<string, unknown>) : [];
    out.set(p.name, {
      name: p.name,
      labels: new LabelSet(labels.filter(([, v]) => typeof v === "string").map(([key, value]) => ({ source: "cidrgroup", key, value: value as string }))),
      cidrs,
    });
  }
  return out;
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
