import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { envelope, shopFlow, writePolicyDir } from "@/server/policies/testing";

// The README's `npm run explain` example, run as written (through npm and a shell redirect) with
// its paths pointed at test files: what lands in the file must be the explanation JSON alone,
// not npm's "> hubble-lens@… explain" banner in front of it.

const repoRoot = resolve(__dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "hl-readme-explain-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The command line of the README's "In CI" example. */
function readmeExplainCommand(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### In CI: `npm run explain`"));
  const line = section.split("\n").find((l) => l.startsWith("npm run") && l.includes(" explain "));
  assert.ok(line, "the README shows an npm run … explain command in its In CI section");
  return line;
}

describe("the README's npm run explain example", () => {
  it("writes only the explanation JSON to the file it redirects to", async () => {
    const command = readmeExplainCommand();
    for (const placeholder of ["k8s/policies", "flow.json", "> explanation.json"]) {
      assert.ok(command.includes(placeholder), `the example still reads ${placeholder}: ${command}`);
    }
    const policies = writePolicyDir(tmp);
    const flow = join(tmp, "flow.json");
    writeFileSync(flow, JSON.stringify(envelope(shopFlow("intruder", 8080, "DROPPED"))));
    const out = join(tmp, "explanation.json");
    const runnable = command
      .replace("k8s/policies", JSON.stringify(policies))
      .replace("--flow flow.json", `--flow ${JSON.stringify(flow)}`)
      .replace("> explanation.json", `> ${JSON.stringify(out)}`);

    const code = await new Promise<number | null>((done) => {
      const child = execFile("sh", ["-c", runnable], { cwd: repoRoot, timeout: 120_000 }, () => {});
      child.on("exit", (c) => done(c));
    });
    assert.equal(code, 1, "--exit-code: 1 for a denied flow");
    const written = readFileSync(out, "utf8");
    assert.ok(written.startsWith("{"), `the file starts with the JSON, not ${JSON.stringify(written.slice(0, 60))}`);
    assert.equal(JSON.parse(written).verdict, "denied");
  });
});
