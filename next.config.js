/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages: gRPC, the Kubernetes client, the databases (better-sqlite3 is a native
  // addon and cannot be bundled); bundling them gains nothing.
  serverExternalPackages: ["@grpc/grpc-js", "@kubernetes/client-node", "better-sqlite3", "pg"],
  poweredByHeader: false,
};

module.exports = nextConfig;
