import "server-only";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { GetFlowsResponseSchema } from "../../../proto/gen/observer/observer_pb";
import { compilePolicySet, explainFlow, policyFromObject, DEFAULT_SETTINGS, type Explanation, type PolicyObject } from "../../../lib/policy";
import { ConnectionGenerator } from "../simulator/connection";
import { emitterFor, timestamp } from "../simulator/flows";
import { compilePatterns, type PatternTemplate } from "../simulator/patterns";
import { Prng } from "../simulator/prng";
import { PatternRunner } from "../simulator/runner";
import { Topology } from "../simulator/topology";
import { listScenarios, loadScenario, scenarioPolicies } from "./load";
import type { Outcome, Scenario } from "./schema";

// The explainer against the demo relay: every shipped scenario declares, per traffic pattern,
// which policy drops, denies or allows it. Each pattern is run through the simulator and every
// flow it produces is explained; drops must be explained as denied by the declared policies,
// forwarded requests as allowed.

type Json = Record<string, any>;

function compiled(s: Scenario) {
  const policies: PolicyObject[] = [];
  for (const p of scenarioPolicies(s)) {
    const r = policyFromObject(p.object, `scenario ${s.name}`, p.yamlText);
    assert.ok(r.policy, `${p.kind} ${p.name}: ${r.problem?.message}`);
    policies.push(r.policy);
  }
  const namespaceLabels = Object.fromEntries(s.namespaces.map((n) => [n.name, { ...n.labels, "kubernetes.io/metadata.name": n.name }]));
  const c = compilePolicySet({ policies, namespaceLabels, settings: DEFAULT_SETTINGS });
  return c;
}

/** Every flow of `runs` connections of each pattern, tagged with the pattern that made it. */
function flowsByPattern(s: Scenario, runs: number): Map<PatternTemplate, Json[]> {
  const topo = new Topology(s);
  const patterns = compilePatterns(s, topo);
  const zero = timestamp(0n, 0);
  let current: Json[] = [];
  const gen = new ConnectionGenerator(topo, emitterFor(s.hubbleVersion), () => zero, (_t, r) => {
    current.push((toJson(GetFlowsResponseSchema, r, { useProtoFieldName: true }) as Json).flow);
  }, new Prng(7, 1));
  const runner = new PatternRunner(gen);
  const out = new Map<PatternTemplate, Json[]>();
  for (const p of patterns) {
    current = [];
    for (let i = 0; i < runs; i++) runner.run(p, i * 1_000_000_000);
    out.set(p, current.filter((f) => f));
  }
  return out;
}

const ref = (p: { kind: string; namespace: string; name: string }) =>
  p.kind === "CiliumClusterwideNetworkPolicy" ? `${p.kind}/${p.name}` : `${p.kind}/${p.namespace}/${p.name}`;

/** The pattern a flow belongs to: DNS lookups made before connecting belong to the DNS pattern. */
function owner(p: PatternTemplate, f: Json): PatternTemplate {
  const udp53 = f.l4?.UDP?.destination_port === 53 || f.l4?.UDP?.source_port === 53;
  return p.lookup && p.spec.protocol !== "dns" && udp53 ? p.lookup.via : p;
}

const POLICY_DROP = new Set(["POLICY_DENIED", "POLICY_DENY"]);

function describeFlow(f: Json): string {
  return `${f.verdict} ${f.Type} ${f.traffic_direction ?? ""} ${f.source?.pod_name ?? f.source?.labels?.[0]} → ${f.destination?.pod_name ?? f.destination?.labels?.[0]} ${JSON.stringify(f.l4)} ${f.l7 ? JSON.stringify(f.l7) : ""} reply=${f.is_reply}`;
}

function checkDrop(o: Outcome, e: Explanation, where: string): void {
  assert.equal(e.verdict, "denied", where);
  assert.equal(e.enforcementPoint?.direction, o.direction, where);
  switch (o.result) {
    case "default-deny":
      assert.equal(e.decision, "default-deny", where);
      assert.deepEqual(e.isolating.map(ref).sort(), [...o.policies].sort(), where);
      break;
    case "deny-rule":
      assert.equal(e.decision, "deny-rule", where);
      assert.ok(e.decisive && o.policies.includes(ref(e.decisive)), where);
      break;
    case "l7-deny":
      assert.equal(e.decision, "l7-deny", where);
      assert.ok(e.decisive && o[o.direction!]!.allowedBy.includes(ref(e.decisive)), where);
      break;
    case "audit":
      assert.ok(e.decision === "default-deny" || e.decision === "deny-rule", where);
      break;
    default:
      assert.fail(`${where}: a drop in a pattern declared ${o.result}`);
  }
}

function checkAllowed(o: Outcome, e: Explanation, where: string): void {
  assert.equal(e.verdict, "allowed", where);
  const dir = e.enforcementPoint?.direction;
  if (e.decision === "allow-rule" && dir && o[dir]) {
    assert.ok(e.decisive && o[dir]!.allowedBy.includes(ref(e.decisive)), `${where}: decisive ${e.decisive && ref(e.decisive)} not in ${o[dir]!.allowedBy}`);
  }
  if (e.decision === "not-enforced" && dir) assert.equal(o[dir], undefined, `${where}: the scenario says ${dir} is enforced`);
}

for (const { name } of listScenarios()) {
  describe(`explainer agrees with scenario ${name}`, () => {
    const s = loadScenario(name);
    const c = compiled(s);
    const runs = s.traffic.length > 200 ? 1 : 3;
    const flows = flowsByPattern(s, runs);

    it("compiles the scenario's policies without problems", () => assert.deepEqual(c.problems, []));

    it("explains every dropped flow as denied by the declared policies", () => {
      let drops = 0;
      const explained = new Set<string>();
      for (const [p, list] of flows) {
        for (const f of list) {
          const pattern = owner(p, f);
          const o = pattern.spec.outcome;
          const l7Drop = f.Type === "L7" && f.verdict === "DROPPED";
          const policyDrop = f.verdict === "DROPPED" && POLICY_DROP.has(f.drop_reason_desc);
          if (!l7Drop && !policyDrop && f.verdict !== "AUDIT") continue;
          drops++;
          explained.add(pattern.spec.name);
          const e = explainFlow({ flow: f }, c);
          checkDrop(o, e, `${pattern.spec.name}: ${describeFlow(f)}\n${JSON.stringify(e, null, 1)}`);
        }
      }
      // Every pattern the scenario declares as dropped or denied produced drops that were checked.
      const declared = s.traffic.filter((t) => t.outcome.result !== "forwarded").map((t) => t.name);
      assert.deepEqual(declared.filter((n) => !explained.has(n)), [], `checked ${drops} drops`);
    });

    it("explains forwarded requests of allowed patterns as allowed", () => {
      let checked = 0;
      for (const [p, list] of flows) {
        for (const f of list) {
          const pattern = owner(p, f);
          const o = pattern.spec.outcome;
          if (f.is_reply !== false || (f.verdict !== "FORWARDED" && f.verdict !== "REDIRECTED")) continue;
          if (o.result !== "forwarded" && !(o.result === "l7-deny" && f.Type !== "L7")) continue;
          if (pattern.spec.protocol === "cilium-health") continue;
          checked++;
          const e = explainFlow({ flow: f }, c);
          checkAllowed(o, e, `${pattern.spec.name}: ${describeFlow(f)}\n${JSON.stringify(e, null, 1)}`);
        }
      }
      assert.ok(checked > 0);
    });
  });
}
