import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compilePolicySet } from "./compile";
import { parsePolicyDocuments } from "./documents";
import { isolatingPolicies } from "./isolating";
import { policies } from "./test-builders";
import { DEFAULT_SETTINGS } from "./types";

function problemsOf(spec: string): string[] {
  const parsed = parsePolicyDocuments(`apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: n}\nspec:\n${spec.replace(/^/gm, "  ")}\n`, "t.yaml");
  assert.deepEqual(parsed.problems, []);
  const c = compilePolicySet({ policies: parsed.policies, namespaceLabels: {}, settings: DEFAULT_SETTINGS });
  if (c.problems.length) assert.equal(c.blocks.length, 0, "a rejected policy contributes no rules");
  return c.problems.map((p) => p.message);
}

describe("compilePolicySet: rules Cilium would reject (E-val) are reported, never thrown", () => {
  const cases: [string, string, RegExp][] = [
    [
      "invalid selector operator",
      `endpointSelector: {}\ningress:\n- fromEndpoints: [{matchExpressions: [{key: a, operator: Equals, values: [b]}]}]`,
      /invalid selector operator "Equals"/,
    ],
    ["In without values", `endpointSelector: {}\ningress:\n- fromEndpoints: [{matchExpressions: [{key: a, operator: In}]}]`, /needs values/],
    ["toFQDNs combined with toEndpoints", `endpointSelector: {}\negress:\n- toEndpoints: [{}]\n  toFQDNs: [{matchName: a.com}]`, /combining toEndpoints and toFQDNs/],
    ["fromEndpoints combined with fromCIDR", `endpointSelector: {}\ningress:\n- fromEndpoints: [{}]\n  fromCIDR: [10.0.0.0/8]`, /combining/],
    [
      "L7 on a port range",
      `endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: "80", endPort: 90, protocol: TCP}]\n    rules: {http: [{method: GET}]}`,
      /L7 rules cannot be used with port ranges/,
    ],
    ["L7 on port 0", `endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: "0", protocol: TCP}]\n    rules: {http: [{method: GET}]}`, /specific port/],
    ["HTTP on UDP", `endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: UDP}]\n    rules: {http: [{method: GET}]}`, /only allowed on TCP/],
    [
      "DNS rules on ingress",
      `endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: "53", protocol: UDP}]\n    rules: {dns: [{matchPattern: "*"}]}`,
      /only allowed on egress/,
    ],
    ["icmps with toPorts", `endpointSelector: {}\ningress:\n- toPorts: [{ports: [{port: "80"}]}]\n  icmps: [{fields: [{type: 8}]}]`, /icmps cannot be combined/],
    ["no rules at all", `endpointSelector: {}\ningress: []`, /at least one of ingress/],
    ["both selectors", `endpointSelector: {}\nnodeSelector: {}\ningress: [{}]`, /exactly one of endpointSelector and nodeSelector/],
    ["invalid CIDR", `endpointSelector: {}\negress:\n- toCIDR: [10.0.0.0/33]`, /invalid CIDR/],
    ["unknown entity", `endpointSelector: {}\negress:\n- toEntities: [everything]`, /unknown entity/],
    ["invalid http regex", `endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: "80", protocol: TCP}]\n    rules: {http: [{path: "/("}]}`, /invalid regex/],
    ["toFQDNs in a deny rule", `endpointSelector: {}\negressDeny:\n- toFQDNs: [{matchName: a.com}]`, /not supported in deny rules/],
  ];
  for (const [name, spec, want] of cases) {
    it(name, () => {
      const problems = problemsOf(spec);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0]!, want);
      assert.match(problems[0]!, /rejects the whole policy/);
    });
  }
  it("one bad policy leaves the others in force", () => {
    const c = policies(
      `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: bad}\nspec: {endpointSelector: {}, ingress: [{fromEntities: [nope]}]}\n---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: good}\nspec: {endpointSelector: {}, ingress: [{fromEntities: [world]}]}\n`.replace(
        /^/,
        "",
      ),
    ).problems;
    assert.equal(c.length, 1);
    assert.match(c[0]!.where, /bad/);
  });
  it("compiles a few hundred policies without problems (speed: npm run bench:explain)", () => {
    const text = Array.from(
      { length: 300 },
      (_, i) =>
        `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p${i}, namespace: ns${i % 30}}\nspec:\n  endpointSelector: {matchLabels: {app: a${i}}}\n  ingress:\n  - fromEndpoints: [{matchLabels: {app: b${i}}}]\n    toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{method: GET, path: "/api/.*"}]}}]\n  egress:\n  - toFQDNs: [{matchPattern: "*.example.com"}]\n`,
    ).join("---\n");
    const parsed = parsePolicyDocuments(text, "many.yaml");
    const c = compilePolicySet({ policies: parsed.policies, namespaceLabels: {}, settings: DEFAULT_SETTINGS });
    assert.equal(c.problems.length, 0);
    assert.equal(c.blocks.length, 300);
  });
  it("never throws on objects of the wrong shape", () => {
    const odd = [{ spec: 3 }, { spec: { endpointSelector: [] } }, { specs: "x" }, { spec: { podSelector: 3, ingress: [{ from: 3 }] } }, {}];
    const pol = odd.flatMap((o, i) => [
      { kind: "CiliumNetworkPolicy" as const, namespace: "n", name: `c${i}`, origin: "t", object: o, yaml: "" },
      { kind: "NetworkPolicy" as const, namespace: "n", name: `k${i}`, origin: "t", object: o, yaml: "" },
    ]);
    const c = compilePolicySet({ policies: pol, namespaceLabels: {}, settings: DEFAULT_SETTINGS });
    assert.ok(c.problems.length > 0);
  });
});

