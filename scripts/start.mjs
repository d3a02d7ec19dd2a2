#!/usr/bin/env node
// `npm start`: builds the app when there is no build yet (or the sources changed since), then
// serves it with `next start`. One command for a fresh clone.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

const root = new URL("..", import.meta.url).pathname;
const buildId = join(root, ".next", "BUILD_ID");
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

const needsBuild =
  !existsSync(buildId) || sources.some((s) => newestMtime(join(root, s)) > statSync(buildId).mtimeMs);
const next = join(root, "node_modules", "next", "dist", "bin", "next");
if (needsBuild) {
  console.log("hubble-lens: building the app (first start or sources changed)…");
  const build = spawnSync(process.execPath, [next, "build"], { cwd: root, stdio: "inherit" });
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
const child = spawn(process.execPath, ["--require", preload, next, "start", "-p", port, "-H", host], {
  cwd: root,
  stdio: ["inherit", "inherit", "pipe"],
});
createInterface({ input: child.stderr, crlfDelay: Infinity }).on("line", (line) => {
  if (!STANDALONE_WARNING.test(line)) process.stderr.write(`${line}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
