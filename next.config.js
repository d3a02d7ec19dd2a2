/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages: gRPC, the Kubernetes client, the databases (better-sqlite3 is a native
  // addon and cannot be bundled), the Prometheus client (one copy for every route, not one per
  // route bundle); bundling them gains nothing.
  serverExternalPackages: ["@grpc/grpc-js", "@kubernetes/client-node", "better-sqlite3", "pg", "prom-client"],
  poweredByHeader: false,
  // .next/standalone: the server with only the node_modules files it uses, for the container
  // image (Containerfile). `npm start` keeps serving the same build with `next start`.
  output: "standalone",
  // The demo relay reads its scenarios from files at run time, which file tracing cannot see.
  outputFileTracingIncludes: {
    "/**": ["./server/demo-relay/scenarios/**/*"],
  },
};

module.exports = nextConfig;
