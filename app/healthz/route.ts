import { livenessResponse } from "@/server/readiness";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Liveness: the process serves HTTP. Deliberately consults neither the relay nor the store. */
export function GET(): Response {
  return livenessResponse();
}
