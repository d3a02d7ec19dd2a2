// Turning one enforcement point's result into the Explanation JSON: verdict, decision,
// decisive rule, isolating policies, near misses, reason and suggestion.

import { bound, type FlowFacts, type FlowSide } from "./flow";
import type { SideResult } from "./evaluate";
import { httpWhyNot } from "./l7";
import type { CompiledPolicySet, RuleBlock } from "./model";
import { endpointName, reasonFor } from "./reason";
import { suggestionFor } from "./suggest";
import { type Direction, type Explanation, type IsolatingPolicy, type NearMiss, type RuleRef, policyKey } from "./types";

/** One enforcement point and what the policies decided there. */
export interface Evaluated {
  readonly side: FlowSide;
  readonly direction: Direction;
  readonly peer: FlowSide;
  readonly result: SideResult;
}

export function isEndpoint(s: FlowSide): boolean {
  return s.kind !== "other";
}

export function denies(r: SideResult): boolean {
  return r.kind === "deny-rule" || r.kind === "default-deny" || r.kind === "l7-deny";
}

export function base(p: Pick<Explanation, "verdict" | "decision" | "enforcementPoint" | "reason"> & Partial<Explanation>): Explanation {
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

export function ref(b: RuleBlock, rule: string): RuleRef {
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

export function fromSide(f: FlowFacts, c: CompiledPolicySet, e: Evaluated, prefix: string): Explanation {
  const point = { endpoint: endpointName(e.side), direction: e.direction };
  const r = e.result;
  const reason = prefix + reasonFor(f, e.side, e.direction, e.peer, r);
  switch (r.kind) {
    case "not-enforced":
      return base({ verdict: "allowed", decision: "not-enforced", enforcementPoint: point, reason });
    case "implicit-allow":
      return base({ verdict: "allowed", decision: "implicit-allow", enforcementPoint: point, isolating: isolatingFrom(r.isolating, e.direction), reason });
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
