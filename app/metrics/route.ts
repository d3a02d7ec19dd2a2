import { getMetrics } from "@/server/metrics";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Prometheus text format (see server/metrics.ts for what each series means). */
export async function GET(): Promise<Response> {
  const metrics = getMetrics();
  return new Response(await metrics.text(), {
    headers: { "Content-Type": metrics.contentType, "Cache-Control": "no-store" },
  });
}
