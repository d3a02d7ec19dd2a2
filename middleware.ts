import { NextResponse, type NextRequest } from "next/server";
import { authSettingsFromEnv, checkRequest, type AuthRequestSettings } from "@/lib/auth/request";
import { commonSecurityHeaders, hostAllowed, hostRefusalMessage, httpSecurityFromEnv, pageCsp, refusal, type HttpSecuritySettings } from "@/lib/http-security";

// Pages and assets: the Host allowlist and the security headers, with a fresh CSP nonce per
// request (Next.js puts it on its own scripts when it finds it in the request's CSP header).
// /api is not matched: Next.js copies a POST body into memory for middleware (and cuts it at
// 10 MB), so the API routes apply the same rules themselves (server/http/guard.ts).
//
// Sign-in (HUBBLE_LENS_AUTH=oidc|proxy): a page request nobody signed in for goes to the sign-in
// (oidc) or gets a 401 (proxy: the proxy in front should have signed it in). The probes, /metrics
// and the sign-in routes themselves are open. Pages show no data of their own; the data comes from
// /api, which checks the same again, and a server page that reads data (an investigation) checks
// who may see it.

let cached: HttpSecuritySettings | undefined;
let cachedAuth: AuthRequestSettings | undefined;

function settings(): HttpSecuritySettings {
  if (!cached) {
    const parsed = httpSecurityFromEnv(process.env);
    // A bad value stops the server at start (server/config/env.ts); never serve with weaker rules.
    cached = parsed.ok ? parsed.settings : { allowedHosts: [], anyHost: false, publicOrigin: null, frameAncestors: ["'none'"] };
  }
  return cached;
}

function authSettings(): AuthRequestSettings {
  cachedAuth ??= authSettingsFromEnv(process.env);
  return cachedAuth;
}

/** Reached without sign-in: Kubernetes probes, Prometheus, the sign-in flow, Next's assets. */
const OPEN_PATHS = /^\/(healthz|readyz|metrics|auth\/|_next\/static\/|favicon\.ico$|icon\.svg$)/;

export async function middleware(request: NextRequest): Promise<NextResponse> {
  const s = settings();
  const host = request.headers.get("host");
  if (!hostAllowed(host, s)) {
    return NextResponse.json(refusal("host-not-allowed", hostRefusalMessage(host)), {
      status: 403,
      headers: { ...commonSecurityHeaders(s), "Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store" },
    });
  }
  const auth = authSettings();
  if (auth.mode !== "none" && !OPEN_PATHS.test(request.nextUrl.pathname)) {
    const check = await checkRequest(request.headers, auth, Date.now());
    if (!check.ok) {
      const headers = { ...commonSecurityHeaders(s), "Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store" };
      if (auth.mode === "oidc" && request.method === "GET") {
        // The sign-in route answers in place of the page (a rewrite, not a redirect: Next.js would
        // turn a redirect to 127.0.0.1 into one to localhost, another cookie jar). It sends the
        // browser to the provider, and back to this page afterwards.
        const back = `${request.nextUrl.pathname}${request.nextUrl.search}`;
        const login = request.nextUrl.clone(); // keeps the base path
        login.pathname = "/auth/login";
        login.search = "";
        login.searchParams.set("next", back);
        const rewrite = NextResponse.rewrite(login);
        for (const [k, v] of Object.entries(headers)) rewrite.headers.set(k, v);
        return rewrite;
      }
      return NextResponse.json(refusal("unauthenticated", check.message), { status: 401, headers });
    }
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
