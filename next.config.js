/** @type {import('next').NextConfig} */
const nextConfig = {
  // gRPC and the RE2 port run on the server only; bundling them gains nothing.
  serverExternalPackages: ["@grpc/grpc-js"],
  poweredByHeader: false,
};

module.exports = nextConfig;
