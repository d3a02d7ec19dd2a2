import "server-only";
import * as client from "openid-client";
import { LOGIN_COOKIE, LOGIN_PURPOSE, MAX_USER_CHARS, SESSION_COOKIE, SESSION_PURPOSE } from "@/lib/auth/request";
import { readCookie, seal, unseal } from "@/lib/auth/sealed";
import type { OidcSettings } from "@/server/config/env";
import { log } from "@/server/log";
import { getMetrics } from "@/server/metrics";
import { apiError } from "@/server/http/api-error";

// Sign-in with OpenID Connect (HUBBLE_LENS_AUTH=oidc): the authorization code flow with PKCE
// (S256), state and nonce, through openid-client. The provider's metadata is discovered on first
// use and kept. What the flow needs between /auth/login and /auth/callback (verifier, state,
// nonce, where to go back to) travels in a short-lived sealed cookie; the session is a sealed
// cookie too (HttpOnly, SameSite=Lax, Secure when the public URL is https), so replicas with the
// same HUBBLE_LENS_SESSION_SECRET share sessions and the server keeps no session state.

export const SESSION_HOURS = 8;
const LOGIN_MINUTES = 10;
/** Groups kept in the session cookie (it must stay under the browsers' 4 KB). */
const MAX_SESSION_GROUPS = 50;
const MAX_SESSION_GROUP_CHARS = 2000;

let discovered: { key: string; config: Promise<client.Configuration> } | undefined;

function configuration(o: OidcSettings): Promise<client.Configuration> {
  const key = `${o.issuer}\0${o.clientId}`;
  if (discovered?.key !== key) {
    const issuer = new URL(o.issuer);
    const config = client
      .discovery(issuer, o.clientId, o.clientSecret ?? undefined, o.clientSecret ? client.ClientSecretBasic(o.clientSecret) : client.None(), {
        // An http:// issuer is taken as given (a provider on the same host or in the test); use https.
        execute: issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
        timeout: 10,
      })
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    discovered = { key, config };
  }
  return discovered.config;
}

/** Cookie attributes: the app's own path, HttpOnly, SameSite=Lax, Secure behind https. */
function cookie(o: OidcSettings, name: string, value: string, maxAgeSeconds: number, path = new URL(o.appUrl).pathname): string {
  const secure = new URL(o.appUrl).protocol === "https:" ? "; Secure" : "";
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

/** Only a path inside the app: never another site (an open redirect), never `//host`. */
export function safeReturnPath(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.includes("\\") || next.length > 4096) return "/";
  // eslint-disable-next-line no-control-regex -- a return path with control characters is refused
  return /[\u0000-\u001f]/.test(next) ? "/" : next;
}

