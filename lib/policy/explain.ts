// explainFlow: one Hubble flow + the compiled policies → an Explanation (policy-semantics.md §1,
// §11, §12). Picks the enforcement point (Hubble's traffic_direction for drops, otherwise
// egress at the source then ingress at the destination), evaluates it, and lets Hubble's own
// `*_allowed_by` / `*_denied_by` override the verdict when present.

import { type FlowFacts, type FlowSide, readFlow, unwrapFlow, bound, ExplainInputError } from "./flow";
import { type SideResult, evaluateSide, l4Text } from "./evaluate";
import { httpWhyNot } from "./l7";
import type { CompiledPolicySet, RuleBlock } from "./model";
import { describeSide, endpointName, policyText, reasonFor } from "./reason";
import { suggestionFor } from "./suggest";
import { type Direction, type Explanation, type IsolatingPolicy, type NearMiss, type PolicyId, type RuleRef, policyKey } from "./types";

export { ExplainInputError };

const POLICY_DROPS = new Set([133, 181, 189]);

export function explainFlow(flow: unknown, compiled: CompiledPolicySet): Explanation {
  const obj = unwrapFlow(flow);
  try {
    const facts = readFlow(obj, compiled.set?.namespaceLabels ?? {});
    return ordered(explainFacts(facts, compiled));
  } catch (e) {
    if (e instanceof ExplainInputError) throw e;
    // Hostile input must never take the table down; say what happened instead.
    return {
      verdict: "allowed",
      decision: "not-enforced",
      evidence: "policies",
      enforcementPoint: null,
      decisive: null,
      isolating: [],
      nearMisses: [],
      reason: bound(`The flow could not be explained: ${e instanceof Error ? e.message : String(e)}`),
      suggestion: null,
    };
  }
}

/** The documented field order, so the JSON reads the same everywhere. */
function ordered(e: Explanation): Explanation {
  return {
    verdict: e.verdict,
    decision: e.decision,
    evidence: e.evidence,
    enforcementPoint: e.enforcementPoint,
    decisive: e.decisive,
    isolating: e.isolating,
    nearMisses: e.nearMisses,
    reason: e.reason,
    suggestion: e.suggestion,
  };
}

interface Evaluated {
  readonly side: FlowSide;
  readonly direction: Direction;
  readonly peer: FlowSide;
  readonly result: SideResult;
}

function isEndpoint(s: FlowSide): boolean {
  return s.kind !== "other";
}

function denies(r: SideResult): boolean {
  return r.kind === "deny-rule" || r.kind === "default-deny" || r.kind === "l7-deny";
}

export function explainFacts(f: FlowFacts, c: CompiledPolicySet): Explanation {
  const src = f.source;
  const dst = f.destination;
  const dropNote = dropPrefix(f);

  if (!isEndpoint(src) && !isEndpoint(dst)) {
    return base({
      verdict: "allowed",
      decision: "not-enforced",
      enforcementPoint: null,
      reason: `${dropNote}Neither side is a Cilium endpoint (${describeSide(src)} → ${describeSide(dst)}), so no network policy applies.`,
    });
  }

  if (f.isReply === true) {
    const point = isEndpoint(dst) ? { endpoint: endpointName(dst), direction: "ingress" as const } : { endpoint: endpointName(src), direction: "egress" as const };
    return base({
      verdict: "allowed",
      decision: "implicit-allow",
      enforcementPoint: point,
      reason: `${dropNote}This is a reply on an established connection (${describeSide(src)} → ${describeSide(dst)}); connection tracking lets replies through without a policy check.${
        f.l7?.kind === "http" && f.l7.code === 403 ? " An HTTP 403 response is how the L7 proxy answers a refused request: explain the matching request record to see which rule refused it." : ""
      }`,
    });
  }

  const { chosen: evaluated, other } = evaluate(f, c);
  const hubble = hubbleEvidence(f);
  if (hubble) return withHubbleEvidence(f, c, hubble, evaluated, dropNote);
  const chosen = evaluated;
  if (!chosen) {
    return base({ verdict: "allowed", decision: "not-enforced", enforcementPoint: null, reason: `${dropNote}No enforcement point could be determined for this flow.` });
  }
  const out = fromSide(f, c, chosen, dropNote + policyDisagreement(f, chosen));
  if (out.suggestion && chosen.direction === "egress") return withOtherSide(f, c, out);
  // Allowed flows are reported at ingress; say what the source's egress policy did too.
  if (out.verdict === "allowed" && other?.result.kind === "allowed") {
    const m = other.result.primary;
    return { ...out, reason: bound(`${out.reason} Egress at ${endpointName(other.side)} is allowed by ${policyText(m.block.policy)} ${m.rule.path}.`, 600) };
  }
  return out;
}

