import "server-only";

import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, relative, sep } from "node:path";
import { parsePolicyDocuments } from "@/lib/policy";
import { policyKey, type PolicyObject, type PolicyProblem, type WorkloadPorts } from "@/lib/policy/types";
import type { PolicyState } from "./history";

// Policy files as `kubectl apply -f DIR --recursive` takes them: .yaml, .yml and .json files under a
// directory (or one file), multi-document, `kind: List` included. Shared by the directory source and
// `npm run explain`, so CI and the dashboard read a GitOps repository the same way.

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
/** A policy file this large is a mistake (a capture, a binary); reading it would stall the server. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_FILES = 5000;

export interface PolicyFile {
  readonly path: string;
  readonly mtimeMs: number;
  readonly size: number;
}

/** The files a path stands for, sorted, with what identifies their content cheaply (for polling). */
export async function listPolicyFiles(root: string): Promise<{ files: PolicyFile[]; problems: PolicyProblem[] }> {
  const problems: PolicyProblem[] = [];
  const files: PolicyFile[] = [];
  const top = await stat(root).catch((err: NodeJS.ErrnoException) => {
    // Problems reach the API: name paths relative to the root's parent, never absolute.
    problems.push({ where: basename(root), message: `cannot read: ${err.code ?? "unknown error"}` });
    return null;
  });
  if (top === null) return { files, problems };
  if (top.isFile()) return { files: [{ path: root, mtimeMs: top.mtimeMs, size: top.size }], problems };

  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ where: displayPath(root, dir, false), message: `cannot list: ${(err as NodeJS.ErrnoException).code ?? "unknown error"}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      // .git and editor swap directories hold no policies and can be huge.
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (EXTENSIONS.has(extname(e.name).toLowerCase()) && files.length < MAX_FILES) {
        const s = await stat(path).catch(() => null);
        if (s?.isFile()) files.push({ path, mtimeMs: s.mtimeMs, size: s.size });
      }
    }
  };
  await walk(root);
  if (files.length >= MAX_FILES) problems.push({ where: basename(root), message: `more than ${MAX_FILES} policy files; only the first ${MAX_FILES} are read` });
  return { files, problems };
}

/** How a file is named in origins and problems: relative to the policy root's parent ("policies/shop.yaml"). */
export function displayPath(root: string, file: string, rootIsFile: boolean): string {
  if (rootIsFile) return basename(file);
  return join(basename(root), relative(root, file)).split(sep).join("/");
}

/** Reads and parses every policy file under `root`. Bad files and documents become problems. */
export async function loadPolicyPath(root: string): Promise<PolicyState & { files: PolicyFile[] }> {
  const listed = await listPolicyFiles(root);
  const problems = [...listed.problems];
  const rootIsFile = listed.files.length === 1 && listed.files[0].path === root;
  const policies = new Map<string, PolicyObject>();
  const namespaceLabels: Record<string, Record<string, string>> = {};
  const workloadPorts: WorkloadPorts[] = [];
  for (const f of listed.files) {
    const name = `file ${displayPath(root, f.path, rootIsFile)}`;
    if (f.size > MAX_FILE_BYTES) {
      problems.push({ where: name, message: `${f.size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a policy file; skipped` });
      continue;
    }
    let text: string;
    try {
      text = await readFile(f.path, "utf8");
    } catch (err) {
      problems.push({ where: name, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    const parsed = parsePolicyDocuments(text, name);
    problems.push(...parsed.problems);
    for (const p of parsed.policies) {
      const key = policyKey(p);
      const earlier = policies.get(key);
      // kubectl apply would apply both, and the later one wins; say so, as it is rarely meant.
      if (earlier) problems.push({ where: p.origin, message: `${key} is also defined in ${earlier.origin}; this later one is used` });
      policies.set(key, p);
    }
    Object.assign(namespaceLabels, parsed.namespaces);
    workloadPorts.push(...parsed.workloads);
  }
  return { policies: [...policies.values()], namespaceLabels, workloadPorts, problems, files: listed.files };
}
