import { apiRoute } from "@/server/http/guard";
import { sessionResponse } from "@/server/http/session";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Who is signed in and which namespaces they may see (the top bar shows it). */
export const GET = apiRoute((_request: Request, _ctx, viewer): Response => sessionResponse(viewer));