/** An egress denial fixed alone may still meet the destination's ingress default-deny: say so. */
function withOtherSide(f: FlowFacts, c: CompiledPolicySet, e: Explanation): Explanation {
  if (!isEndpoint(f.destination) || !e.suggestion) return e;
  const r = evaluateSide(c, { endpoint: f.destination, direction: "ingress", peer: f.source }, f);
  if (!denies(r)) return e;
  const summary = bound(`${e.suggestion.summary} The ingress policy of ${endpointName(f.destination)} would also need a rule for it.`, 500);
  return { ...e, suggestion: { summary, yaml: e.suggestion.yaml } };
}

/** The point Hubble says dropped it, or egress-then-ingress (`other`: the egress side when ingress is reported). */
function evaluate(f: FlowFacts, c: CompiledPolicySet): { chosen: Evaluated | undefined; other?: Evaluated } {
  const egress = (): Evaluated | undefined =>
    isEndpoint(f.source) ? { side: f.source, direction: "egress", peer: f.destination, result: evaluateSide(c, { endpoint: f.source, direction: "egress", peer: f.destination }, f) } : undefined;
  const ingress = (): Evaluated | undefined =>
    isEndpoint(f.destination) ? { side: f.destination, direction: "ingress", peer: f.source, result: evaluateSide(c, { endpoint: f.destination, direction: "ingress", peer: f.source }, f) } : undefined;
  const policyDrop = f.verdict === "DROPPED" && (f.dropReason ? POLICY_DROPS.has(f.dropReason.code) : f.eventType === 129 || f.l7 !== undefined);
  // An L7 record comes from the proxy at one side: that side is the point, whatever the verdict.
  if ((policyDrop || f.l7 !== undefined) && f.direction) {
    const forced = f.direction === "egress" ? egress() : ingress();
    if (forced) return { chosen: forced };
  }
  const e = egress();
  if (e && denies(e.result)) return { chosen: e };
  const i = ingress();
  if (i && denies(i.result)) return { chosen: i };
  return i ? { chosen: i, ...(e ? { other: e } : {}) } : { chosen: e };
}

function dropPrefix(f: FlowFacts): string {
  if (f.verdict === "AUDIT") return "Policy audit mode: Hubble forwarded this flow but reports it would have been dropped (AUDIT); ";
  if (f.verdict !== "DROPPED" || !f.dropReason || POLICY_DROPS.has(f.dropReason.code)) return "";
  return `Dropped for ${f.dropReason.name}, not by policy; `;
}

/** A policy drop the given policies would not have made: say so, the policies may be stale. */
function policyDisagreement(f: FlowFacts, e: Evaluated): string {
  if (f.verdict !== "DROPPED") return "";
  const r = e.result;
  if (denies(r)) return "";
  if (f.dropReason?.code === 189) {
    return "Hubble reports AUTH_REQUIRED: an allow rule requires mutual authentication (authentication.mode: required) and the peers had not authenticated; ";
  }
  if (f.dropReason && POLICY_DROPS.has(f.dropReason.code)) {
    return `Hubble reports a ${f.dropReason.name} drop${f.direction ? ` at ${f.direction}` : ""}, but the given policies allow it (they may differ from the cluster's); `;
  }
  if (!f.dropReason && (f.eventType === 129 || f.l7)) return "Hubble reports the L7 proxy refused this request, but the given policies allow it (they may differ from the cluster's); ";
  return "";
}

function base(p: Pick<Explanation, "verdict" | "decision" | "enforcementPoint" | "reason"> & Partial<Explanation>): Explanation {
  return {
    evidence: "policies",
    decisive: null,
    isolating: [],
    nearMisses: [],
    suggestion: null,
    ...p,
    reason: bound(p.reason, 600),
  };
}

function ref(b: RuleBlock, rule: string): RuleRef {
  return { kind: b.policy.kind, namespace: b.policy.namespace, name: b.policy.name, rule };
}

