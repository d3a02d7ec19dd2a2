import { investigationResponse } from "@/server/investigations/http";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** One investigation (title, note, view, selected flow, policies as they were), without its flows. */
export const GET = apiRoute(async (_request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> => {
  const [{ id }, { investigations }] = await Promise.all([ctx.params, getRuntime()]);
  return investigationResponse(id, { store: investigations });
});
