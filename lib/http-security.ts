// The browser-facing security rules of every Hubble Lens response, pure so that the page
// middleware (edge runtime), the API route guard (Node) and the configuration check at start all
// apply the same ones:
//
// - Host allowlist, against DNS rebinding: a page on attacker.example whose name re-resolves to
//   127.0.0.1 reaches the dashboard with `Host: attacker.example`. Allowed by default: localhost
//   names, IP literals (a rebinding attack needs a name it controls, never an IP literal, and
//   load balancer health checks use the pod IP), and the host of HUBBLE_LENS_PUBLIC_URL.
// - Same-origin POSTs: a cross-site form or fetch must not save investigations or make the
//   server explain flows. Browsers say where a request comes from (Sec-Fetch-Site, Origin);
//   a request without either is not from a browser page (curl, scripts) and is let through.
// - Headers: a CSP whose scripts need the per-request nonce (no inline script runs otherwise),
//   framing only by the configured ancestors ('none' by default: no clickjacking), nosniff, and
//   a Referrer-Policy that keeps investigation links (capabilities) from leaking to other sites.

import { apiErrorBody, type ApiErrorBody } from "@/lib/api/errors";
import { isValidAddr } from "@/lib/filters/ip";

export interface HttpSecuritySettings {
  /** Lower-case host names (no port) allowed besides the defaults; ".example.com" allows subdomains. */
  readonly allowedHosts: readonly string[];
  /** Any Host is allowed ("*" in HUBBLE_LENS_ALLOWED_HOSTS). */
  readonly anyHost: boolean;
  /** Origin of HUBBLE_LENS_PUBLIC_URL (scheme://host[:port]), or null. */
  readonly publicOrigin: string | null;
  /** CSP frame-ancestors sources, e.g. ["'none'"] or ["'self'", "https://portal.example.com"]. */
  readonly frameAncestors: readonly string[];
}

export const DEFAULT_FRAME_ANCESTORS = "'none'";

export type SettingsResult = { ok: true; settings: HttpSecuritySettings } | { ok: false; problems: { variable: string; message: string }[] };

type Env = Record<string, string | undefined>;

/** HUBBLE_LENS_PUBLIC_URL, HUBBLE_LENS_ALLOWED_HOSTS and HUBBLE_LENS_FRAME_ANCESTORS, checked. */
export function httpSecurityFromEnv(env: Env): SettingsResult {
  const problems: { variable: string; message: string }[] = [];
  const publicOrigin = parsePublicUrl(env.HUBBLE_LENS_PUBLIC_URL?.trim() || undefined, problems);
  const hosts = parseAllowedHosts(env.HUBBLE_LENS_ALLOWED_HOSTS?.trim() || undefined, problems);
  const frameAncestors = parseFrameAncestors(env.HUBBLE_LENS_FRAME_ANCESTORS?.trim() || DEFAULT_FRAME_ANCESTORS, problems);
  if (problems.length > 0) return { ok: false, problems };
  const allowedHosts = [...hosts.names];
  if (publicOrigin) allowedHosts.push(new URL(publicOrigin).hostname.toLowerCase());
  return { ok: true, settings: { allowedHosts, anyHost: hosts.any, publicOrigin, frameAncestors } };
}

