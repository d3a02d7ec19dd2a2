import "server-only";

import { Worker } from "node:worker_threads";

/**
 * A thread running one of the server's modules. `bundled` must be written at the call site as
 * `() => new Worker(new URL("./entry.ts", import.meta.url), { workerData })`: that exact form
 * makes the bundler emit the entry as a chunk of its own (next.config.js loads it from the file
 * system). Outside the bundle (tsx: tests, scripts) a thread does not inherit tsx's loader hooks,
 * so `entryUrl` (the .ts file's URL) is loaded through tsx's API instead.
 */
export function startThread(bundled: () => Worker, entryUrl: string, workerData: unknown): Worker {
  if (process.env.NEXT_RUNTIME !== undefined) return bundled();
  const entry = JSON.stringify(entryUrl);
  return new Worker(`import("tsx/esm/api").then((tsx) => tsx.tsImport(${entry}, ${entry}))`, { eval: true, workerData });
}

/** The URL of `file` beside the module whose `import.meta.url` is `base` (no bundler rewriting). */
export function besideModule(base: string, file: string): string {
  return base.replace(/[^/]*$/, file);
}
