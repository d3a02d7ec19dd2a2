import "server-only";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { z } from "zod";
import { type PolicyKind, type Scenario, type ScenarioPolicy, ScenarioSpec, policyRef } from "./schema";

export class ScenarioError extends Error {
  constructor(file: string, path: string, message: string) {
    super(`${file}: ${path ? `${path}: ` : ""}${message}`);
    this.name = "ScenarioError";
  }
}

/** Directory holding the shipped scenarios. */
export function scenariosDir(): string {
  const here = join(dirname(fileURLToPath(import.meta.url)), "..", "scenarios");
  return existsSync(here) ? here : resolve(process.cwd(), "server/demo-relay/scenarios");
}

const POLICY_SUFFIX = ".policies.yaml";

/** The shipped scenarios, by name. */
export function listScenarios(): Array<{ name: string; description: string; file: string }> {
  const dir = scenariosDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && !f.endsWith(POLICY_SUFFIX))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const raw = parse(readFileSync(file, "utf8")) as { name?: string; description?: string } | null;
      return { name: raw?.name ?? basename(f, ".yaml"), description: raw?.description ?? "", file };
    });
}

/** Load a scenario by shipped name ("starwars") or by path to a YAML file. */
export function loadScenario(nameOrPath: string): Scenario {
  const file =
    nameOrPath.endsWith(".yaml") || nameOrPath.includes("/")
      ? isAbsolute(nameOrPath)
        ? nameOrPath
        : resolve(process.cwd(), nameOrPath)
      : join(scenariosDir(), `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    const known = listScenarios()
      .map((s) => s.name)
      .join(", ");
    throw new ScenarioError(file, "", `no such scenario file (shipped scenarios: ${known})`);
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ScenarioError(file, "", `invalid YAML: ${(err as Error).message}`);
  }
  // Top-level "x-…" keys hold YAML anchors for reuse; they are not part of the format.
  if (raw && typeof raw === "object") {
    for (const key of Object.keys(raw)) if (key.startsWith("x-")) delete (raw as Record<string, unknown>)[key];
  }
  const parsed = ScenarioSpec.safeParse(raw);
  if (!parsed.success) throw zodError(file, parsed.error);
  const spec = parsed.data;

  const policyFiles = spec.policyFiles.length ? spec.policyFiles : defaultPolicyFiles(file);
  const policies = policyFiles.flatMap((p) => readPolicyFile(resolve(dirname(file), p)));
  const scenario: Scenario = { ...spec, file, policies };
  checkReferences(scenario);
  return scenario;
}

/** The policies in force, as the policy explainer reads them. */
export function scenarioPolicies(scenario: Scenario): ScenarioPolicy[] {
  return scenario.policies;
}

function defaultPolicyFiles(file: string): string[] {
  const sibling = file.replace(/\.yaml$/, POLICY_SUFFIX);
  return existsSync(sibling) ? [basename(sibling)] : [];
}

function zodError(file: string, error: z.ZodError): ScenarioError {
  const issue = error.issues[0];
  const path = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : "";
  return new ScenarioError(file, path, issue.message + more);
}

const POLICY_KINDS: Record<PolicyKind, RegExp> = {
  CiliumNetworkPolicy: /^cilium\.io\/v2$/,
  CiliumClusterwideNetworkPolicy: /^cilium\.io\/v2$/,
  NetworkPolicy: /^networking\.k8s\.io\/v1$/,
};

/** Split a multi-document YAML file into policies, keeping each document's own text. */
export function readPolicyFile(file: string): ScenarioPolicy[] {
  if (!existsSync(file)) throw new ScenarioError(file, "", "policy file not found");
  const text = readFileSync(file, "utf8");
  const chunks = text.split(/^---[ \t]*$/m);
  const out: ScenarioPolicy[] = [];
  chunks.forEach((chunk, index) => {
    const yamlText = chunk.replace(/^\s*\n/, "").trimEnd() + "\n";
    let object: unknown;
    try {
      object = parse(chunk);
    } catch (err) {
      throw new ScenarioError(file, `document ${index}`, `invalid YAML: ${(err as Error).message}`);
    }
    if (object == null) return; // comment-only or empty document
    const doc = object as Record<string, unknown>;
    const kind = doc.kind as PolicyKind;
    const where = `document ${index}`;
    if (!(kind in POLICY_KINDS)) throw new ScenarioError(file, `${where}.kind`, `unsupported kind ${String(doc.kind)}`);
    if (typeof doc.apiVersion !== "string" || !POLICY_KINDS[kind].test(doc.apiVersion)) {
      throw new ScenarioError(file, `${where}.apiVersion`, `unexpected apiVersion ${String(doc.apiVersion)} for ${kind}`);
    }
    const meta = (doc.metadata ?? {}) as Record<string, unknown>;
    if (typeof meta.name !== "string" || !meta.name) throw new ScenarioError(file, `${where}.metadata.name`, "required");
    if (typeof doc.spec !== "object" || doc.spec === null) throw new ScenarioError(file, `${where}.spec`, "required");
    const namespaced = kind !== "CiliumClusterwideNetworkPolicy";
    if (!namespaced && meta.namespace) throw new ScenarioError(file, `${where}.metadata.namespace`, "a cluster-wide policy has no namespace");
    // kubectl apply puts a namespaced object without metadata.namespace into "default".
    const namespace = namespaced ? (typeof meta.namespace === "string" ? meta.namespace : "default") : undefined;
    out.push({ kind, namespace, name: meta.name, yamlText, object: doc });
  });
  return out;
}

function checkReferences(s: Scenario): void {
  const fail = (path: string, msg: string): never => {
    throw new ScenarioError(s.file, path, msg);
  };
  const nodeNames = new Set<string>();
  s.nodes.forEach((n, i) => {
    if (nodeNames.has(n.name)) fail(`nodes[${i}].name`, `duplicate node ${n.name}`);
    nodeNames.add(n.name);
  });
  const namespaces = new Set(s.namespaces.map((n) => n.name));
  const workloads = new Set<string>();
  s.workloads.forEach((w, i) => {
    const key = `${w.namespace}/${w.name}`;
    if (!namespaces.has(w.namespace)) fail(`workloads[${i}].namespace`, `unknown namespace ${w.namespace}`);
    if (workloads.has(key)) fail(`workloads[${i}].name`, `duplicate workload ${key}`);
    workloads.add(key);
    w.nodes?.forEach((n, j) => nodeNames.has(n) || fail(`workloads[${i}].nodes[${j}]`, `unknown node ${n}`));
  });
  const fqdns = new Set(s.entities.world.map((w) => w.fqdn));
  const refs = new Set(s.policies.map(policyRef));
  refs.add("allow-localhost-ingress");
  const seenPolicies = new Set<string>();
  for (const p of s.policies) {
    const ref = policyRef(p);
    if (seenPolicies.has(ref)) fail("policyFiles", `duplicate policy ${ref}`);
    seenPolicies.add(ref);
  }
  const patterns = new Map(s.traffic.map((t) => [t.name, t]));
  if (patterns.size !== s.traffic.length) fail("traffic", "pattern names must be unique");
  s.traffic.forEach((t, i) => {
    const at = `traffic[${i}]`;
    for (const key of ["from", "to"] as const) {
      const ref = t[key];
      if (!ref) continue;
      if (ref.includes("/") && !workloads.has(ref)) fail(`${at}.${key}`, `unknown workload ${ref}`);
      if (ref.startsWith("world:") && !fqdns.has(ref.slice(6))) fail(`${at}.${key}`, `unknown world FQDN ${ref.slice(6)} (declare it under entities.world)`);
    }
    if (t.from && !t.from.includes("/") && t.to && !t.to.includes("/")) fail(at, "one side must be a workload");
    if ((t.from === "host" || t.from === "remote-node") && !t.to?.includes("/")) fail(`${at}.to`, `${t.from} traffic must go to a workload`);
    if (t.resolveVia) {
      const dns = patterns.get(t.resolveVia);
      if (!dns || dns.protocol !== "dns") fail(`${at}.resolveVia`, `${t.resolveVia} is not a dns pattern`);
      else if (dns.from !== t.from) fail(`${at}.resolveVia`, `${t.resolveVia} has a different client (${dns.from})`);
    }
    const o = t.outcome;
    const all = [...o.policies, ...(o.egress?.allowedBy ?? []), ...(o.ingress?.allowedBy ?? [])];
    all.forEach((r) => refs.has(r) || fail(`${at}.outcome`, `unknown policy ${r}`));
  });
}
