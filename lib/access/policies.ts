import { compileSelector, LabelSet, NAMESPACE_LABELS_PREFIX, POD_NAMESPACE, requirementHolds, type Label } from "@/lib/policy/labels";
import { isClusterScoped, type NamespaceLabels, type PolicyObject, type PolicySet } from "@/lib/policy/types";
import { canSeeNamespace, type NamespaceAccess } from "./scope";

// The policies a person with namespace-scoped access may read: the namespaced ones (NetworkPolicy,
// CiliumNetworkPolicy) of their namespaces, the cluster-wide ones (CiliumClusterwideNetworkPolicy)
// whose endpoint selector can select an endpoint in one of them, and the CiliumCIDRGroups (address
// groups, no selector: policies refer to them). Host policies (nodeSelector) select nodes, not
// namespaces, and are left out. Namespace labels are kept only for their namespaces.

export function policyVisible(p: PolicyObject, access: NamespaceAccess, namespaceLabels: NamespaceLabels): boolean {
  if (access.all) return true;
  if (p.kind === "CiliumCIDRGroup") return true;
  if (!isClusterScoped(p.kind)) return canSeeNamespace(access, p.namespace);
  return clusterwideSelects(p.object, access, namespaceLabels);
}

/** A policy set as `access` may read it (the same object when it may read everything). */
export function scopePolicySet<T extends PolicySet>(set: T, access: NamespaceAccess): T {
  if (access.all) return set;
  const namespaceLabels: Record<string, Readonly<Record<string, string>>> = {};
  for (const [ns, labels] of Object.entries(set.namespaceLabels)) if (canSeeNamespace(access, ns)) namespaceLabels[ns] = labels;
  return {
    ...set,
    policies: set.policies.filter((p) => policyVisible(p, access, set.namespaceLabels)),
    namespaceLabels,
    ...(set.workloadPorts ? { workloadPorts: set.workloadPorts.filter((w) => canSeeNamespace(access, w.namespace)) } : {}),
  };
}

/**
 * A policy key ("Kind/ns/name", "Kind/name") `access` may read: namespaced keys by their
 * namespace, cluster-scoped ones when `visibleKeys` (the keys of a scoped set) holds them.
 */
export function policyKeyVisible(key: string, access: NamespaceAccess, visibleKeys: ReadonlySet<string>): boolean {
  if (access.all) return true;
  const parts = key.split("/");
  if (parts.length >= 3) return canSeeNamespace(access, parts[1]!);
  return visibleKeys.has(key);
}

function clusterwideSelects(object: Readonly<Record<string, unknown>>, access: NamespaceAccess, namespaceLabels: NamespaceLabels): boolean {
  if (access.all) return true;
  const specs: unknown[] = [];
  if (isRecord(object.spec)) specs.push(object.spec);
  if (Array.isArray(object.specs)) specs.push(...object.specs);
  return specs.some((spec) => {
    if (!isRecord(spec) || spec.endpointSelector === undefined) return false; // a host policy (nodeSelector), or no selector
    const selector = compileSelector(spec.endpointSelector);
    if (typeof selector === "string") return false;
    // Only what the selector says about the namespace counts: other labels (app=…) may match
    // some pod in any namespace.
    const about = selector.requirements.filter((r) => r.key === POD_NAMESPACE || r.key.startsWith(NAMESPACE_LABELS_PREFIX));
    return [...access.namespaces].some((ns) => {
      const labels: Label[] = [{ source: "k8s", key: POD_NAMESPACE, value: ns }];
      for (const [k, v] of Object.entries(namespaceLabels[ns] ?? {})) labels.push({ source: "k8s", key: `${NAMESPACE_LABELS_PREFIX}${k}`, value: v });
      const set = new LabelSet(labels);
      return about.every((r) => requirementHolds(r, set));
    });
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
