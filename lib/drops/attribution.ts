// Which policies a drop is charged to. One rule, shared by the table's policy column, the Drops
// view, the map's edge labels and the `policy=` view filter, so they always agree:
//   1. the explainer's answer when it says "denied": its decisive rule's policy, else the policies
//      that isolate the endpoint (default deny);
//   2. else Hubble's own `*_denied_by` (explicit deny rules; present without any policy loaded).
// Pure.

import type { FlowRow, PolicyRef } from "../flow-model";
import { type Explanation, POLICY_KINDS, type PolicyId, type PolicyKind, policyKey, uniquePolicyIds } from "../policy/types";

/** Flows the drop investigation looks at: dropped, and would-be drops reported by audit mode. */
export function isInvestigatedDrop(row: Pick<FlowRow, "verdict">): boolean {
  return row.verdict === "DROPPED" || row.verdict === "AUDIT";
}

/** Where the answer came from: the explainer, Hubble's denied_by, or nowhere. */
export type AttributionSource = "explanation" | "hubble" | "none";

export interface DropAttribution {
  readonly policies: readonly PolicyId[];
  /** "decisive": one rule decided (deny rule, L7); "isolating": default deny by these policies. */
  readonly role: "decisive" | "isolating" | "hubble" | "none";
  readonly source: AttributionSource;
}

const NONE: DropAttribution = { policies: [], role: "none", source: "none" };

export function attributeDrop(row: Pick<FlowRow, "deniedBy">, explanation: Explanation | undefined): DropAttribution {
  if (explanation && explanation.verdict === "denied") {
    if (explanation.decisive) return { policies: [idOf(explanation.decisive)], role: "decisive", source: "explanation" };
    if (explanation.isolating.length > 0) return { policies: uniquePolicyIds(explanation.isolating), role: "isolating", source: "explanation" };
  }
  const hubble = row.deniedBy.map(fromHubble).filter((p): p is PolicyId => p !== undefined);
  if (hubble.length > 0) return { policies: uniquePolicyIds(hubble), role: "hubble", source: "hubble" };
  return NONE;
}

/** `policyKey`s of the attribution, for matching the `policy=` view parameter. */
export function attributedKeys(a: DropAttribution): string[] {
  return a.policies.map(policyKey);
}

/** "payments/default-deny", "deny-frontend-to-data" (cluster-wide): the short name tables show. */
export function policyShortName(p: PolicyId): string {
  return p.namespace ? `${p.namespace}/${p.name}` : p.name;
}

/** "NetworkPolicy payments/default-deny": with the kind, for titles and tooltips. */
export function policyLongName(p: PolicyId): string {
  return `${p.kind} ${policyShortName(p)}`;
}

function idOf(p: PolicyId): PolicyId {
  return { kind: p.kind, namespace: p.namespace, name: p.name };
}

function fromHubble(p: PolicyRef): PolicyId | undefined {
  if (!(POLICY_KINDS as readonly string[]).includes(p.kind) || !p.name) return undefined;
  const kind = p.kind as PolicyKind;
  return { kind, namespace: kind === "CiliumClusterwideNetworkPolicy" ? "" : p.namespace, name: p.name };
}

/** Whether the drop is charged to the policy with this `policyKey` (the `policy=` view filter). */
export function chargedTo(a: DropAttribution, key: string): boolean {
  return a.policies.some((p) => policyKey(p) === key);
}

/** The table's policy cell for a drop: short names, and the kinds and the role in the title. */
export function policyCell(a: DropAttribution): { text: string; title: string } | undefined {
  if (a.policies.length === 0) return undefined;
  const how = a.role === "isolating" ? "default deny, isolated by" : a.role === "decisive" ? "denied by" : "denied by (Hubble)";
  return { text: a.policies.map(policyShortName).join(", "), title: a.policies.map((p) => `${how} ${policyLongName(p)}`).join("\n") };
}

/** The inverse of `policyKey`; undefined for text that is not a policy key. */
export function parsePolicyKey(key: string): PolicyId | undefined {
  const parts = key.split("/");
  const kind = parts[0];
  if (!(POLICY_KINDS as readonly string[]).includes(kind)) return undefined;
  const k = kind as PolicyKind;
  if (k === "CiliumClusterwideNetworkPolicy") return parts.length === 2 && parts[1] ? { kind: k, namespace: "", name: parts[1] } : undefined;
  return parts.length === 3 && parts[1] && parts[2] ? { kind: k, namespace: parts[1], name: parts[2] } : undefined;
}
