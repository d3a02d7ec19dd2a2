// Sub-path hosting (HUBBLE_LENS_BASE_PATH, e.g. /hubble-lens behind a shared ingress host): every
// page, asset, API route, SSE stream and shared link lives under the prefix.
//
// Next.js fixes `basePath` when it builds (next.config.js), so the build records the prefix it was
// made for in HUBBLE_LENS_BUILT_BASE_PATH, which Next.js inlines into every bundle (browser, server,
// edge). Page links and router calls get the prefix from Next.js itself; what Next.js does not
// rewrite — fetch and EventSource URLs, links the server hands out, links the browser copies — is
// built with `withBasePath`. The server refuses to start when HUBBLE_LENS_BASE_PATH and the build
// disagree (server/config/env.ts); `npm start` rebuilds instead (scripts/start.mjs).

/**
 * The rule for a base path: "" (the root) or "/" followed by segments of letters, digits and
 * `-._~`, no trailing slash. next.config.js repeats it (it cannot import TypeScript);
 * lib/base-path.test.ts keeps the two equal.
 */
export const BASE_PATH_PATTERN = /^(\/[A-Za-z0-9._~-]+)*$/;

export type BasePathResult = { ok: true; basePath: string } | { ok: false; message: string };

/** HUBBLE_LENS_BASE_PATH as given ("/hubble-lens", "/hubble-lens/", "/" or "") → the canonical form. */
export function parseBasePath(raw: string | undefined): BasePathResult {
  const trimmed = (raw ?? "").trim();
  // A single trailing slash is forgiven ("/hubble-lens/" is how an ingress path is often written).
  const basePath = trimmed === "/" ? "" : trimmed.replace(/(.)\/$/, "$1");
  if (BASE_PATH_PATTERN.test(basePath) && !/\/\.{1,2}(\/|$)/.test(basePath)) return { ok: true, basePath };
  return {
    ok: false,
    message:
      `must be a URL path prefix such as /hubble-lens: a leading slash, segments of letters, digits and -._~, ` +
      `no query or trailing slash; empty or / for the root (got ${JSON.stringify(trimmed.slice(0, 100))})`,
  };
}

/** The prefix this build serves under ("" at the root): inlined by Next.js at build time. */
export function builtBasePath(): string {
  return process.env.HUBBLE_LENS_BUILT_BASE_PATH ?? "";
}

/**
 * `path` (starting with "/", may carry a query) under the build's prefix: for fetch, EventSource
 * and links the server hands out. The app's root under a prefix is the prefix itself, as Next.js
 * serves it ("/hubble-lens", not "/hubble-lens/").
 */
export function withBasePath(path: string, basePath: string = builtBasePath()): string {
  if (!path.startsWith("/")) throw new Error(`withBasePath takes an absolute path, got ${JSON.stringify(path.slice(0, 40))}`);
  if (basePath === "") return path;
  if (path === "/") return basePath;
  if (path.startsWith("/?") || path.startsWith("/#")) return basePath + path.slice(1);
  return basePath + path;
}
