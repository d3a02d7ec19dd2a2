import "server-only";
import { z } from "zod";
import { AUTH_MODES, DEFAULT_TRUSTED_PROXIES, parseTrustedProxies, type AuthMode } from "@/lib/auth/request";
import type { Prefix } from "@/lib/filters/ip";
import { readAccessRules, type AccessRules } from "@/server/auth/access-file";
import type { ConfigProblem } from "./problems";
import { booleanValue, pathValue, quote } from "./values";
import { variable, type Env, type ParsedValues } from "./variable";
import type { WEB_VARIABLES } from "./web";

// Sign-in (none, OpenID Connect or a trusted proxy), who sees which namespaces, and where the
// server listens: beyond loopback, somebody must sign in.

const AUTH_MODE = z.enum(AUTH_MODES as [AuthMode, ...AuthMode[]], {
  error: (issue) => `must be none, oidc or proxy (got ${quote(String(issue.input))})`,
});

const LISTEN_HOST = z.string().transform((raw, ctx) => {
  if (!/^[A-Za-z0-9.:-]+$/.test(raw) || raw.length > 253) {
    ctx.addIssue({ code: "custom", message: `must be an address or host name to listen on, e.g. 127.0.0.1, 0.0.0.0 or :: (got ${quote(raw)})` });
    return z.NEVER;
  }
  return raw;
});

const TRUSTED_PROXIES = z.string().transform((raw, ctx): Prefix[] => {
  const { prefixes, invalid } = parseTrustedProxies(raw);
  if (invalid.length > 0 || prefixes.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: `must be IP addresses or CIDR prefixes separated by commas, e.g. 127.0.0.1,::1 or 10.0.0.0/8 (${invalid.length > 0 ? `${quote(invalid[0]!)} is neither` : "none given"})`,
    });
    return z.NEVER;
  }
  return prefixes;
});

const HTTPS_URL = z.string().transform((raw, ctx) => {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (url === null || !["https:", "http:"].includes(url.protocol) || url.search !== "" || url.hash !== "") {
    ctx.addIssue({ code: "custom", message: `must be the provider's issuer URL, e.g. https://accounts.example.com or https://dex.example.com/dex (got ${quote(raw)})` });
    return z.NEVER;
  }
  return raw;
});

const SESSION_SECRET = z.string().transform((raw, ctx) => {
  if (raw.length < 32) {
    ctx.addIssue({ code: "custom", message: "must be at least 32 characters of random text, e.g. the output of openssl rand -base64 32" });
    return z.NEVER;
  }
  return raw;
});

