import "server-only";
import { crossSiteReason } from "@/lib/http-security";
import { getServerConfig } from "@/server/config/env";
import { apiError } from "@/server/http/api-error";
import { withSecurityHeaders } from "@/server/http/guard";
import { callbackResponse, loginResponse, logoutResponse } from "./oidc";

// The /auth/* route handlers' bodies: only with HUBBLE_LENS_AUTH=oidc; a 404 otherwise.

type Step = typeof loginResponse;

export async function oidcRoute(request: Request, step: Step): Promise<Response> {
  const config = getServerConfig();
  const { oidc, sessionSecret } = config.auth;
  if (config.auth.mode !== "oidc" || oidc === null || sessionSecret === null) {
    return withSecurityHeaders(apiError("not-found", "sign-in with OpenID Connect is not configured (HUBBLE_LENS_AUTH is not oidc)"), config.http);
  }
  if (request.method === "POST") {
    const crossSite = crossSiteReason(request.headers, config.http);
    if (crossSite) return withSecurityHeaders(apiError("cross-site-request", crossSite), config.http);
  }
  return withSecurityHeaders(await step(request, oidc, sessionSecret), config.http);
}

export { callbackResponse, loginResponse, logoutResponse };
