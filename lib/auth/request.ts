import { parsePrefix, prefixContains, type Prefix } from "@/lib/filters/ip";
import { readCookie, unseal } from "./sealed";

// Who sent a request, as the page middleware (edge runtime) and the API guard (Node) both decide
// it. Pure apart from WebCrypto; the settings come from the environment (authSettingsFromEnv), so
// both ends read the same ones.
//
// - none: nobody signs in; everyone is "anonymous".
// - proxy: a sign-in proxy in front (oauth2-proxy) names the user in X-Forwarded-User,
//   X-Forwarded-Email and X-Forwarded-Groups. Those headers are believed only when the TCP peer is
//   one of HUBBLE_LENS_TRUSTED_PROXIES. Next.js does not tell route handlers the peer's address,
//   so the server's entry (scripts/server-preload.cjs, loaded by `npm start` and the image) writes
//   it into PEER_HEADER on every request, over whatever the client sent, together with a random
//   per-process token the client cannot know. X-Forwarded-For is never read.
// - oidc: a session cookie sealed by this server after an OpenID Connect sign-in (server/auth/oidc.ts).

export type AuthMode = "none" | "oidc" | "proxy";
export const AUTH_MODES: readonly AuthMode[] = ["none", "oidc", "proxy"];

export const PEER_HEADER = "x-hubble-lens-peer";
export const SESSION_COOKIE = "hubble_lens_session";
export const LOGIN_COOKIE = "hubble_lens_login";
export const SESSION_PURPOSE = "session";
export const LOGIN_PURPOSE = "login";
/** Loopback: a sign-in proxy running as a sidecar in the same pod. */
export const DEFAULT_TRUSTED_PROXIES = "127.0.0.1/8,::1";

export const MAX_USER_CHARS = 256;
export const MAX_GROUPS = 200;

export interface AuthRequestSettings {
  readonly mode: AuthMode;
  readonly trustedProxies: readonly Prefix[];
  /** Seals sessions (oidc); null when there is none. */
  readonly sessionSecret: string | null;
  /** The per-process token the server's entry puts in PEER_HEADER; null without that entry. */
  readonly peerToken: string | null;
}

/** A signed-in person as the sign-in said: not yet what they may see (server/auth/access-file.ts). */
export interface Person {
  readonly user: string;
  readonly email: string | null;
  readonly groups: readonly string[];
}

export type AuthCheck = { ok: true; person: Person } | { ok: false; reason: "no-session" | "untrusted-peer" | "no-user" | "no-peer"; message: string };

export const ANONYMOUS: Person = { user: "anonymous", email: null, groups: [] };

type Env = Record<string, string | undefined>;

/** The settings as the environment gives them; the server checks the same values strictly at start (server/config). */
export function authSettingsFromEnv(env: Env): AuthRequestSettings {
  const mode = (AUTH_MODES as readonly string[]).includes(env.HUBBLE_LENS_AUTH?.trim() ?? "") ? (env.HUBBLE_LENS_AUTH!.trim() as AuthMode) : "none";
  return {
    mode,
    trustedProxies: parseTrustedProxies(env.HUBBLE_LENS_TRUSTED_PROXIES?.trim() || DEFAULT_TRUSTED_PROXIES).prefixes,
    sessionSecret: env.HUBBLE_LENS_SESSION_SECRET?.trim() || env.HUBBLE_LENS_PROCESS_SECRET || null,
    peerToken: env.HUBBLE_LENS_PEER_TOKEN || null,
  };
}

/** Addresses and CIDR prefixes separated by commas or spaces; a bare address is a /32 or /128. */
export function parseTrustedProxies(text: string): { prefixes: Prefix[]; invalid: string[] } {
  const prefixes: Prefix[] = [];
  const invalid: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter((e) => e !== "")) {
    const withBits = entry.includes("/") ? entry : `${entry}/${entry.includes(":") ? 128 : 32}`;
    const p = parsePrefix(withBits);
    if (p) prefixes.push(p);
    else invalid.push(entry);
  }
  return { prefixes, invalid };
}