/** Sign-in, access and where the server listens. */
export const AUTH_VARIABLES = {
  HUBBLE_LENS_AUTH: variable({
    defaultText: "none (only while HUBBLE_LENS_HOST is loopback)",
    description:
      "Sign-in: none, oidc (OpenID Connect, authorization code flow with PKCE; the HUBBLE_LENS_OIDC_* settings and HUBBLE_LENS_PUBLIC_URL) " +
      "or proxy (trust X-Forwarded-User, X-Forwarded-Email and X-Forwarded-Groups from HUBBLE_LENS_TRUSTED_PROXIES, e.g. an oauth2-proxy sidecar). " +
      "/healthz, /readyz and /metrics never need sign-in.",
    schema: AUTH_MODE,
  }),
  HUBBLE_LENS_ALLOW_UNAUTHENTICATED: variable({
    default: "false",
    description:
      "Allow HUBBLE_LENS_AUTH=none while listening beyond loopback: anyone who reaches the port reads every flow, policy and investigation. " +
      "Only for a port reached through kubectl port-forward or a network you trust entirely.",
    schema: booleanValue,
  }),
  HUBBLE_LENS_TRUSTED_PROXIES: variable({
    default: DEFAULT_TRUSTED_PROXIES,
    description:
      "HUBBLE_LENS_AUTH=proxy: the addresses (IPs or CIDR prefixes, separated by commas) whose X-Forwarded-User/-Email/-Groups are believed. " +
      "The default, loopback, fits a sign-in proxy in the same pod. The TCP peer counts, never X-Forwarded-For.",
    schema: TRUSTED_PROXIES,
  }),
  HUBBLE_LENS_OIDC_ISSUER: variable({
    description: "HUBBLE_LENS_AUTH=oidc: the OpenID provider's issuer URL (its /.well-known/openid-configuration is read at start).",
    schema: HTTPS_URL,
  }),
  HUBBLE_LENS_OIDC_CLIENT_ID: variable({
    description: "HUBBLE_LENS_AUTH=oidc: the client id registered at the provider, with the redirect URI <HUBBLE_LENS_PUBLIC_URL>/auth/callback.",
    schema: z.string(),
  }),
  HUBBLE_LENS_OIDC_CLIENT_SECRET: variable({
    defaultText: "unset: a public client (PKCE only)",
    description: "HUBBLE_LENS_AUTH=oidc: the client secret (sent with HTTP Basic authentication to the token endpoint).",
    schema: z.string(),
  }),
  HUBBLE_LENS_OIDC_SCOPES: variable({
    default: "openid profile email",
    description: "HUBBLE_LENS_AUTH=oidc: scopes to ask for, separated by spaces (add groups if your provider needs it for the groups claim).",
    schema: z.string(),
  }),
  HUBBLE_LENS_OIDC_GROUPS_CLAIM: variable({
    default: "groups",
    description: "HUBBLE_LENS_AUTH=oidc: the ID token (or userinfo) claim that lists the user's groups.",
    schema: z.string(),
  }),
  HUBBLE_LENS_SESSION_SECRET: variable({
    defaultText: "random per process",
    description:
      "HUBBLE_LENS_AUTH=oidc: at least 32 random characters that seal the session cookie. Set it (the same on every replica) so sessions survive restarts " +
      "and work across replicas; unset, each process makes its own.",
    schema: SESSION_SECRET,
  }),
  HUBBLE_LENS_ACCESS_FILE: variable({
    defaultText: "unset: every signed-in user sees every namespace",
    description: "YAML that maps users and groups to the namespaces they may see (see the README's Sign-in and access). Needs HUBBLE_LENS_AUTH=oidc or proxy. Read at start.",
    schema: pathValue,
  }),
  HUBBLE_LENS_HOST: variable({
    default: "127.0.0.1",
    description:
      "Address the web server listens on (npm start and the image). 0.0.0.0 or :: listen on every interface, which needs HUBBLE_LENS_AUTH=oidc or proxy, " +
      "or HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true.",
    schema: LISTEN_HOST,
  }),
} as const;

type AuthValues = ParsedValues<typeof AUTH_VARIABLES> & Pick<ParsedValues<typeof WEB_VARIABLES>, "HUBBLE_LENS_PUBLIC_URL">;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  scopes: string;
  groupsClaim: string;
  /** <public URL>/auth/callback */
  redirectUri: string;
  /** The public URL with a trailing slash: where the app lives (sub-path included). */
  appUrl: string;
}

export interface AuthSettings {
  mode: AuthMode;
  /** Where the server listens (HUBBLE_LENS_HOST) and whether that is loopback only. */
  host: string;
  loopbackOnly: boolean;
  trustedProxies: readonly Prefix[];
  oidc: OidcSettings | null;
  /** HUBBLE_LENS_SESSION_SECRET, or the per-process one (scripts/server-preload.cjs). */
  sessionSecret: string | null;
  /** HUBBLE_LENS_ACCESS_FILE, parsed; null: everyone signed in sees every namespace. */
  access: AccessRules | null;
}

