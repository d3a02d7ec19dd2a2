import "server-only";

// The upstream `hubble` CLI for the tests that use it as a peer: built from the bundled source in
// ../shared/tools/hubble-cli (relative to the project root) into the git-ignored .cache/ folder,
// once per source version, then reused. A missing shared folder is an error that says where it
// was looked for: these tests must not pass by not running.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const PROJECT_ROOT = resolve(__dirname, "../../..");
export const HUBBLE_CLI_SOURCE = resolve(PROJECT_ROOT, "../shared/tools/hubble-cli");
const CACHE_DIR = join(PROJECT_ROOT, ".cache", "hubble-cli");
/** Go builds the CLI in 1–2 minutes on an idle machine; a busy shared one can take several. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

let built: Promise<string> | undefined;

/** The path of a built hubble CLI, building it first if this source version has no build yet. */
export function hubbleCli(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const tgz = join(HUBBLE_CLI_SOURCE, "hubble-src.tgz");
  const script = join(HUBBLE_CLI_SOURCE, "build.sh");
  if (!existsSync(tgz) || !existsSync(script)) {
    throw new Error(
      `the hubble CLI source is missing: expected ${tgz} and ${script} (the shared tools folder at ../shared ` +
        `next to the project root). These tests run the real CLI against the demo relay and cannot run without it.`,
    );
  }
  const version = createHash("sha256").update(readFileSync(tgz)).update(readFileSync(script)).digest("hex").slice(0, 12);
  const binary = join(CACHE_DIR, `hubble-${version}`);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Built under a private name and renamed, so a build cut short never looks finished.
  const partial = `${binary}.${process.pid}.partial`;
  await new Promise<void>((done, fail) => {
    execFile("bash", [script, partial], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) {
        rmSync(partial, { force: true });
        fail(new Error(`building the hubble CLI with ${script} failed: ${err.message}\n${stderr.slice(-4000)}`));
      } else done();
    });
  });
  renameSync(partial, binary);
  return binary;
}

/**
 * The CLI's environment: no HUBBLE_* variables and an empty HOME, so neither the caller's
 * environment nor a ~/.config/hubble/config.yaml changes what it does.
 */
function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("HUBBLE_")) delete env[k];
  cliHome ??= mkdtempSync(join(tmpdir(), "hubble-cli-home-"));
  env.HOME = cliHome;
  return env;
}
let cliHome: string | undefined;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI. Its stdin is /dev/null unless `stdinFile` is given: the CLI reads flows from
 * stdin instead of the server whenever stdin is not a terminal or /dev/null (a pipe or a file).
 */
export function runHubble(binary: string, args: readonly string[], opts: { stdinFile?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child: ChildProcess = spawn(binary, args, { stdio: [opts.stdinFile ? "pipe" : "ignore", "pipe", "pipe"], env: cliEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    if (opts.stdinFile) {
      child.stdin!.on("error", () => {}); // the CLI may exit before reading everything
      child.stdin!.end(readFileSync(opts.stdinFile));
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", fail);
    child.on("close", (code: number | null) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
