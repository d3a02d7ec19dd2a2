import "server-only";
import { type NamespaceAccess } from "@/lib/access/scope";
import { type AuthMode, type AuthRequestSettings, checkRequest, forwardedPerson } from "@/lib/auth/request";
import type { AuthSettings } from "@/server/config/env";
import { log } from "@/server/log";
import { getMetrics } from "@/server/metrics";
import { accessFor } from "./access-file";

// The person behind a request and what they may see, for the route handlers and server pages.
// Every /api route gets it from apiRoute() (server/http/guard.ts); a request nobody signed in for
// is a 401 there, counted in hubble_lens_auth_failures_total.

export interface Viewer {
  readonly user: string;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly access: NamespaceAccess;
  readonly mode: AuthMode;
}

export type ViewerResult = { ok: true; viewer: Viewer } | { ok: false; status: 401; message: string };

export function requestSettings(auth: AuthSettings): AuthRequestSettings {
  return {
    mode: auth.mode,
    trustedProxies: auth.trustedProxies,
    sessionSecret: auth.sessionSecret,
    peerToken: process.env.HUBBLE_LENS_PEER_TOKEN || null,
  };
}

/** Users seen through the proxy in this process: the first request of each is audited as a sign-in. */
const seenProxyUsers = new Set<string>();
const MAX_SEEN = 10_000;

export async function viewerOf(headers: Headers, auth: AuthSettings, nowMs = Date.now()): Promise<ViewerResult> {
  const check = await checkRequest(headers, requestSettings(auth), nowMs);
  if (!check.ok) {
    getMetrics().authFailures.inc();
    if (check.reason === "untrusted-peer" && forwardedPerson(headers) !== null) {
      // Someone sent sign-in headers from an address that is not the proxy: worth a line.
      log.warn("refused X-Forwarded-User from an address that is not a trusted proxy", { peer: peerForLog(headers) });
    }
    return { ok: false, status: 401, message: check.message };
  }
  const person = check.person;
  if (auth.mode === "proxy" && !seenProxyUsers.has(person.user)) {
    if (seenProxyUsers.size >= MAX_SEEN) seenProxyUsers.clear();
    seenProxyUsers.add(person.user);
    log.audit("sign-in", { user: person.user, via: "proxy", groups: person.groups });
  }
  return { ok: true, viewer: { ...person, access: accessFor(person, auth.access), mode: auth.mode } };
}

function peerForLog(headers: Headers): string {
  const raw = headers.get("x-hubble-lens-peer") ?? "";
  return raw.slice(raw.indexOf(" ") + 1, raw.indexOf(" ") + 60);
}
