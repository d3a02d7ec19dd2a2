// Next.js calls register() once when the server starts: bring up the relay connection (and the
// embedded demo relay when HUBBLE_RELAY_ADDR is unset) before the first request, and fail fast on
// a bad configuration.
export async function register(): Promise<void> {
  // This exact shape lets the bundler drop the import from the edge build (the page middleware
  // runs there), where gRPC and the databases cannot be bundled.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startRuntimeOrExit } = await import("./server/runtime");
    await startRuntimeOrExit();
  }
}
