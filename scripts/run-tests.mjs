#!/usr/bin/env node
// Runs every *.test.ts(x) under lib/, server/, proto/, scripts/, deploy/ and components/ with Node's
// own test runner. Node 20's runner does not expand globs, so the file list is built here.
// `--conditions=react-server` lets modules that `import "server-only"` load outside Next.
// Component tests (under components/) run in a second process: without that condition (it swaps in
// React's server build, which has no hooks), with a DOM (components/testing/dom.ts) and the JSX
// runtime React DOM needs (components/testing/tsconfig.json).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["lib", "server", "proto", "scripts", "deploy", "components"];

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

const files = roots.flatMap((r) => (/\.tsx?$/.test(r) ? [r] : collect(r, []))).sort();
if (files.length === 0) {
  console.error("run-tests: no test files found under", roots.join(", "));
  process.exit(1);
}
const isComponentTest = (file) => file.split(sep)[0] === "components" || file.startsWith("components/");
const serverFiles = files.filter((f) => !isComponentTest(f));
const componentFiles = files.filter(isComponentTest);

let status = 0;
if (serverFiles.length > 0) {
  const result = spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "--test", "--test-concurrency=1", ...serverFiles], { stdio: "inherit" });
  status ||= result.status ?? 1;
}
if (componentFiles.length > 0) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "--import", "./components/testing/dom.ts", "--test", "--test-concurrency=1", ...componentFiles], {
    stdio: "inherit",
    env: { ...process.env, TSX_TSCONFIG_PATH: "components/testing/tsconfig.json" },
  });
  status ||= result.status ?? 1;
}
process.exit(status);
