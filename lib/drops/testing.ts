// Builders for the drops tests: explanations in the explainer's JSON form, fixed values.
import type { Explanation, IsolatingPolicy, RuleRef } from "../policy/types";

export function defaultDeny(isolating: readonly IsolatingPolicy[], direction: "ingress" | "egress" = "ingress"): Explanation {
  return {
    verdict: "denied",
    decision: "default-deny",
    evidence: "policies",
    enforcementPoint: { endpoint: "payments/payments-api", direction },
    decisive: null,
    isolating,
    nearMisses: [],
    reason: "No rule allows it and the endpoint is isolated.",
    suggestion: { summary: "Allow it", yaml: "kind: CiliumNetworkPolicy\n" },
  };
}

export function denyRule(decisive: RuleRef): Explanation {
  return {
    verdict: "denied",
    decision: "deny-rule",
    evidence: "hubble",
    enforcementPoint: { endpoint: "data/postgres", direction: "ingress" },
    decisive,
    isolating: [],
    nearMisses: [],
    reason: "A deny rule matched.",
    suggestion: null,
  };
}

export function allowed(decisive: RuleRef | null = null): Explanation {
  return {
    verdict: "allowed",
    decision: decisive ? "allow-rule" : "not-enforced",
    evidence: "policies",
    enforcementPoint: null,
    decisive,
    isolating: [],
    nearMisses: [],
    reason: "Allowed.",
    suggestion: null,
  };
}
