import { callbackResponse, oidcRoute } from "@/server/auth/routes";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The provider sends the browser back here with the code; the session starts. */
export const GET = (request: Request): Promise<Response> => oidcRoute(request, callbackResponse);
