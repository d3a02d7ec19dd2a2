import "server-only";
import { apiCsp, commonSecurityHeaders, crossSiteReason, hostAllowed, hostRefusalMessage, type HttpSecuritySettings } from "@/lib/http-security";
import { getServerConfig } from "@/server/config/env";
import { viewerOf, type Viewer } from "@/server/auth/viewer";
import { apiError } from "./api-error";

// Wraps every /api route handler (the page middleware does the same for pages; it cannot run in
// front of the API: Next.js buffers a POST body for middleware, up to 10 MB, then truncates it).
// A foreign Host is refused before anything runs; a POST from another site is refused before its
// body is read; a request nobody signed in for (HUBBLE_LENS_AUTH=oidc|proxy) gets a 401 before its
// body is read; every answer carries the security headers. The handler gets the Viewer: who asks
// and which namespaces they may see.

type Handler<C> = (request: Request, ctx: C, viewer: Viewer) => Promise<Response> | Response;

export function apiRoute<C>(handler: Handler<C>): (request: Request, ctx: C) => Promise<Response> {
  return async (request, ctx) => withSecurityHeaders(await guard(request, ctx, handler), getServerConfig().http);
}

async function guard<C>(request: Request, ctx: C, handler: Handler<C>): Promise<Response> {
  const settings = getServerConfig().http;
  const host = request.headers.get("host");
  if (!hostAllowed(host, settings)) return apiError("host-not-allowed", hostRefusalMessage(host));
  if (request.method !== "GET" && request.method !== "HEAD") {
    const crossSite = crossSiteReason(request.headers, settings);
    if (crossSite) {
      await request.body?.cancel().catch(() => {});
      return apiError("cross-site-request", `${crossSite}; Hubble Lens only takes this from its own pages or from scripts`);
    }
  }
  const who = await viewerOf(request.headers, getServerConfig().auth);
  if (!who.ok) {
    await request.body?.cancel().catch(() => {});
    return apiError("unauthenticated", who.message);
  }
  return handler(request, ctx, who.viewer);
}

export function withSecurityHeaders(response: Response, settings: HttpSecuritySettings): Response {
  const headers: Record<string, string> = { ...commonSecurityHeaders(settings), "Content-Security-Policy": apiCsp(settings) };
  try {
    for (const [k, v] of Object.entries(headers)) response.headers.set(k, v);
    return response;
  } catch {
    // Immutable headers (a fetched Response): copy it.
    const copy = new Response(response.body, response);
    for (const [k, v] of Object.entries(headers)) copy.headers.set(k, v);
    return copy;
  }
}
