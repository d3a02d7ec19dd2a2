import { NextResponse, type NextRequest } from "next/server";
import {
  commonSecurityHeaders,
  hostAllowed,
  hostRefusalMessage,
  httpSecurityFromEnv,
  pageCsp,
  refusal,
  type HttpSecuritySettings,
} from "@/lib/http-security";

// Pages and assets: the Host allowlist and the security headers, with a fresh CSP nonce per
// request (Next.js puts it on its own scripts when it finds it in the request's CSP header).
// /api is not matched: Next.js copies a POST body into memory for middleware (and cuts it at
// 10 MB), so the API routes apply the same rules themselves (server/http/guard.ts).

let cached: HttpSecuritySettings | undefined;

function settings(): HttpSecuritySettings {
  if (!cached) {
    const parsed = httpSecurityFromEnv(process.env);
    // A bad value stops the server at start (server/config/env.ts); never serve with weaker rules.
    cached = parsed.ok ? parsed.settings : { allowedHosts: [], anyHost: false, publicOrigin: null, frameAncestors: ["'none'"] };
  }
  return cached;
}

export function middleware(request: NextRequest): NextResponse {
  const s = settings();
  const host = request.headers.get("host");
  if (!hostAllowed(host, s)) {
    return NextResponse.json(refusal("host-not-allowed", hostRefusalMessage(host)), {
      status: 403,
      headers: { ...commonSecurityHeaders(s), "Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store" },
    });
  }
  const nonce = btoa(crypto.randomUUID());
  const csp = pageCsp(nonce, s, process.env.NODE_ENV === "development");
  const forwarded = new Headers(request.headers);
  forwarded.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers: forwarded } });
  response.headers.set("Content-Security-Policy", csp);
  for (const [k, v] of Object.entries(commonSecurityHeaders(s))) response.headers.set(k, v);
  return response;
}

export const config = {
  // "/" on its own too: under HUBBLE_LENS_BASE_PATH Next.js prefixes each matcher, and the second
  // one alone no longer matches the bare prefix (the dashboard, /hubble-lens).
  matcher: ["/", "/((?!api/).*)"],
};