/** The TCP peer the server's entry recorded, or null when the header is missing or not its own. */
export function peerAddress(headers: Headers, token: string | null): string | null {
  if (!token) return null;
  const raw = headers.get(PEER_HEADER);
  if (!raw) return null;
  const space = raw.indexOf(" ");
  if (space < 0 || !sameText(raw.slice(0, space), token)) return null;
  return normalizeAddress(raw.slice(space + 1).trim());
}

export function addressTrusted(address: string, trusted: readonly Prefix[]): boolean {
  return trusted.some((p) => prefixContains(p, address));
}

/** An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d; it is the IPv4 address. */
export function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Whoever sent the request, or why nobody is signed in. */
export async function checkRequest(headers: Headers, settings: AuthRequestSettings, nowMs: number): Promise<AuthCheck> {
  if (settings.mode === "none") return { ok: true, person: ANONYMOUS };
  const check = settings.mode === "proxy" ? checkProxy(headers, settings) : await checkSession(headers, settings, nowMs);
  // "anonymous" owns what was saved without sign-in: nobody signs in as it.
  if (check.ok && check.person.user.toLowerCase() === ANONYMOUS.user) {
    return { ok: false, reason: "no-user", message: `the user name "${ANONYMOUS.user}" is reserved for use without sign-in` };
  }
  return check;
}

function checkProxy(headers: Headers, settings: AuthRequestSettings): AuthCheck {
  const peer = peerAddress(headers, settings.peerToken);
  if (peer === null) {
    return { ok: false, reason: "no-peer", message: "the server cannot tell who connected: start it with npm start or the image's command (scripts/server-preload.cjs)" };
  }
  if (!addressTrusted(peer, settings.trustedProxies)) {
    return { ok: false, reason: "untrusted-peer", message: "sign in through the sign-in proxy: this address is not one of HUBBLE_LENS_TRUSTED_PROXIES" };
  }
  const person = forwardedPerson(headers);
  if (!person) return { ok: false, reason: "no-user", message: "the sign-in proxy sent no X-Forwarded-User or X-Forwarded-Email" };
  return { ok: true, person };
}

/** oauth2-proxy's headers (--set-xauthrequest / --pass-user-headers), bounded. */
export function forwardedPerson(headers: Headers): Person | null {
  const user = clean(headers.get("x-forwarded-user"));
  const email = clean(headers.get("x-forwarded-email"));
  if (!user && !email) return null;
  return { user: (user || email)!, email: email || null, groups: splitGroups(headers.get("x-forwarded-groups")) };
}

export function splitGroups(raw: string | null | undefined): string[] {
  if (!raw) return [];
  const out: string[] = [];
  for (const g of raw.split(",")) {
    const name = clean(g);
    if (name && !out.includes(name)) out.push(name);
    if (out.length >= MAX_GROUPS) break;
  }
  return out;
}

function clean(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is stripped
  const text = raw.trim().replace(/[\u0000-\u001f\u007f]/g, "");
  return text === "" ? null : text.slice(0, MAX_USER_CHARS);
}

async function checkSession(headers: Headers, settings: AuthRequestSettings, nowMs: number): Promise<AuthCheck> {
  if (!settings.sessionSecret) return { ok: false, reason: "no-session", message: "sign-in is not configured (no session secret)" };
  const payload = await unseal(readCookie(headers.get("cookie"), SESSION_COOKIE), settings.sessionSecret, SESSION_PURPOSE, nowMs);
  if (!payload || typeof payload.u !== "string" || payload.u === "") {
    return { ok: false, reason: "no-session", message: "not signed in, or the session has expired: sign in again" };
  }
  const groups = Array.isArray(payload.g) ? payload.g.filter((g): g is string => typeof g === "string").slice(0, MAX_GROUPS) : [];
  return { ok: true, person: { user: payload.u, email: typeof payload.e === "string" ? payload.e : null, groups } };
}
