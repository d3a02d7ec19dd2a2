// Next.js calls register() once when the server starts: bring up the relay connection (and the
// embedded demo relay when HUBBLE_RELAY_ADDR is unset) before the first request, and fail fast on
// a bad configuration.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startRuntimeOrExit } = await import("./server/runtime");
  await startRuntimeOrExit();
}
