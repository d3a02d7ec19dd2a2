import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { SETTING_KEYS } from "@/lib/policy/settings";
import { envelope, shopFlow, writePolicyDir } from "./testing";

// `npm run explain` as CI runs it: a child process with a policy directory and a flow file.

const repoRoot = resolve(__dirname, "../..");
const CLI_TIMEOUT_MS = 60_000;
const tmp = mkdtempSync(join(tmpdir(), "hl-explain-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const policies = writePolicyDir(tmp);

function runCli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "server/policies/explain-cli.ts", ...args], {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), CLI_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

let n = 0;
function flowFile(content: string): string {
  const file = join(tmp, `flow-${++n}.json`);
  writeFileSync(file, content);
  return file;
}

describe("npm run explain", () => {
  const allowed = shopFlow("client", 8080);
  const cases = [
    { name: "one line with the envelope", text: JSON.stringify(envelope(allowed)) + "\n" },
    { name: "pretty-printed with the envelope", text: JSON.stringify(envelope(allowed), null, 2) },
    { name: "one line, bare flow", text: JSON.stringify(allowed) },
    { name: "pretty-printed, bare flow", text: JSON.stringify(allowed, null, 4) + "\n\n" },
  ];
  for (const c of cases) {
    it(`explains a flow given ${c.name}`, async () => {
      const r = await runCli(["--policies", policies, "--flow", flowFile(c.text)]);
      assert.equal(r.code, 0, r.stderr);
      const explanation = JSON.parse(r.stdout);
      assert.equal(explanation.verdict, "allowed");
      assert.equal(explanation.decisive?.name, "cart-ingress");
      assert.ok(r.stdout.startsWith("{\n  "), "pretty JSON");
      assert.match(r.stderr, /1 document\(s\) that are not network policies were skipped/);
    });
  }

  it("prints the same explanation for a flow on standard input", async () => {
    const r = await runCli(["--policies", policies, "--flow", "-"], JSON.stringify(envelope(allowed)));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).verdict, "allowed");
  });

  it("explains a denied flow, and exits 1 for it only with --exit-code", async () => {
    const file = flowFile(JSON.stringify(envelope(shopFlow("intruder", 8080, "DROPPED"))));
    const plain = await runCli(["--policies", policies, "--flow", file]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(JSON.parse(plain.stdout).verdict, "denied");
    const gated = await runCli(["--policies", policies, "--flow", file, "--exit-code"]);
    assert.equal(gated.code, 1);
    assert.equal(JSON.parse(gated.stdout).verdict, "denied");
  });

  it("applies --setting", async () => {
    const r = await runCli(["--policies", policies, "--flow", flowFile(JSON.stringify(allowed)), "--setting", "policy-enforcement-mode=never"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).decision, "not-enforced");
  });

  const failures: Array<{ name: string; args: () => string[]; message: RegExp; stdin?: string }> = [
    {
      name: "a bad setting value",
      args: () => ["--policies", policies, "--flow", flowFile(JSON.stringify(allowed)), "--setting", "policy-enforcement-mode=sometimes"],
      message: /--setting: policy-enforcement-mode must be default or always or never/,
    },
    {
      name: "an unknown setting",
      args: () => ["--policies", policies, "--flow", flowFile(JSON.stringify(allowed)), "--setting", "enable-magic=true"],
      message: /unknown setting "enable-magic"/,
    },
    { name: "a setting without =", args: () => ["--policies", policies, "--flow", flowFile(JSON.stringify(allowed)), "--setting", "always"], message: /a setting is key=value/ },
    { name: "a missing --policies", args: () => ["--flow", flowFile("{}")], message: /--policies DIR\|FILE is required/ },
    { name: "a missing --flow", args: () => ["--policies", policies], message: /--flow FILE is required/ },
    { name: "a policy path that does not exist", args: () => ["--policies", join(tmp, "nope"), "--flow", flowFile("{}")], message: /cannot read --policies .*nope: ENOENT/ },
    { name: "a flow file that does not exist", args: () => ["--policies", policies, "--flow", join(tmp, "nope.json")], message: /cannot read --flow .*nope\.json: ENOENT/ },
    { name: "a flow that is not JSON", args: () => ["--policies", policies, "--flow", flowFile("flow: yes")], message: /the flow is not JSON/ },
    {
      name: "a file of several flows",
      args: () => ["--policies", policies, "--flow", flowFile(`${JSON.stringify(envelope(allowed))}\n${JSON.stringify(envelope(allowed))}\n`)],
      message: /holds 2 flows/,
    },
    { name: "a JSON array", args: () => ["--policies", policies, "--flow", flowFile("[1, 2]")], message: /--flow .*: the input is not a JSON object/ },
    { name: "an unknown option", args: () => ["--policies", policies, "--flow", flowFile("{}"), "--verbose"], message: /Unknown option '--verbose'/ },
  ];
  for (const f of failures) {
    it(`exits 2 with a clear message for ${f.name}`, async () => {
      const r = await runCli(f.args(), f.stdin);
      assert.equal(r.code, 2, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.match(r.stderr, f.message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.equal(r.stdout, "");
    });
  }

  it("prints its usage with --help, listing every setting the explainer takes", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: npm run explain -- --policies DIR\|FILE --flow FILE/);
    for (const key of SETTING_KEYS) assert.match(r.stdout, new RegExp(`^ +${key}=`, "m"), `--help lists ${key}`);
  });

  it("resolves a rule's named port with the workload manifests next to the policies", async () => {
    const dir = join(tmp, "named");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "api.yaml"),
      `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-http, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress: [{fromEndpoints: [{matchLabels: {app: client}}], toPorts: [{ports: [{port: http, protocol: TCP}]}]}]
`,
    );
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, ports: [{name: http, containerPort: 8080}]}]}
`;
    const flow = shopFlow("client", 8080);
    const destination = { ...(flow.destination as Record<string, unknown>), labels: ["k8s:app=api", "k8s:io.kubernetes.pod.namespace=shop"], pod_name: "api-1" };
    const file = flowFile(JSON.stringify({ ...flow, destination }));
    // Without the Deployment, "http" is a name the explainer cannot resolve: the flow is denied.
    const unresolved = await runCli(["--policies", dir, "--flow", file]);
    assert.equal(unresolved.code, 0, unresolved.stderr);
    assert.equal(JSON.parse(unresolved.stdout).verdict, "denied");
    writeFileSync(join(dir, "deploy.yaml"), deployment);
    const r = await runCli(["--policies", dir, "--flow", file]);
    assert.equal(r.code, 0, r.stderr);
    const explanation = JSON.parse(r.stdout);
    assert.equal(explanation.verdict, "allowed");
    assert.deepEqual(explanation.decisive, { kind: "CiliumNetworkPolicy", namespace: "shop", name: "api-http", rule: "ingress[0]" });
  });
});