function appPath(o: OidcSettings, path: string): string {
  return new URL(path.replace(/^\//, ""), o.appUrl).toString();
}

function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  for (const c of cookies) headers.append("Set-Cookie", c);
  return new Response(null, { status: 303, headers });
}

/** GET /auth/login?next=/path: off to the provider. */
export async function loginResponse(request: Request, o: OidcSettings, secret: string): Promise<Response> {
  let config: client.Configuration;
  try {
    config = await configuration(o);
  } catch (err) {
    log.error(`sign-in: the OpenID provider could not be discovered: ${describe(err)}`, { issuer: o.issuer });
    return apiError("sign-in-unavailable", "the sign-in provider does not answer; try again in a minute");
  }
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const next = safeReturnPath(new URL(request.url).searchParams.get("next"));
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: o.redirectUri,
    scope: o.scopes,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const sealed = await seal({ v: verifier, s: state, n: nonce, r: next }, secret, LOGIN_PURPOSE, Date.now() + LOGIN_MINUTES * 60_000);
  return redirect(url.toString(), [cookie(o, LOGIN_COOKIE, sealed, LOGIN_MINUTES * 60, new URL("auth/", o.appUrl).pathname)]);
}

/** GET /auth/callback?code=…&state=…: the code for tokens, the ID token's claims into a session. */
export async function callbackResponse(request: Request, o: OidcSettings, secret: string): Promise<Response> {
  const login = await unseal(readCookie(request.headers.get("cookie"), LOGIN_COOKIE), secret, LOGIN_PURPOSE, Date.now());
  const clearLogin = cookie(o, LOGIN_COOKIE, "", 0, new URL("auth/", o.appUrl).pathname);
  if (!login || typeof login.v !== "string" || typeof login.s !== "string" || typeof login.n !== "string") {
    getMetrics().authFailures.inc();
    return redirect(appPath(o, "auth/login"), [clearLogin]);
  }
  const incoming = new URL(request.url);
  // The redirect URI as registered (the server may see another host or scheme behind a proxy).
  const current = new URL(o.redirectUri);
  current.search = incoming.search;
  let claims: Record<string, unknown>;
  try {
    const config = await configuration(o);
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: login.v,
      expectedState: login.s,
      expectedNonce: login.n,
      idTokenExpected: true,
    });
    claims = { ...(tokens.claims() ?? {}) };
    if (!(o.groupsClaim in claims) && config.serverMetadata().userinfo_endpoint && typeof claims.sub === "string") {
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      if (o.groupsClaim in info) claims[o.groupsClaim] = info[o.groupsClaim];
      for (const k of ["email", "preferred_username"]) if (!(k in claims) && k in info) claims[k] = info[k];
    }
  } catch (err) {
    getMetrics().authFailures.inc();
    log.warn(`sign-in failed: ${describe(err)}`, { issuer: o.issuer });
    return apiError("sign-in-failed", "the sign-in could not be completed; start again from the dashboard", { headers: { "Set-Cookie": clearLogin } });
  }
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  const email = typeof claims.email === "string" ? claims.email.slice(0, MAX_USER_CHARS) : null;
  const user = (typeof claims.preferred_username === "string" && claims.preferred_username) || email || sub;
  const groups = sessionGroups(claims[o.groupsClaim]);
  const session = await seal({ u: user.slice(0, MAX_USER_CHARS), e: email, g: groups }, secret, SESSION_PURPOSE, Date.now() + SESSION_HOURS * 3_600_000);
  log.audit("sign-in", { user, via: "oidc", groups });
  return redirect(appPath(o, safeReturnPath(typeof login.r === "string" ? login.r : "/")), [cookie(o, SESSION_COOKIE, session, SESSION_HOURS * 3600), clearLogin]);
}

function sessionGroups(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [];
  const out: string[] = [];
  let chars = 0;
  for (const g of list) {
    if (typeof g !== "string" || g.trim() === "") continue;
    const name = g.trim().slice(0, MAX_USER_CHARS);
    if (out.includes(name)) continue;
    if (out.length >= MAX_SESSION_GROUPS || chars + name.length > MAX_SESSION_GROUP_CHARS) break;
    out.push(name);
    chars += name.length;
  }
  return out;
}

/** POST /auth/logout: the session cookie goes; then the provider's own logout when it has one. */
export async function logoutResponse(request: Request, o: OidcSettings, secret: string): Promise<Response> {
  const who = await unseal(readCookie(request.headers.get("cookie"), SESSION_COOKIE), secret, SESSION_PURPOSE, Date.now());
  if (who && typeof who.u === "string") log.audit("sign-out", { user: who.u, via: "oidc" });
  const clear = cookie(o, SESSION_COOKIE, "", 0);
  const signedOut = appPath(o, "auth/signed-out");
  let next = signedOut;
  try {
    const config = await configuration(o);
    if (config.serverMetadata().end_session_endpoint) {
      next = client.buildEndSessionUrl(config, { client_id: o.clientId, post_logout_redirect_uri: signedOut }).toString();
    }
  } catch (err) {
    log.warn(`sign-out: the provider's logout is unavailable: ${describe(err)}`);
  }
  // The dashboard's button asks with fetch and navigates itself; a plain form post is redirected.
  if ((request.headers.get("accept") ?? "").includes("application/json")) {
    return Response.json({ redirect: next }, { headers: { "Cache-Control": "no-store", "Set-Cookie": clear } });
  }
  return redirect(next, [clear]);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
