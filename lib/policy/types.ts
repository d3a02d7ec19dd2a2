// The policy explainer's contract: what goes in (policy objects, namespace labels, cluster
// settings, one flow in its `hubble observe -o json` form) and what comes out (an Explanation,
// in exactly the JSON form the README documents). Pure types and constants; shared by the
// explainer (lib/policy), the policy sources (server/policies), the API, the CLI and the UI.

// CiliumCIDRGroup is no policy, but policies refer to it (`cidrGroupRef`/`cidrGroupSelector`) and
// a change to it changes what they allow, so the sources, the history and the API carry it like one.
export const POLICY_KINDS = ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy", "CiliumCIDRGroup"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
/** The kinds Hubble names in `*_allowed_by` / `*_denied_by`. */
export const NETWORK_POLICY_KINDS = ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy"] as const;

/** Cluster-scoped kinds: namespace "" and keyed by name alone. */
export function isClusterScoped(kind: PolicyKind): boolean {
  return kind === "CiliumClusterwideNetworkPolicy" || kind === "CiliumCIDRGroup";
}

/** Which policy, as Hubble names it in `*_allowed_by` / `*_denied_by` (namespace "" for CCNP). */
export interface PolicyId {
  readonly kind: PolicyKind;
  readonly namespace: string;
  readonly name: string;
}

/** One network policy object as a user wrote it (kubectl YAML, or an object from the API). */
export interface PolicyObject extends PolicyId {
  /** `metadata.uid` and `metadata.resourceVersion` when the object came from the Kubernetes API. */
  readonly uid?: string;
  readonly resourceVersion?: string;
  /** Where it came from: "file policies/shop.yaml (document 3)", "kubernetes", "scenario shop". */
  readonly origin: string;
  /** The object as parsed (apiVersion, kind, metadata, spec / specs), untouched. */
  readonly object: Readonly<Record<string, unknown>>;
  /** The object as YAML, for display (the source document when there was one). */
  readonly yaml: string;
}

/** An object that could not be used, and why; reported and skipped, never fatal. */
export interface PolicyProblem {
  /** File and document, or kind/namespace/name. */
  readonly where: string;
  readonly message: string;
}

/** Namespace name → its labels (namespace selectors and `io.cilium.k8s.namespace.labels.*`). */
export type NamespaceLabels = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The cilium-agent options that change outcomes, by their agent flag names. */
export interface ClusterSettings {
  readonly "policy-enforcement-mode": "default" | "always" | "never";
  readonly "enable-host-firewall": boolean;
  readonly "allow-localhost": "auto" | "always" | "policy";
  readonly "enable-non-default-deny-policies": boolean;
  /** Node labels in node identities, needed by fromNodes/toNodes (Cilium's default: false). Optional: sets saved before it existed lack it. */
  readonly "enable-node-selector-labels"?: boolean;
}

/** Cilium's defaults for those options (Cilium 1.19). */
export const DEFAULT_SETTINGS: ClusterSettings = {
  "policy-enforcement-mode": "default",
  "enable-host-firewall": false,
  "allow-localhost": "auto",
  "enable-non-default-deny-policies": true,
  "enable-node-selector-labels": false,
};

/** A container port with a name (`containers[].ports[]`), what a rule's `port: "http"` refers to. */
export interface NamedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: "TCP" | "UDP" | "SCTP";
}

/** The named container ports of one workload's pods, from its manifest. */
export interface WorkloadPorts {
  readonly namespace: string;
  /** "Deployment shop/api", for reasons. */
  readonly workload: string;
  /** The pod template's labels: the pods that carry them have these ports. */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly ports: readonly NamedPort[];
}

/** Everything the explainer needs besides the flow. */
export interface PolicySet {
  readonly policies: readonly PolicyObject[];
  readonly namespaceLabels: NamespaceLabels;
  readonly settings: ClusterSettings;
  /** Named container ports of the workloads given with the policies (named-port rules need them). */
  readonly workloadPorts?: readonly WorkloadPorts[];
}

