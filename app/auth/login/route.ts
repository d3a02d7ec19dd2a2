import { loginResponse, oidcRoute } from "@/server/auth/routes";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Sign in: off to the OpenID provider (authorization code flow with PKCE). */
export const GET = (request: Request): Promise<Response> => oidcRoute(request, loginResponse);
