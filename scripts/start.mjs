#!/usr/bin/env node
// `npm start`: builds the app when there is no build yet (or the sources changed since, or it was
// made for another HUBBLE_LENS_BASE_PATH), then serves it with `next start`. One command for a
// fresh clone.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

const root = new URL("..", import.meta.url).pathname;
// Next.js fixes the base path at build time (next.config.js). An app served under a prefix is
// built into its own folder, so switching between the two never rebuilds the other and never
// pulls the files from under a server running from .next (the e2e tests run both at once).
const prefixed = !["", "/"].includes((process.env.HUBBLE_LENS_BASE_PATH ?? "").trim());
const distDir = process.env.HUBBLE_LENS_DIST_DIR || (prefixed ? ".next-base-path" : ".next");
const env = { ...process.env, HUBBLE_LENS_DIST_DIR: distDir };
const buildId = join(root, distDir, "BUILD_ID");
const sources = ["app", "components", "lib", "server", "proto", "instrumentation.ts", "middleware.ts", "next.config.js", "package.json"];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** The base path the build in distDir serves under (Next.js records it in its routes manifest). */
function builtBasePath() {
  try {
    return JSON.parse(readFileSync(join(root, distDir, "routes-manifest.json"), "utf8")).basePath ?? "";
  } catch {
    return undefined;
  }
}

/** The base path next.config.js makes of HUBBLE_LENS_BASE_PATH (it throws on a bad one). */
async function wantedBasePath() {
  const { default: config } = await import(join(root, "next.config.js"));
  return config.basePath ?? "";
}

let wanted;
try {
  wanted = await wantedBasePath();
} catch (err) {
  console.error(`hubble-lens: ${err instanceof Error ? err.message : err}`);
  process.exit(2);
}
const built = existsSync(buildId) ? builtBasePath() : undefined;
const reason = !existsSync(buildId)
  ? "first start"
  : built !== wanted
    ? `it was built for base path ${JSON.stringify(built ?? "?")}, HUBBLE_LENS_BASE_PATH asks for ${JSON.stringify(wanted)}`
    : sources.some((s) => newestMtime(join(root, s)) > statSync(buildId).mtimeMs)
      ? "sources changed"
      : undefined;
const next = join(root, "node_modules", "next", "dist", "bin", "next");
if (reason) {
  console.log(`hubble-lens: building the app into ${distDir} (${reason})…`);
  // Next.js points next-env.d.ts at the types of the folder it builds; the checkout's type check
  // (tsconfig.json) reads .next's, so a build elsewhere puts the file back as it was.
  const nextEnv = join(root, "next-env.d.ts");
  const nextEnvBefore = distDir !== ".next" && existsSync(nextEnv) ? readFileSync(nextEnv, "utf8") : undefined;
  const build = spawnSync(process.execPath, [next, "build"], { cwd: root, stdio: "inherit", env });
  if (nextEnvBefore !== undefined) writeFileSync(nextEnv, nextEnvBefore);
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const port = process.env.PORT ?? "3000";
// The build also writes .next/standalone for the container image (next.config.js); `next start`
// serves the same build from the checkout, where relative paths (./data, captures, policies)
// keep meaning what they mean to the person starting it. Next warns that standalone output wants
// `node .next/standalone/server.js`: true for the image, not here, so that one line is dropped.
const STANDALONE_WARNING = /"next start" does not work with "output: standalone"/;
// Loopback unless HUBBLE_LENS_HOST says otherwise (anything else needs sign-in or an explicit
// opt-in: server/config checks it). The preload records each request's peer address for proxy
// sign-in (scripts/server-preload.cjs).
const host = process.env.HUBBLE_LENS_HOST?.trim() || "127.0.0.1";
const preload = join(root, "scripts", "server-preload.cjs");
// A young generation of up to 64 MB a semi-space (Node 20's default is 16): every relay flow makes
// short-lived objects, and with the default the garbage collector took ~27 % of the server's
// thread at 20,000 flows/s; with 64 the thread took 16,500 flows/s of the `large` demo instead of
// 12,500 (docs/benchmarks.md), for ~150 MB more memory.
const child = spawn(process.execPath, ["--max-semi-space-size=64", "--require", preload, next, "start", "-p", port, "-H", host], {
  cwd: root,
  stdio: ["inherit", "inherit", "pipe"],
  env,
});
createInterface({ input: child.stderr, crlfDelay: Infinity }).on("line", (line) => {
  if (!STANDALONE_WARNING.test(line)) process.stderr.write(`${line}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
