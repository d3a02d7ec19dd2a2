import "server-only";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { listScenarios, loadScenario, scenarioPolicies, scenariosDir } from "./load";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests edit parsed YAML at any depth
function tempScenario(edit: (raw: Record<string, any>) => void): string {
  const raw = parse(readFileSync(join(scenariosDir(), "starwars.yaml"), "utf8"));
  edit(raw);
  const dir = mkdtempSync(join(tmpdir(), "scenario-"));
  const file = join(dir, "broken.yaml");
  writeFileSync(file, JSON.stringify(raw));
  writeFileSync(join(dir, "broken.policies.yaml"), readFileSync(join(scenariosDir(), "starwars.policies.yaml")));
  return file;
}

describe("scenario loading", () => {
  it("lists and loads the shipped scenarios", () => {
    const names = listScenarios().map((s) => s.name);
    assert.ok(names.includes("starwars") && names.includes("shop"), names.join(","));
    for (const name of ["starwars", "shop"]) {
      const s = loadScenario(name);
      assert.equal(s.name, name);
      assert.ok(s.nodes.length >= 3);
      assert.ok(s.policies.length > 0);
    }
  });

  it("shop has the promised size and mix of policies", () => {
    const s = loadScenario("shop");
    assert.ok(s.workloads.length >= 35, `${s.workloads.length} workloads`);
    assert.ok(new Set(s.workloads.map((w) => w.namespace)).size >= 5);
    const kinds = new Set(s.policies.map((p) => p.kind));
    assert.deepEqual([...kinds].sort(), ["CiliumClusterwideNetworkPolicy", "CiliumNetworkPolicy", "NetworkPolicy"]);
    const results = new Set(s.traffic.map((t) => t.outcome.result));
    for (const r of ["forwarded", "default-deny", "deny-rule", "l7-deny"]) assert.ok(results.has(r as never), r);
  });

  it("exposes each policy document with its own text for the explainer", () => {
    const [rule1] = scenarioPolicies(loadScenario("starwars"));
    assert.equal(rule1.kind, "CiliumNetworkPolicy");
    assert.equal(rule1.name, "rule1");
    assert.equal(rule1.namespace, "default"); // applied without a namespace, like kubectl would
    assert.match(rule1.yamlText, /path: "\/v1\/request-landing"/);
    assert.deepEqual(parse(rule1.yamlText), rule1.object);
    const ccnp = scenarioPolicies(loadScenario("shop")).find((p) => p.kind === "CiliumClusterwideNetworkPolicy");
    assert.equal(ccnp?.namespace, undefined);
    assert.ok(!ccnp!.yamlText.includes("---"));
  });

  it("names the file and the path of a bad field", () => {
    const file = tempScenario((raw) => {
      raw.nodes[1].ip = "not-an-ip";
    });
    assert.throws(
      () => loadScenario(file),
      (err: Error) => err.message.includes(file) && err.message.includes("nodes[1].ip"),
    );
  });

  it("rejects outcomes that name unknown policies or workloads", () => {
    const badPolicy = tempScenario((raw) => {
      raw.traffic[2].outcome.ingress.allowedBy = ["CiliumNetworkPolicy/default/rule2"];
    });
    assert.throws(() => loadScenario(badPolicy), /traffic\[2\]\.outcome: unknown policy CiliumNetworkPolicy\/default\/rule2/);
    const badWorkload = tempScenario((raw) => {
      raw.traffic[0].from = "default/ywing";
    });
    assert.throws(() => loadScenario(badWorkload), /traffic\[0\]\.from: unknown workload default\/ywing/);
  });

  it("requires drop outcomes to say where they happen", () => {
    const file = tempScenario((raw) => {
      delete raw.traffic[4].outcome.direction;
    });
    assert.throws(() => loadScenario(file), /traffic\[4\]\.outcome\.direction/);
  });
});
