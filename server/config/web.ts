import "server-only";
import { z } from "zod";
import { parseBasePath } from "@/lib/base-path";
import { httpSecurityFromEnv } from "@/lib/http-security";
import type { ConfigProblem } from "./problems";
import { portValue, quote } from "./values";
import { variable, type ParsedValues } from "./variable";

// The web server as users reach it: its public URL, the host names and frames it allows, the
// path prefix it is served under, its port and its log level.

const BASE_PATH = z.string().transform((raw, ctx) => {
  const parsed = parseBasePath(raw);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  }
  return parsed.basePath;
});

/** How the server is reached: host allowlist, same-origin rule and framing (lib/http-security.ts). */
export const WEB_VARIABLES = {
  HUBBLE_LENS_PUBLIC_URL: variable({
    description:
      "The URL users open Hubble Lens at, e.g. https://hubble-lens.example.com. Its host is allowed in the Host header, " +
      "and POSTs from its origin count as same-origin behind a proxy that rewrites Host.",
    schema: z.string(),
  }),
  HUBBLE_LENS_ALLOWED_HOSTS: variable({
    defaultText: "localhost names, IP addresses, the host of HUBBLE_LENS_PUBLIC_URL",
    description:
      "More host names the server answers to, separated by commas (.example.com allows its subdomains, * any host). " +
      "Any other Host header gets a 403: a page on another name that resolves to this server (DNS rebinding) cannot read it.",
    schema: z.string(),
  }),
  HUBBLE_LENS_FRAME_ANCESTORS: variable({
    default: "'none'",
    description:
      "Who may show Hubble Lens in a frame (CSP frame-ancestors): 'none', or 'self' and/or origins such as " +
      "https://portal.example.com separated by spaces, to embed it in a portal.",
    schema: z.string(),
  }),
} as const;

/** The server process: path prefix, port and log level. */
export const PROCESS_VARIABLES = {
  HUBBLE_LENS_BASE_PATH: variable({
    defaultText: "unset: the root",
    description:
      "Serve Hubble Lens under this URL path prefix, e.g. /hubble-lens behind an ingress that routes " +
      "https://tools.example.com/hubble-lens/ to it: every page, asset, API route, SSE stream, probe and " +
      "shared link lives under it, and nothing is served outside it. Next.js fixes the prefix when it builds: " +
      "`npm start` rebuilds when it changes; the container image takes it as the build argument " +
      "HUBBLE_LENS_BASE_PATH, and a server started with a prefix its build was not made for refuses to start.",
    schema: BASE_PATH,
  }),
  PORT: variable({
    default: "3000",
    description: "HTTP port of the Hubble Lens web server.",
    schema: portValue,
  }),
  HUBBLE_LENS_LOG_LEVEL: variable({
    default: "info",
    description: "Server log level: debug, info, warn or error.",
    schema: z.enum(["debug", "info", "warn", "error"], {
      error: (issue) => `must be debug, info, warn or error (got ${quote(String(issue.input))})`,
    }),
  }),
} as const;

/** The HTTP security settings; what is wrong with them is added to `problems`. */
export function resolveHttp(values: Partial<ParsedValues<typeof WEB_VARIABLES>>, problems: ConfigProblem[]) {
  const http = httpSecurityFromEnv({
    HUBBLE_LENS_PUBLIC_URL: values.HUBBLE_LENS_PUBLIC_URL,
    HUBBLE_LENS_ALLOWED_HOSTS: values.HUBBLE_LENS_ALLOWED_HOSTS,
    HUBBLE_LENS_FRAME_ANCESTORS: values.HUBBLE_LENS_FRAME_ANCESTORS,
  });
  if (!http.ok) problems.push(...http.problems);
  return http;
}

/**
 * HUBBLE_LENS_BASE_PATH, canonical; it must be the prefix the running build was made for
 * (`builtBasePath`, undefined outside a Next.js build).
 */
export function resolveBasePath(values: Partial<ParsedValues<typeof PROCESS_VARIABLES>>, builtBasePath: string | undefined, problems: ConfigProblem[]): string {
  const basePath = values.HUBBLE_LENS_BASE_PATH ?? "";
  if (builtBasePath !== undefined && !problems.some((p) => p.variable === "HUBBLE_LENS_BASE_PATH") && basePath !== builtBasePath) {
    problems.push({ variable: "HUBBLE_LENS_BASE_PATH", message: basePathMismatch(basePath, builtBasePath) });
  }
  return basePath;
}

function basePathMismatch(wanted: string, built: string): string {
  const describe = (p: string) => (p === "" ? "the root (/)" : p);
  return (
    `is ${describe(wanted)}, but this build serves under ${describe(built)}: Next.js fixes the prefix when it builds. ` +
    "Rebuild with the same HUBBLE_LENS_BASE_PATH (`npm start` does it by itself; for the container image, " +
    `build it with --build-arg HUBBLE_LENS_BASE_PATH=${wanted === "" ? "/" : wanted}), or start it with HUBBLE_LENS_BASE_PATH=${built === "" ? "/" : built}`
  );
}
