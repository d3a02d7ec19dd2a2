// HUBBLE_LENS_BASE_PATH (e.g. /hubble-lens): serve every page, asset and route under that prefix.
// Next.js fixes it at build time, so the build records it (HUBBLE_LENS_BUILT_BASE_PATH, inlined
// into every bundle; lib/base-path.ts): `npm start` rebuilds when it changes (scripts/start.mjs),
// and a server whose HUBBLE_LENS_BASE_PATH differs from its build refuses to start
// (server/config/env.ts). The same rule as lib/base-path.ts (a test keeps them equal).
const BASE_PATH_PATTERN = /^(\/[A-Za-z0-9._~-]+)*$/;

function basePathFromEnv(raw) {
  const trimmed = (raw ?? "").trim();
  const basePath = trimmed === "/" ? "" : trimmed.replace(/(.)\/$/, "$1");
  if (!BASE_PATH_PATTERN.test(basePath) || /\/\.{1,2}(\/|$)/.test(basePath)) {
    throw new Error(`HUBBLE_LENS_BASE_PATH must be a URL path prefix such as /hubble-lens (got ${JSON.stringify(trimmed.slice(0, 100))})`);
  }
  return basePath;
}

const basePath = basePathFromEnv(process.env.HUBBLE_LENS_BASE_PATH);
const distDir = process.env.HUBBLE_LENS_DIST_DIR || ".next";

/** @type {import('next').NextConfig} */
const nextConfig = {
  basePath,
  env: { HUBBLE_LENS_BUILT_BASE_PATH: basePath },
  // scripts/start.mjs builds a prefixed app into its own folder (.next-base-path), so switching
  // between the two never rebuilds the other, and a server running from .next keeps its files.
  distDir,
  // Server-only packages: gRPC, the Kubernetes client, the databases (better-sqlite3 is a native
  // addon and cannot be bundled), the Prometheus client (one copy for every route, not one per
  // route bundle); bundling them gains nothing.
  serverExternalPackages: ["@grpc/grpc-js", "@kubernetes/client-node", "better-sqlite3", "pg", "prom-client"],
  poweredByHeader: false,
  // ESLint runs over the whole tree in `npm test` (`npm run lint`, eslint.config.mjs); the build
  // need not run it a second time on part of it.
  eslint: { ignoreDuringBuilds: true },
  // .next/standalone: the server with only the node_modules files it uses, for the container
  // image (Containerfile). `npm start` keeps serving the same build with `next start`.
  output: "standalone",
  webpack: (config, { nextRuntime }) => {
    // The embedded demo relay runs on a thread of its own (server/demo-relay/in-worker.ts), whose
    // code webpack emits as a chunk beside the others. Threads load it from the file system, not
    // from the /_next/ URL prefix that the server bundle's public path holds for the browser.
    if (nextRuntime === "nodejs") config.output.workerPublicPath = "./";
    return config;
  },
  // The demo relay reads its scenarios from files at run time, which file tracing cannot see.
  outputFileTracingIncludes: {
    // The demo relay's thread is a webpack chunk that no route imports: tracing cannot see it.
    "/**": ["./server/demo-relay/scenarios/**/*", `./${distDir}/server/chunks/*.js`],
  },
};

module.exports = nextConfig;