function parsePublicUrl(raw: string | undefined, problems: { variable: string; message: string }[]): string | null {
  if (raw === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (url === null || !["http:", "https:"].includes(url.protocol) || url.hostname === "") {
    problems.push({
      variable: "HUBBLE_LENS_PUBLIC_URL",
      message: `must be the http(s) URL users open, e.g. https://hubble-lens.example.com (got ${JSON.stringify(raw.slice(0, 100))})`,
    });
    return null;
  }
  return url.origin;
}

const HOST_NAME = /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function parseAllowedHosts(raw: string | undefined, problems: { variable: string; message: string }[]): { names: string[]; any: boolean } {
  if (raw === undefined) return { names: [], any: false };
  const names: string[] = [];
  let any = false;
  for (const entry of raw.split(/[\s,]+/).filter((e) => e !== "")) {
    const name = entry.toLowerCase().replace(/\.$/, "");
    if (name === "*") any = true;
    else if (HOST_NAME.test(name)) names.push(name);
    else {
      problems.push({
        variable: "HUBBLE_LENS_ALLOWED_HOSTS",
        message: `${JSON.stringify(entry.slice(0, 100))} is not a host name; give names without scheme or port, e.g. lens.example.com, .example.com for its subdomains, or * for any`,
      });
    }
  }
  return { names, any };
}

// CSP source expressions frame-ancestors takes: keywords, schemes, and host sources.
const FRAME_SOURCE = /^('none'|'self'|[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*:\/\/)?(\*\.)?[a-z0-9.-]+(:(\d+|\*))?(\/[^\s;,]*)?)$/i;

function parseFrameAncestors(raw: string, problems: { variable: string; message: string }[]): string[] {
  const sources = raw.split(/\s+/).filter((s) => s !== "");
  const bad = sources.filter((s) => !FRAME_SOURCE.test(s));
  if (bad.length > 0 || sources.length === 0 || (sources.includes("'none'") && sources.length > 1)) {
    problems.push({
      variable: "HUBBLE_LENS_FRAME_ANCESTORS",
      message: `must be CSP frame-ancestors sources separated by spaces: 'none' (the default), or 'self' and/or origins such as https://portal.example.com (got ${JSON.stringify(raw.slice(0, 100))})`,
    });
    return [DEFAULT_FRAME_ANCESTORS];
  }
  return sources;
}

/** The host name of a Host header, lower-case, without port or trailing dot; null when malformed. */
export function hostName(hostHeader: string | null): string | null {
  if (hostHeader === null || hostHeader === "") return null;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(:\d{1,5})?$/i.exec(hostHeader.trim());
  return m ? m[1].toLowerCase().replace(/\.$/, "") : null;
}

/** An IPv4 address, or an IPv6 address in brackets, as a Host header writes them. */
function isIpLiteral(name: string): boolean {
  return name.startsWith("[") && name.endsWith("]") ? isValidAddr(name.slice(1, -1)) && name.includes(":") : isValidAddr(name) && !name.includes(":");
}

/** Whether a request with this Host header may be answered. */
export function hostAllowed(hostHeader: string | null, settings: HttpSecuritySettings): boolean {
  if (settings.anyHost) return true;
  const name = hostName(hostHeader);
  if (name === null) return false;
  if (name === "localhost" || name.endsWith(".localhost") || isIpLiteral(name)) return true;
  return settings.allowedHosts.some((allowed) => (allowed.startsWith(".") ? name.endsWith(allowed) || name === allowed.slice(1) : name === allowed));
}

/**
 * Why a state-changing request is refused as cross-site, or undefined when it may go on.
 * `headers` are the request's; `host` its Host header.
 */
export function crossSiteReason(headers: Headers, settings: HttpSecuritySettings): string | undefined {
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return `the request comes from another site (Sec-Fetch-Site: ${site.slice(0, 40)})`;
  const origin = headers.get("origin");
  if (origin === null) return undefined;
  if (origin === "null") return "the request comes from an opaque origin (Origin: null)";
  let originHost: string;
  try {
    const u = new URL(origin);
    if (settings.publicOrigin !== null && u.origin === settings.publicOrigin) return undefined;
    originHost = u.host.toLowerCase();
  } catch {
    return "the Origin header is malformed";
  }
  const host = (headers.get("host") ?? "").toLowerCase();
  if (originHost === host) return undefined;
  return `the request comes from another origin (${origin.slice(0, 100)})`;
}

/** X-Frame-Options for browsers without frame-ancestors; omitted when specific origins may frame. */
function frameOptions(settings: HttpSecuritySettings): string | undefined {
  const fa = settings.frameAncestors;
  if (fa.length === 1 && fa[0] === "'none'") return "DENY";
  if (fa.length === 1 && fa[0] === "'self'") return "SAMEORIGIN";
  return undefined;
}

/** The page CSP: scripts only from us and only with this request's nonce. */
export function pageCsp(nonce: string, settings: HttpSecuritySettings, dev = false): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts the nonce'd bootstrap loads (Next's chunks) may run, nothing else.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // React sets style attributes (the map's positions); styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${settings.frameAncestors.join(" ")}`,
  ].join("; ");
}

/** API answers are data, never documents: nothing in them may load or run. */
export function apiCsp(settings: HttpSecuritySettings): string {
  return `default-src 'none'; frame-ancestors ${settings.frameAncestors.join(" ")}`;
}

/** Headers every response carries besides its CSP. */
export function commonSecurityHeaders(settings: HttpSecuritySettings): Record<string, string> {
  const xfo = frameOptions(settings);
  return {
    "X-Content-Type-Options": "nosniff",
    // Full URLs (investigation links are capabilities) only to ourselves; not even the origin elsewhere.
    "Referrer-Policy": "same-origin",
    ...(xfo ? { "X-Frame-Options": xfo } : {}),
  };
}

/** The body of a refused request, in the common error form. */
export function refusal(code: "host-not-allowed" | "cross-site-request" | "unauthenticated", message: string): ApiErrorBody {
  return apiErrorBody(code, message);
}

export function hostRefusalMessage(hostHeader: string | null): string {
  return (
    `this server does not answer to the host ${JSON.stringify((hostHeader ?? "").slice(0, 100))}; ` +
    "open it by a localhost name, an IP address or HUBBLE_LENS_PUBLIC_URL, or add the name to HUBBLE_LENS_ALLOWED_HOSTS"
  );
}
