// explainFlow: one Hubble flow + the compiled policies → an Explanation (policy-semantics.md §1,
// §11, §12). Picks the enforcement point (Hubble's traffic_direction for drops, otherwise
// egress at the source then ingress at the destination), evaluates it, and lets Hubble's own
// `*_allowed_by` / `*_denied_by` override the verdict when present.

import { base, denies, type Evaluated, fromSide, isEndpoint, isolatingFrom, ref } from "./answer";
import { connectionOf, isL7Response, requestOf } from "./connection";
import { evaluateSide, isolatingAt, l4Text } from "./evaluate";
import { bound, ExplainInputError, type FlowFacts, readFlow, unwrapFlow } from "./flow";
import { hubbleEvidence, withHubbleEvidence } from "./hubble";
import type { CompiledPolicySet } from "./model";
import { describeSide, endpointName, policyText } from "./reason";
import type { Explanation, RuleRef } from "./types";

export { ExplainInputError };
export { isolatingFrom } from "./answer";

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

  // An L7 response is judged by the request it answers, at the proxy that saw the request.
  if (isL7Response(f)) return explainResponse(f, c, dropNote);
  if (f.isReply === true) return explainReply(f, c, dropNote);

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

function explainResponse(f: FlowFacts, c: CompiledPolicySet, dropNote: string): Explanation {
  const l7 = f.l7!;
  const what =
    l7.kind === "http"
      ? `HTTP${l7.code ? ` ${l7.code}` : ""} response to ${bound(`${l7.method} ${l7.url}`, 160)}`
      : l7.kind === "dns"
        ? `DNS response to ${bound(l7.query, 120)}`
        : "L7 response";
  const proxy = l7.kind === "http" && l7.code === 403 ? " (a 403 is how the L7 proxy answers a refused request)" : "";
  const e = explainFacts(requestOf(f), c);
  return { ...e, reason: bound(`${dropNote}This is the ${what}${proxy}; it is explained by the request it answers: ${e.reason}`, 600) };
}

/**
 * A reply passes on conntrack, without a policy check. What let it through is the rule that
 * allowed its connection (the server's ingress first, else the client's egress); the reply's own
 * point still lists the policies isolating it, which would drop the same packet as a new connection.
 */
function explainReply(f: FlowFacts, c: CompiledPolicySet, dropNote: string): Explanation {
  const replyAt = isEndpoint(f.destination) ? { side: f.destination, direction: "ingress" as const } : { side: f.source, direction: "egress" as const };
  const point = { endpoint: endpointName(replyAt.side), direction: replyAt.direction };
  const isolating = isolatingAt(c, replyAt.side, replyAt.direction);
  const conn = connectionOf(f);
  const client = conn.source;
  const server = conn.destination;
  const atServer = isEndpoint(server) ? evaluateSide(c, { endpoint: server, direction: "ingress", peer: client }, conn) : undefined;
  const atClient = isEndpoint(client) ? evaluateSide(c, { endpoint: client, direction: "egress", peer: server }, conn) : undefined;
  const connText = `${describeSide(client)} → ${describeSide(server)} on ${l4Text(conn.l4)}`;
  const head = `${dropNote}This is a reply on an established connection (${connText}); connection tracking lets replies through without a policy check.`;
  const names = uniqueNames(isolating);
  const isolatedText = names.count
    ? ` Nothing else would let it through: ${names.text} put${names.count === 1 ? "s" : ""} ${point.endpoint} in default-deny for ${point.direction}.`
    : "";
  const allowedAt =
    atServer?.kind === "allowed"
      ? { r: atServer, where: `ingress of ${endpointName(server)}` }
      : atClient?.kind === "allowed"
        ? { r: atClient, where: `egress of ${endpointName(client)}` }
        : undefined;
  let decisive: RuleRef | null = null;
  let connReason: string;
  if (allowedAt) {
    const m = allowedAt.r.primary;
    decisive = ref(m.block, m.rule.path);
    connReason = ` The connection was allowed at ${allowedAt.where} by ${policyText(m.block.policy)} ${m.rule.path}.`;
  } else if ((atServer && denies(atServer)) || (atClient && denies(atClient))) {
    connReason = " The given policies would not allow the connection itself; it may predate a policy change, or the policies differ from the cluster's.";
  } else {
    connReason = " The connection itself was not subject to an allow rule (no policy enforced it, or an implicit rule allowed it).";
  }
  return base({
    verdict: "allowed",
    decision: "implicit-allow",
    enforcementPoint: point,
    decisive,
    isolating: isolatingFrom(isolating, replyAt.direction),
    reason: `${head}${connReason}${isolatedText}`,
  });
}

function uniqueNames(blocks: readonly { policy: Parameters<typeof policyText>[0] }[]): { text: string; count: number } {
  const names = [...new Set(blocks.map((b) => policyText(b.policy)))];
  return { text: names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", "), count: names.length };
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
    isEndpoint(f.source)
      ? { side: f.source, direction: "egress", peer: f.destination, result: evaluateSide(c, { endpoint: f.source, direction: "egress", peer: f.destination }, f) }
      : undefined;
  const ingress = (): Evaluated | undefined =>
    isEndpoint(f.destination)
      ? { side: f.destination, direction: "ingress", peer: f.source, result: evaluateSide(c, { endpoint: f.destination, direction: "ingress", peer: f.source }, f) }
      : undefined;
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
  if (!f.dropReason && (f.eventType === 129 || f.l7))
    return "Hubble reports the L7 proxy refused this request, but the given policies allow it (they may differ from the cluster's); ";
  return "";
}