export type ExplanationVerdict = "allowed" | "denied";
export type ExplanationDecision = "allow-rule" | "deny-rule" | "default-deny" | "l7-deny" | "not-enforced" | "implicit-allow";
export type Direction = "ingress" | "egress";

export interface RuleRef extends PolicyId {
  /** 0-based path in the policy: `ingress[0]`, `egressDeny[1]`, `ingress[0].toPorts[0].rules.http[2]`,
   * `specs[1].ingress[0]` for a multi-rule CNP; `spec.ingress[0].from[1]` for a NetworkPolicy. */
  readonly rule: string;
}

export interface IsolatingPolicy extends PolicyId {
  readonly direction: Direction;
}

export interface NearMiss extends RuleRef {
  /** Which parts of the rule did not match. */
  readonly failed: readonly ("peer" | "port" | "protocol" | "l7")[];
  readonly why: string;
}

/** The explainer's answer for one flow; the JSON the CLI prints and POST /api/explain returns. */
export interface Explanation {
  readonly verdict: ExplanationVerdict;
  readonly decision: ExplanationDecision;
  readonly evidence: "hubble" | "policies";
  /** Where the decision was taken; null when neither side is a Cilium endpoint. */
  readonly enforcementPoint: { readonly endpoint: string; readonly direction: Direction } | null;
  readonly decisive: RuleRef | null;
  readonly isolating: readonly IsolatingPolicy[];
  readonly nearMisses: readonly NearMiss[];
  readonly reason: string;
  /** The smallest change that would allow a denied flow; null for allowed flows. */
  readonly suggestion: { readonly summary: string; readonly yaml: string } | null;
}

/** "CiliumNetworkPolicy/ns/name", "CiliumClusterwideNetworkPolicy/name": one key per policy. */
export function policyKey(p: PolicyId): string {
  return isClusterScoped(p.kind) ? `${p.kind}/${p.name}` : `${p.kind}/${p.namespace}/${p.name}`;
}

/** The distinct policies of a list, in first-seen order, as bare ids (no rule, no direction). */
export function uniquePolicyIds(list: readonly PolicyId[]): PolicyId[] {
  const seen = new Set<string>();
  const out: PolicyId[] = [];
  for (const p of list) {
    const k = policyKey(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ kind: p.kind, namespace: p.namespace, name: p.name });
  }
  return out;
}

/** One version of the policy set, as `GET /api/policies` lists the history. */
export interface PolicyHistoryEntry {
  readonly version: number;
  readonly since: string;
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

/** What `GET /api/policies` answers (server/http/policies.ts) and the browser reads. */
export interface PoliciesResponse {
  /** Where the set comes from; "investigation": the set saved with an investigation (never served by the API). */
  readonly source: "kubernetes" | "directory" | "demo" | "none" | "investigation";
  /** The source's own state: "error" with a message that says what to fix (e.g. RBAC). */
  readonly status: { readonly state: "loading" | "ready" | "error"; readonly message: string | null };
  readonly version: number;
  readonly since: string;
  readonly policies: readonly PolicyObject[];
  readonly namespaceLabels: NamespaceLabels;
  readonly settings: ClusterSettings;
  /**
   * Named container ports of the workloads given with the policies (directory source), which
   * rules with a named port (`port: "http"`) mean. Absent when the source knows none.
   */
  readonly workloadPorts?: readonly WorkloadPorts[];
  readonly problems: readonly PolicyProblem[];
  readonly history: readonly PolicyHistoryEntry[];
}

/**
 * The policy set a `GET /api/policies` answer (or an investigation's saved set) stands for: what
 * the browser compiles to explain flows exactly as the server's POST /api/explain does, named
 * ports included.
 */
export function policySetOf(r: Pick<PoliciesResponse, "policies" | "namespaceLabels" | "settings" | "workloadPorts">): PolicySet {
  return { policies: r.policies, namespaceLabels: r.namespaceLabels, settings: r.settings, ...(r.workloadPorts ? { workloadPorts: r.workloadPorts } : {}) };
}