export function isolatingFrom(blocks: readonly RuleBlock[], direction: Direction): IsolatingPolicy[] {
  const seen = new Set<string>();
  const out: IsolatingPolicy[] = [];
  for (const b of blocks) {
    const k = policyKey(b.policy);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ kind: b.policy.kind, namespace: b.policy.namespace, name: b.policy.name, direction });
  }
  return out;
}

function fromSide(f: FlowFacts, c: CompiledPolicySet, e: Evaluated, prefix: string): Explanation {
  const point = { endpoint: endpointName(e.side), direction: e.direction };
  const r = e.result;
  const reason = prefix + reasonFor(f, e.side, e.direction, e.peer, r);
  switch (r.kind) {
    case "not-enforced":
      return base({ verdict: "allowed", decision: "not-enforced", enforcementPoint: point, reason });
    case "implicit-allow":
      return base({ verdict: "allowed", decision: "implicit-allow", enforcementPoint: point, reason });
    case "allowed":
      return base({
        verdict: "allowed",
        decision: "allow-rule",
        enforcementPoint: point,
        decisive: ref(r.primary.block, r.l7.kind === "allowed" ? r.l7.rulePath : r.primary.rule.path),
        reason,
      });
    case "deny-rule":
      return base({
        verdict: "denied",
        decision: "deny-rule",
        enforcementPoint: point,
        decisive: ref(r.match.block, r.match.rule.path),
        reason,
        suggestion: suggestionFor(f, c, e.side, e.direction, e.peer, r),
      });
    case "l7-deny": {
      const section = r.l7.rules[0]!;
      const nearMisses: NearMiss[] = r.l7.tried.slice(0, 5).map((t) => ({
        ...ref(r.primary.block, t.path),
        failed: ["l7"],
        why: bound(l7WhyNot(f, t)),
      }));
      return base({
        verdict: "denied",
        decision: "l7-deny",
        enforcementPoint: point,
        decisive: ref(r.primary.block, `${section.path}${section.http ? ".http" : section.dns ? ".dns" : section.kafka ? ".kafka" : ""}`),
        isolating: [],
        nearMisses,
        reason,
        suggestion: suggestionFor(f, c, e.side, e.direction, e.peer, r),
      });
    }
    case "default-deny":
      return base({
        verdict: "denied",
        decision: "default-deny",
        enforcementPoint: point,
        isolating: isolatingFrom(r.isolating, e.direction),
        nearMisses: r.nearMisses.map((n) => ({ ...ref(n.block, n.path), failed: n.failed, why: bound(n.why) })),
        reason,
        suggestion: suggestionFor(f, c, e.side, e.direction, e.peer, r),
      });
  }
}

function l7WhyNot(f: FlowFacts, t: { text: string; path: string }): string {
  const req = f.l7;
  if (req?.kind === "http" && "headers" in t) return httpWhyNot(t as Parameters<typeof httpWhyNot>[0], req);
  if (req?.kind === "dns") return `query ${JSON.stringify(req.query.slice(0, 120))} does not match ${t.text}`;
  if (req?.kind === "kafka") return `${req.apiKey} on topic ${JSON.stringify(req.topic.slice(0, 80))} does not match ${t.text}`;
  return `does not match ${t.text}`;
}

interface HubbleNamed {
  readonly direction: Direction;
  readonly denied: boolean;
  readonly policies: readonly PolicyId[];
}

function hubbleEvidence(f: FlowFacts): HubbleNamed | undefined {
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

function withHubbleEvidence(f: FlowFacts, c: CompiledPolicySet, h: HubbleNamed, evaluated: Evaluated | undefined, dropNote: string): Explanation {
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
    (ours.verdict === "denied") === h.denied &&
    ((ours.decisive !== null && namedKeys.has(policyKey(ours.decisive))) || ours.isolating.some((p) => namedKeys.has(policyKey(p))));
  if (agrees) return { ...ours, evidence: "hubble", reason: bound(`${dropNote}Hubble names ${namesText}. ${ours.reason}`, 600) };
  const first = named[0]!;
  const rule = findRule(c, first, h, e);
  const decisive: RuleRef = { ...first, rule };
  const unknown = !c.byKey.has(policyKey(first));
  const ourText = `the given policies imply: ${ours.reason}`;
  const mismatch = unknown
    ? `${namesText} is not among the given policies, so the rule cannot be shown; ${ourText}`
    : `the given policies disagree — ${ourText}`;
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