const LOOPBACK_HOSTS = new Set(["localhost", "::1", "[::1]", "ip6-localhost"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Who may sign in and how; listening beyond loopback without sign-in is refused unless allowed outright. */
export function resolveAuth(values: Partial<AuthValues>, given: ReadonlySet<string>, env: Env, problems: ConfigProblem[], warnings: string[]): AuthSettings {
  const host = values.HUBBLE_LENS_HOST ?? "127.0.0.1";
  const loopbackOnly = isLoopbackHost(host);
  const mode = values.HUBBLE_LENS_AUTH ?? "none";
  if (mode === "none" && !loopbackOnly && values.HUBBLE_LENS_ALLOW_UNAUTHENTICATED !== true) {
    problems.push({
      variable: "HUBBLE_LENS_AUTH",
      message:
        `is none (nobody signs in) while HUBBLE_LENS_HOST=${host} listens beyond loopback, so anyone who reaches the port would read every flow: ` +
        "set HUBBLE_LENS_AUTH=oidc or proxy, or HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true if only you can reach it (kubectl port-forward)",
    });
  }
  if (mode === "none" && !loopbackOnly && values.HUBBLE_LENS_ALLOW_UNAUTHENTICATED === true) {
    warnings.push(`HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true: no sign-in while listening on ${host}; anyone who reaches the port reads every flow, policy and investigation.`);
  }
  const oidcVars: (keyof typeof AUTH_VARIABLES)[] = ["HUBBLE_LENS_OIDC_ISSUER", "HUBBLE_LENS_OIDC_CLIENT_ID", "HUBBLE_LENS_OIDC_CLIENT_SECRET"];
  let oidc: OidcSettings | null = null;
  if (mode === "oidc") {
    for (const name of ["HUBBLE_LENS_OIDC_ISSUER", "HUBBLE_LENS_OIDC_CLIENT_ID"] as const) {
      if (values[name] === undefined && !given.has(name)) problems.push({ variable: name, message: "missing: HUBBLE_LENS_AUTH=oidc needs it" });
    }
    const publicUrl = values.HUBBLE_LENS_PUBLIC_URL;
    if (publicUrl === undefined) {
      problems.push({ variable: "HUBBLE_LENS_PUBLIC_URL", message: "missing: HUBBLE_LENS_AUTH=oidc needs the URL users open, for the redirect URI <url>/auth/callback" });
    }
    if (values.HUBBLE_LENS_OIDC_ISSUER !== undefined && values.HUBBLE_LENS_OIDC_CLIENT_ID !== undefined && publicUrl !== undefined) {
      let appUrl: string | null = null;
      try {
        const u = new URL(publicUrl);
        appUrl = `${u.origin}${u.pathname.replace(/\/*$/, "")}/`;
      } catch {
        appUrl = null; // reported by the HTTP settings
      }
      if (appUrl !== null) {
        oidc = {
          issuer: values.HUBBLE_LENS_OIDC_ISSUER,
          clientId: values.HUBBLE_LENS_OIDC_CLIENT_ID,
          clientSecret: values.HUBBLE_LENS_OIDC_CLIENT_SECRET ?? null,
          scopes: values.HUBBLE_LENS_OIDC_SCOPES ?? "openid profile email",
          groupsClaim: values.HUBBLE_LENS_OIDC_GROUPS_CLAIM ?? "groups",
          redirectUri: new URL("auth/callback", appUrl).toString(),
          appUrl,
        };
      }
    }
  } else {
    const ignored = oidcVars.filter((n) => given.has(n));
    if (ignored.length > 0) warnings.push(`${ignored.join(", ")} ignored: HUBBLE_LENS_AUTH is ${mode}, not oidc.`);
  }
  if (mode === "proxy" && !env.HUBBLE_LENS_PEER_TOKEN) {
    problems.push({
      variable: "HUBBLE_LENS_AUTH",
      message:
        "is proxy, but the server was not started through its entry, so it cannot tell which address connected: " +
        "start it with npm start, or in the image with its command (node --max-semi-space-size=64 --require ./server-preload.cjs server.js)",
    });
  }
  const sessionSecret = values.HUBBLE_LENS_SESSION_SECRET ?? env.HUBBLE_LENS_PROCESS_SECRET ?? null;
  if (mode === "oidc" && sessionSecret === null) {
    problems.push({ variable: "HUBBLE_LENS_SESSION_SECRET", message: "missing: set at least 32 random characters (the server's entry makes one per process when it is not set)" });
  }
  if (mode === "oidc" && values.HUBBLE_LENS_SESSION_SECRET === undefined && sessionSecret !== null) {
    warnings.push("HUBBLE_LENS_SESSION_SECRET is not set: sessions are sealed with a key made at start, so a restart signs everyone out and replicas do not share sessions.");
  }
  let access: AccessRules | null = null;
  const accessFile = values.HUBBLE_LENS_ACCESS_FILE;
  if (accessFile !== undefined) {
    if (mode === "none") {
      problems.push({ variable: "HUBBLE_LENS_ACCESS_FILE", message: "needs sign-in to know who is asking: set HUBBLE_LENS_AUTH=oidc or proxy" });
    } else {
      try {
        access = readAccessRules(accessFile);
      } catch (err) {
        problems.push({ variable: "HUBBLE_LENS_ACCESS_FILE", message: `${quote(accessFile)}: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }
  return {
    mode,
    host,
    loopbackOnly,
    trustedProxies: values.HUBBLE_LENS_TRUSTED_PROXIES ?? parseTrustedProxies(DEFAULT_TRUSTED_PROXIES).prefixes,
    oidc,
    sessionSecret,
    access,
  };
}
