// Hubble's own word: a policy-verdict event names the policies in `*_allowed_by` /
// `*_denied_by`. The explanation then agrees with Hubble (evidence "hubble"); when the given
// policies disagree or lack the named policy, the reason says so.

import { type Evaluated, fromSide } from "./answer";
import { evaluateSide, l4Text } from "./evaluate";
import { bound, type FlowFacts } from "./flow";
import type { CompiledPolicySet } from "./model";
import { endpointName } from "./reason";
import { type Direction, type Explanation, type PolicyId, type RuleRef, policyKey } from "./types";

export interface HubbleNamed {
  readonly direction: Direction;
  readonly denied: boolean;
  readonly policies: readonly PolicyId[];
}

export function hubbleEvidence(f: FlowFacts): HubbleNamed | undefined {
  for (const direction of ["ingress", "egress"] as const) {
    if (f.deniedBy[direction].length) return { direction, denied: true, policies: f.deniedBy[direction] };
  }
  for (const direction of ["ingress", "egress"] as const) {
    if (f.allowedBy[direction].length) return { direction, denied: false, policies: f.allowedBy[direction] };
  }
  return undefined;
}

/** Resolve a Hubble-named policy against the set (older agents omit `kind`). */
function resolveNamed(c: CompiledPolicySet, p: PolicyId): PolicyId {
  if (c.byKey.has(policyKey(p))) return p;
  for (const kind of ["CiliumNetworkPolicy", "NetworkPolicy", "CiliumClusterwideNetworkPolicy"] as const) {
    const alt = { kind, namespace: kind === "CiliumClusterwideNetworkPolicy" ? "" : p.namespace, name: p.name };
    if (c.byKey.has(policyKey(alt))) return alt;
  }
  return p;
}

export function withHubbleEvidence(f: FlowFacts, c: CompiledPolicySet, h: HubbleNamed, evaluated: Evaluated | undefined, dropNote: string): Explanation {
  const sideFlow = h.direction === "egress" ? f.source : f.destination;
  const peer = h.direction === "egress" ? f.destination : f.source;
  const e: Evaluated =
    evaluated && evaluated.direction === h.direction
      ? evaluated
      : { side: sideFlow, direction: h.direction, peer, result: evaluateSide(c, { endpoint: sideFlow, direction: h.direction, peer }, f) };
  const named = h.policies.map((p) => resolveNamed(c, p));
  const namedKeys = new Set(named.map(policyKey));
  const ours = fromSide(f, c, e, "");
  const point = { endpoint: endpointName(sideFlow), direction: h.direction };
  const namesText = named.map((p) => `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`).join(", ");
  const agrees =
    (ours.verdict === "denied") === h.denied && ((ours.decisive !== null && namedKeys.has(policyKey(ours.decisive))) || ours.isolating.some((p) => namedKeys.has(policyKey(p))));
  if (agrees) return { ...ours, evidence: "hubble", reason: bound(`${dropNote}Hubble names ${namesText}. ${ours.reason}`, 600) };
  const first = named[0]!;
  const rule = findRule(c, first, h, e);
  const decisive: RuleRef = { ...first, rule };
  const unknown = !c.byKey.has(policyKey(first));
  const ourText = `the given policies imply: ${ours.reason}`;
  const mismatch = unknown ? `${namesText} is not among the given policies, so the rule cannot be shown; ${ourText}` : `the given policies disagree — ${ourText}`;
  if (h.denied) {
    const drop133 = f.dropReason?.code === 133;
    return {
      ...ours,
      verdict: "denied",
      decision: drop133 ? "default-deny" : "deny-rule",
      evidence: "hubble",
      enforcementPoint: point,
      decisive: drop133 ? null : decisive,
      isolating: drop133 ? named.map((p) => ({ ...p, direction: h.direction })) : ours.isolating,
      reason: bound(`${dropNote}Hubble reports ${namesText} denied this flow at ${h.direction} of ${point.endpoint} on ${l4Text(f.l4)}; ${mismatch}`, 600),
      suggestion:
        ours.suggestion ??
        (drop133
          ? null
          : {
              summary: bound(`Suggestion: the deny rule in ${namesText} must be narrowed so it no longer matches this flow; allow rules cannot override a deny.`, 400),
              yaml: "",
            }),
    };
  }
  return {
    ...ours,
    verdict: "allowed",
    decision: "allow-rule",
    evidence: "hubble",
    enforcementPoint: point,
    decisive,
    isolating: [],
    nearMisses: [],
    suggestion: null,
    reason: bound(`${dropNote}Hubble reports ${namesText} allowed this flow at ${h.direction} of ${point.endpoint}; ${mismatch}`, 600),
  };
}

/** The rule of a Hubble-named policy that matches this flow, if the given policies have one. */
function findRule(c: CompiledPolicySet, p: PolicyId, h: HubbleNamed, e: Evaluated): string {
  const key = policyKey(p);
  const r = e.result;
  if (r.kind === "deny-rule" && policyKey(r.match.block.policy) === key) return r.match.rule.path;
  if (r.kind === "allowed") {
    const m = r.matches.find((x) => policyKey(x.block.policy) === key);
    if (m) return m.rule.path;
  }
  const block = c.blocks.find((b) => policyKey(b.policy) === key);
  const list = block ? (h.denied ? block.deny[h.direction] : block.allow[h.direction]) : [];
  return list[0]?.path ?? "";
}