describe("isolatingPolicies", () => {
  const c = policies(`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: rule1, namespace: default}
spec:
  endpointSelector: {matchLabels: {class: deathstar}}
  ingress: [{fromEndpoints: [{matchLabels: {org: empire}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: default}
spec:
  podSelector: {}
  egress: [{to: [{podSelector: {}}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: soft, namespace: default}
spec:
  endpointSelector: {}
  enableDefaultDeny: {egress: false}
  egress: [{toEntities: [world]}]
`);
  const ds = { labels: ["k8s:class=deathstar", "k8s:org=empire", "k8s:io.kubernetes.pod.namespace=default"] };
  it("lists the policies that isolate ingress (incl. a KNP whose policyTypes default to Ingress)", () => {
    assert.deepEqual(
      isolatingPolicies(ds, "ingress", c).map((p) => p.name),
      ["rule1", "egress-only"],
    );
  });
  it("skips policies with enableDefaultDeny false", () => {
    assert.deepEqual(
      isolatingPolicies(ds, "egress", c).map((p) => p.name),
      ["egress-only"],
    );
  });
  it("uses the namespace field when labels lack it, and ignores other namespaces", () => {
    assert.deepEqual(isolatingPolicies({ labels: ["k8s:class=deathstar"], namespace: "default" }, "ingress", c).length, 2);
    assert.deepEqual(isolatingPolicies({ labels: ["k8s:class=deathstar"], namespace: "other" }, "ingress", c), []);
    assert.deepEqual(isolatingPolicies({ labels: ["reserved:world"] }, "ingress", c), []);
  });
});

describe("compilePolicySet + explainFlow never throw on mutated policies", () => {
  it("survives random mutations of real policy objects", async () => {
    const { explainFlow } = await import("./explain");
    const { flow, pod, WORLD } = await import("./test-builders");
    const base = parsePolicyDocuments(
      `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: a, namespace: default}
spec:
  endpointSelector: {matchLabels: {class: deathstar}, matchExpressions: [{key: tier, operator: NotIn, values: [dev]}]}
  ingress:
  - fromEndpoints: [{matchLabels: {org: empire}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{method: POST, path: "/v1/.*", headers: ["X-A"]}]}}]
  - fromCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}]
  egress:
  - toFQDNs: [{matchPattern: "*.example.com"}]
    toPorts: [{ports: [{port: "443"}]}]
  - toEndpoints: [{matchLabels: {k8s-app: kube-dns, "k8s:io.kubernetes.pod.namespace": kube-system}}]
    toPorts: [{ports: [{port: "53", protocol: UDP}], rules: {dns: [{matchPattern: "*"}]}}]
  ingressDeny: [{fromEntities: [world], toPorts: [{ports: [{port: "22", endPort: 23}]}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: k, namespace: default}
spec:
  podSelector: {matchLabels: {class: deathstar}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: x}}}, {ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: 80}, {port: 8000, endPort: 8080, protocol: UDP}]}]
`,
      "fuzz.yaml",
    ).policies;
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const junk = (): unknown => [null, 0, -5, "", "x", "*", [], {}, [{}], { matchLabels: 3 }, "10.0.0.0/99", true, 1e9][Math.floor(rnd() * 13)];
    const mutate = (v: unknown, depth: number): unknown => {
      if (depth > 7) return v;
      if (Array.isArray(v)) return v.map((x) => (rnd() < 0.1 ? junk() : mutate(x, depth + 1)));
      if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          const r = rnd();
          if (r < 0.05) continue;
          out[k] = r < 0.15 ? junk() : mutate(x, depth + 1);
        }
        return out;
      }
      return v;
    };
    const flows = [
      flow({ src: pod("default", "t", { org: "empire" }), dst: pod("default", "d", { class: "deathstar" }), http: { method: "POST", url: "http://d/v1/x" } }),
      flow({ src: WORLD, srcIp: "10.2.0.1", dst: pod("default", "d", { class: "deathstar" }), port: 22 }),
      flow({ src: pod("default", "d", { class: "deathstar" }), dst: WORLD, dstIp: "1.2.3.4", port: 443, destinationNames: ["a.example.com"] }),
    ];
    for (let i = 0; i < 400; i++) {
      const pols = base.map((p) => ({ ...p, object: mutate(p.object, 0) as Record<string, unknown> }));
      const c = compilePolicySet({ policies: pols, namespaceLabels: {}, settings: DEFAULT_SETTINGS });
      for (const f of flows) explainFlow(f, c);
      // Every odd shape is met by a reasoned problem, not by the catch-all for unexpected errors.
      for (const p of c.problems) assert.doesNotMatch(p.message, /could not be compiled/);
    }
  });
});
