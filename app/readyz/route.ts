import { getServerConfig } from "@/server/config/env";
import { getMetrics } from "@/server/metrics";
import { checkReadiness, readinessResponse } from "@/server/readiness";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Readiness: configuration valid, store migrated, relay reached at least once; else 503 with the reason. */
export async function GET(): Promise<Response> {
  return readinessResponse(await checkReadiness({ config: getServerConfig, runtime: getRuntime, metrics: getMetrics() }));
}
