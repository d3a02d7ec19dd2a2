import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ObserverClientConstructor } from "@/server/grpc/service-definition";
import { captureDir, captureFiles, flowsOf, getFlows, flowLine, uuidFor } from "./test-support";

// `npm run demo-relay` as a user runs it: a child process, its first stdout line, its exit code.

const repoRoot = path.resolve(__dirname, "../..");
// A safety net only: a child normally answers in about a second, but a loaded CI box is slow.
const CLI_TIMEOUT_MS = 60_000;

function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "server/demo-relay/cli.ts", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the CLI to its exit; kills it if it outlives the timeout. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = startCli(args);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), CLI_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no stdout line within ${CLI_TIMEOUT_MS} ms; stderr: ${err}`)), CLI_TIMEOUT_MS);
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code} before printing; stderr: ${err}`)));
  });
}

describe("the demo-relay CLI", () => {
  it("with --port 0 prints the real address first, serves it, and exits 0 on SIGTERM", async () => {
    const capture = captureFiles().find((f) => f.endsWith("hubble-otel-basic-sample-10-flows.jsonl"));
    assert.ok(capture, "the 10-flow capture");
    const child = startCli(["--port", "0", "--replay", capture]);
    let client: InstanceType<typeof ObserverClientConstructor> | undefined;
    try {
      const line = await firstLine(child);
      const m = /^demo relay listening on (127\.0\.0\.1:(\d+)) \(/.exec(line);
      assert.ok(m, `unexpected first line: ${line}`);
      assert.notEqual(Number(m[2]), 0);
      assert.match(line, /replaying .*10-flows\.jsonl; 1 nodes\)/);

      client = new ObserverClientConstructor(m[1], grpc.credentials.createInsecure());
      assert.equal(flowsOf(await getFlows(client, { number: 0n })).length, 10);

      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      client?.close();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("--help prints the usage and exits 0", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: npm run demo-relay/);
  });

  describe("refuses bad flags with exit code 2 and a message naming the problem", () => {
    const dir = captureDir();
    const good = dir.write("one.jsonl", [flowLine({ node: "a", t: 1, uuid: uuidFor("a", 1) })]);
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ["--replay", good, "--buffer", "100"], message: /buffer capacity must be 2\^n-1.*got 100/ },
      { args: ["--loop"], message: /--loop only applies to --replay/ },
      { args: ["--bogus"], message: /Unknown option '--bogus'/ },
      { args: ["--port", "abc"], message: /--port must be a non-negative number, got "abc"/ },
      { args: ["--replay", path.join(path.dirname(good), "missing.jsonl")], message: /cannot read capture .*missing\.jsonl/ },
      { args: ["--tls-cert-file", good], message: /--tls-cert-file and --tls-key-file go together/ },
    ];
    for (const c of cases) {
      it(c.args.map((a) => (a === good ? "FILE" : path.basename(a))).join(" "), async () => {
        const r = await runCli(c.args);
        assert.equal(r.code, 2, `stderr: ${r.stderr}`);
        assert.match(r.stderr, c.message);
        assert.match(r.stderr, /Usage:/);
        assert.equal(r.stdout, "", "nothing on stdout");
      });
    }
    after(() => dir.cleanup());
  });
});
