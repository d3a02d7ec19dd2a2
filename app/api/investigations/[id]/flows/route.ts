import { investigationFlowsResponse } from "@/server/http/investigations";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The investigation's flows as `hubble observe -o jsonpb` lines, like /api/flows/history (a referenced one's read from the flow history). */
export const GET = apiRoute(async (request: Request, ctx: { params: Promise<{ id: string }> }, viewer): Promise<Response> => {
  const [{ id }, { investigations, history }] = await Promise.all([ctx.params, getRuntime()]);
  return investigationFlowsResponse(id, { store: investigations, history }, viewer, request);
});
