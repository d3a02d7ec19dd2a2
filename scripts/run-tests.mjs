#!/usr/bin/env node
// Runs every *.test.ts under lib/, server/, proto/, scripts/ and deploy/ with Node's own test runner.
// Node 20's runner does not expand globs, so the file list is built here.
// `--conditions=react-server` lets modules that `import "server-only"` load outside Next.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["lib", "server", "proto", "scripts", "deploy"];

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => (r.endsWith(".ts") ? [r] : collect(r, []))).sort();
if (files.length === 0) {
  console.error("run-tests: no test files found under", roots.join(", "));
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--conditions=react-server", "--import", "tsx", "--test", "--test-concurrency=1", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
