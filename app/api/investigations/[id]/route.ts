import { deleteInvestigationResponse, investigationResponse } from "@/server/http/investigations";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

type Ctx = { params: Promise<{ id: string }> };

/** One investigation (title, note, view, selected flow, policies as they were), without its flows. */
export const GET = apiRoute(async (_request: Request, ctx: Ctx, viewer): Promise<Response> => {
  const [{ id }, { investigations, history }] = await Promise.all([ctx.params, getRuntime()]);
  return investigationResponse(id, { store: investigations, history }, viewer);
});

/** Deletes it with its flows: only its owner may. */
export const DELETE = apiRoute(async (_request: Request, ctx: Ctx, viewer): Promise<Response> => {
  const [{ id }, { investigations }] = await Promise.all([ctx.params, getRuntime()]);
  return deleteInvestigationResponse(id, { store: investigations }, viewer);
});
