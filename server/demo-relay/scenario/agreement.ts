import "server-only";
import { toJson } from "@bufbuild/protobuf";
import { GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { type CompiledPolicySet, compilePolicySet, explainFlow, policyFromObject } from "@/lib/policy";
import { DEFAULT_SETTINGS, type Explanation, type PolicyObject, type PolicyProblem } from "@/lib/policy/types";
import { ConnectionGenerator } from "../simulator/connection";
import { emitterFor, timestamp } from "../simulator/flows";
import { compilePatterns, type PatternTemplate } from "../simulator/patterns";
import { Prng } from "../simulator/prng";
import { PatternRunner } from "../simulator/runner";
import { Topology } from "../simulator/topology";
import { scenarioPolicies } from "./load";
import type { Outcome, Scenario } from "./schema";

// Declared outcomes against the policy explainer (lib/policy, the one policy evaluator of the
// project): every traffic pattern of a scenario is run through the simulator and every flow it
// produces is explained with the scenario's policies. A drop must be explained as denied, at the
// declared direction, by the declared policies; a forwarded request as allowed by a declared
// policy. So the declared outcomes cannot drift from the YAML, and the demo relay emits what the
// explainer (and so Cilium's semantics) says.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- jsonpb flows, read defensively

export interface AgreementReport {
  /** One line per disagreement: "<pattern>: <what was declared> but <what the explainer says>". */
  readonly problems: string[];
  readonly compileProblems: readonly PolicyProblem[];
  /** Drops (policy drops, L7 denials, audits) and forwarded requests that were checked. */
  readonly dropsChecked: number;
  readonly allowedChecked: number;
}

const POLICY_DROP = new Set(["POLICY_DENIED", "POLICY_DENY"]);

export function compileScenarioPolicies(s: Scenario): { compiled: CompiledPolicySet; problems: PolicyProblem[] } {
  const policies: PolicyObject[] = [];
  const problems: PolicyProblem[] = [];
  for (const p of scenarioPolicies(s)) {
    const r = policyFromObject(p.object, `scenario ${s.name}`, p.yamlText);
    if (r.policy) policies.push(r.policy);
    else if (r.problem) problems.push(r.problem);
  }
  const namespaceLabels = Object.fromEntries(s.namespaces.map((n) => [n.name, { ...n.labels, "kubernetes.io/metadata.name": n.name }]));
  const compiled = compilePolicySet({ policies, namespaceLabels, settings: DEFAULT_SETTINGS });
  return { compiled, problems: [...problems, ...compiled.problems] };
}

/** Every flow of `runs` connections of each pattern, by the pattern that made it. */
function flowsByPattern(s: Scenario, runs: number): Map<PatternTemplate, Json[]> {
  const topo = new Topology(s);
  const patterns = compilePatterns(s, topo);
  const zero = timestamp(0n, 0);
  let current: Json[] = [];
  const gen = new ConnectionGenerator(
    topo,
    emitterFor(s.hubbleVersion),
    () => zero,
    (_t, r) => {
      current.push((toJson(GetFlowsResponseSchema, r, { useProtoFieldName: true }) as Json).flow);
    },
    new Prng(7, 1),
  );
  const runner = new PatternRunner(gen);
  const out = new Map<PatternTemplate, Json[]>();
  for (const p of patterns) {
    current = [];
    for (let i = 0; i < runs; i++) runner.run(p, i * 1_000_000_000);
    out.set(
      p,
      current.filter((f) => f),
    );
  }
  return out;
}

/** The pattern a flow belongs to: DNS lookups made before connecting belong to the DNS pattern. */
function owner(p: PatternTemplate, f: Json): PatternTemplate {
  const udp53 = f.l4?.UDP?.destination_port === 53 || f.l4?.UDP?.source_port === 53;
  return p.lookup && p.spec.protocol !== "dns" && udp53 ? p.lookup.via : p;
}

const ref = (p: { kind: string; namespace: string; name: string }) => (p.kind === "CiliumClusterwideNetworkPolicy" ? `${p.kind}/${p.name}` : `${p.kind}/${p.namespace}/${p.name}`);

function said(e: Explanation): string {
  const who = e.decisive ? [ref(e.decisive)] : e.isolating.map(ref);
  return `the explainer says ${e.verdict} (${e.decision}) at ${e.enforcementPoint?.direction ?? "no endpoint"}${who.length ? ` by ${who.sort().join(", ")}` : ""}`;
}

function describeFlow(f: Json): string {
  return `${f.verdict} ${f.Type} ${f.source?.pod_name ?? f.source?.labels?.[0]} → ${f.destination?.pod_name ?? f.destination?.labels?.[0]} ${JSON.stringify(f.l4)}`;
}

function dropDisagreement(o: Outcome, e: Explanation): boolean {
  if (e.verdict !== "denied" || e.enforcementPoint?.direction !== o.direction) return true;
  switch (o.result) {
    case "default-deny":
      return e.decision !== "default-deny" || e.isolating.map(ref).sort().join() !== [...o.policies].sort().join();
    case "deny-rule":
      return e.decision !== "deny-rule" || !e.decisive || !o.policies.includes(ref(e.decisive));
    case "l7-deny":
      return e.decision !== "l7-deny" || !e.decisive || !(o[o.direction!]?.allowedBy ?? []).includes(ref(e.decisive));
    case "audit":
      // What the policies would have done outside audit mode.
      return o.wouldBe === "deny-rule"
        ? e.decision !== "deny-rule" || !e.decisive || !o.policies.includes(ref(e.decisive))
        : e.decision !== "default-deny" || e.isolating.map(ref).sort().join() !== [...o.policies].sort().join();
    default:
      return true;
  }
}

function allowedDisagreement(o: Outcome, e: Explanation): boolean {
  if (e.verdict !== "allowed") return true;
  const dir = e.enforcementPoint?.direction;
  if (e.decision === "allow-rule" && dir && o[dir]) return !e.decisive || !o[dir]!.allowedBy.includes(ref(e.decisive));
  if (e.decision === "not-enforced" && dir) return o[dir] !== undefined;
  return false;
}

function declared(o: Outcome): string {
  const sides = (["egress", "ingress"] as const).filter((d) => o[d]).map((d) => `${d} allowed by ${o[d]!.allowedBy.join(", ")}`);
  return `declared ${o.result}${o.direction ? ` at ${o.direction}` : ""}${o.policies.length ? ` by ${[...o.policies].sort().join(", ")}` : ""}${sides.length ? ` (${sides.join("; ")})` : ""}`;
}

/** Checks every pattern of `s` (`runs` connections each); one problem per disagreeing pattern. */
export function explainScenario(s: Scenario, runs = s.traffic.length > 200 ? 1 : 3): AgreementReport {
  const { compiled, problems: compileProblems } = compileScenarioPolicies(s);
  const problems = new Map<string, string>();
  const dropped = new Set<string>();
  let dropsChecked = 0;
  let allowedChecked = 0;
  for (const [p, list] of flowsByPattern(s, runs)) {
    for (const f of list) {
      const pattern = owner(p, f);
      const o = pattern.spec.outcome;
      const name = pattern.spec.name;
      const isDrop = (f.Type === "L7" && f.verdict === "DROPPED") || (f.verdict === "DROPPED" && POLICY_DROP.has(f.drop_reason_desc)) || f.verdict === "AUDIT";
      if (isDrop) {
        dropsChecked++;
        dropped.add(name);
        const e = explainFlow({ flow: f }, compiled);
        if (o.result === "forwarded" || dropDisagreement(o, e)) {
          if (!problems.has(name)) problems.set(name, `${name}: ${declared(o)} but a ${describeFlow(f)} drop: ${said(e)}`);
        }
        continue;
      }
      const forwardedRequest = f.is_reply === false && (f.verdict === "FORWARDED" || f.verdict === "REDIRECTED");
      if (!forwardedRequest || pattern.spec.protocol === "cilium-health") continue;
      if (o.result !== "forwarded" && !(o.result === "l7-deny" && f.Type !== "L7")) continue;
      allowedChecked++;
      const e = explainFlow({ flow: f }, compiled);
      if (allowedDisagreement(o, e) && !problems.has(name)) problems.set(name, `${name}: ${declared(o)} but ${describeFlow(f)}: ${said(e)}`);
    }
  }
  for (const t of s.traffic) {
    if (t.outcome.result !== "forwarded" && !dropped.has(t.name) && !problems.has(t.name)) {
      problems.set(t.name, `${t.name}: ${declared(t.outcome)} but the simulator produced no drop for it`);
    }
  }
  return { problems: [...problems.values()], compileProblems, dropsChecked, allowedChecked };
}

/** The declared outcomes that the policies (through the explainer) contradict; [] when consistent. */
export function checkOutcomes(s: Scenario): string[] {
  const r = explainScenario(s);
  return [...r.compileProblems.map((p) => `${p.where}: ${p.message}`), ...r.problems];
}
