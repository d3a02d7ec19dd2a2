import { logoutResponse, oidcRoute } from "@/server/auth/routes";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Sign out: the session ends here, then at the provider when it offers that. */
export const POST = (request: Request): Promise<Response> => oidcRoute(request, logoutResponse);
