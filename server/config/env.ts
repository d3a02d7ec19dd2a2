import "server-only";
import { existsSync } from "node:fs";
import { z } from "zod";
import { parseGoDuration } from "@/lib/time";
import { booleanValue, durationValue, hostPortValue, integerValue, pathListValue, portValue, quote, serverNameValue } from "./values";
import { checkReadable, readCaFile, readClientCert } from "./files";
import { parseBasePath } from "@/lib/base-path";
import { httpSecurityFromEnv, type HttpSecuritySettings } from "@/lib/http-security";
import { parseSettingAssignments } from "@/lib/policy/settings";
import { AUTH_MODES, DEFAULT_TRUSTED_PROXIES, parseTrustedProxies, type AuthMode } from "@/lib/auth/request";
import type { Prefix } from "@/lib/filters/ip";
import { readAccessRules, type AccessRules } from "@/server/auth/access-file";
import type { ClusterSettings } from "@/lib/policy/types";
import { parseFlowQueryParams, toHubbleFilters } from "@/lib/filter-model";
import { compileFlowFilters } from "@/lib/filters";
import type { FlowFilter } from "@/proto/gen/flow/flow_pb";

// Server configuration, read from the environment once at start and validated with zod.
// The Hubble variables use the hubble CLI's own names (viper maps `--tls-server-name` to
// HUBBLE_TLS_SERVER_NAME), so an environment that works for `hubble observe` works here.
// Certificate and key files are read here, so a bad path stops the server at start instead of
// failing the first request.

/** One row of the configuration reference. `VARIABLES` below is the only list of variables. */
interface VariableSpec<S extends z.ZodType> {
  /** Other names accepted for the same setting (the hubble CLI's, where ours differs). */
  aliases?: readonly string[];
  /** Raw default, parsed like a user value. Absent: the setting is off or unset. */
  default?: string;
  /** What the README shows when there is no raw default. */
  defaultText?: string;
  description: string;
  schema: S;
}

function variable<S extends z.ZodType>(spec: VariableSpec<S>): VariableSpec<S> {
  return spec;
}

const DEMO_SCENARIO = z.string().transform((raw, ctx) => {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(raw)) {
    ctx.addIssue({ code: "custom", message: `must be a scenario name such as shop (got ${quote(raw)})` });
    return z.NEVER;
  }
  return raw;
});

const RING_CAPACITY = integerValue(1, 65535, "4095").transform((value, ctx) => {
  // Hubble's ring buffer only comes in 2^n - 1 sizes (container.Capacity1 ... Capacity65535).
  if ((value & (value + 1)) !== 0) {
    ctx.addIssue({
      code: "custom",
      message: `must be 2^n-1 like Hubble's ring buffer: 1, 3, 7, ..., 4095, ..., 65535 (got ${value})`,
    });
    return z.NEVER;
  }
  return value;
});

const FLOW_RATE = z.string().transform((raw, ctx) => {
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(value > 0 && value <= 100_000)) {
    ctx.addIssue({
      code: "custom",
      message: `must be flows per second, a number above 0 and at most 100000, e.g. 200 (got ${quote(raw)})`,
    });
    return z.NEVER;
  }
  return value;
});

const PATH = z.string();

const BASE_PATH = z.string().transform((raw, ctx) => {
  const parsed = parseBasePath(raw);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  }
  return parsed.basePath;
});

const POLICY_SOURCE = z.enum(["auto", "kubernetes", "directory", "demo", "none"], {
  error: (issue) => `must be auto, kubernetes, directory, demo or none (got ${quote(String(issue.input))})`,
});

const CILIUM_SETTINGS = z.string().transform((raw, ctx): ClusterSettings => {
  const result = parseSettingAssignments(raw.split(/[\s,]+/));
  if (!result.ok) {
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  }
  return result.settings;
});

const DATABASE_URL = z.string().transform((raw, ctx) => {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (url === null || !["postgres:", "postgresql:"].includes(url.protocol)) {
    ctx.addIssue({
      code: "custom",
      message: "must be a PostgreSQL connection URL such as postgres://user:password@db:5432/hubble_lens",
    });
    return z.NEVER;
  }
  return raw;
});

const HISTORY_MODE = z.enum(["record", "read", "off"], {
  error: (issue) => `must be record, read or off (got ${quote(String(issue.input))})`,
});

const HISTORY_KEEP = z.enum(["all", "rollup"], {
  error: (issue) => `must be all or rollup (got ${quote(String(issue.input))})`,
});

const HISTORY_FILTER = z.string().transform((raw, ctx): HistoryFilter => {
  const parsed = parseFlowQueryParams(new URLSearchParams(raw));
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: `${parsed.error.param}: ${parsed.error.message}; write the filter as the dashboard's URL does, e.g. namespace=shop&verdict=DROPPED` });
    return z.NEVER;
  }
  try {
    const filters = toHubbleFilters(parsed.query);
    compileFlowFilters(filters.whitelist, filters.blacklist);
    return { text: raw, whitelist: filters.whitelist, blacklist: filters.blacklist };
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
});

const HISTORY_RETENTION = z.string().transform((raw, ctx) => {
  const m = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(raw);
  const ms = m ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"] : NaN;
  if (!(ms >= 60_000 && ms <= 3650 * 86_400_000)) {
    ctx.addIssue({ code: "custom", message: `must be an age such as 30m, 12h or 7d, from 1m to 3650d (got ${quote(raw)})` });
    return z.NEVER;
  }
  return ms;
});

const BYTE_SIZE = z.string().transform((raw, ctx) => {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(raw);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  const bytes = m ? Math.floor(Number(m[1]) * units[(m[2] ?? "b").toLowerCase()]) : NaN;
  if (!(bytes === 0 || bytes >= 2 ** 20) || !Number.isFinite(bytes)) {
    ctx.addIssue({ code: "custom", message: `must be a size such as 500MB or 20GiB (at least 1MiB), or 0 for no limit (got ${quote(raw)})` });
    return z.NEVER;
  }
  return bytes;
});

/** A subscriber's queue: sizes as HUBBLE_LENS_HISTORY_MAX_SIZE writes them, from 256KiB (a history frame) to 1GiB. */
const QUEUE_SIZE = z.string().transform((raw, ctx) => {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/i.exec(raw);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };
  const bytes = m ? Math.floor(Number(m[1]) * units[(m[2] ?? "b").toLowerCase()]) : NaN;
  if (!(bytes >= 256 * 2 ** 10 && bytes <= 2 ** 30)) {
    ctx.addIssue({ code: "custom", message: `must be a size from 256KiB to 1GiB, such as 8MiB or 32MB (got ${quote(raw)})` });
    return z.NEVER;
  }
  return bytes;
});

/** How long a stream reader may take nothing: a Go duration from 1s to 1h. */
const STALL_TIME = durationValue.transform((ms, ctx) => {
  if (ms < 1000) {
    ctx.addIssue({ code: "custom", message: `must be at least 1s, e.g. 30s (got ${ms}ms)` });
    return z.NEVER;
  }
  return ms;
});

const CLICKHOUSE_URL = z.string().transform((raw, ctx) => {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  const db = url ? decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, "")) : "";
  if (url === null || !["http:", "https:"].includes(url.protocol) || (db !== "" && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(db))) {
    ctx.addIssue({
      code: "custom",
      message: "must be a ClickHouse HTTP URL such as http://user:password@clickhouse:8123/hubble_lens (the path names the database: letters, digits and _)",
    });
    return z.NEVER;
  }
  return raw;
});

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

/** Go durations, plus whole days (`30d`): how long investigations are kept. */
const RETENTION = z.string().transform((raw, ctx) => {
  const days = /^(\d+)d$/.exec(raw);
  let ms: number | null = null;
  if (days) ms = Number(days[1]) * 86_400_000;
  else {
    try {
      ms = Number(parseGoDuration(raw)) / 1e6;
    } catch {
      ms = null;
    }
  }
  if (ms === null || !(ms >= 60_000)) {
    ctx.addIssue({ code: "custom", message: `must be a duration of at least 1m, in days (90d) or as Go writes it (2160h) (got ${quote(raw)})` });
    return z.NEVER;
  }
  return Math.round(ms);
});

export const VARIABLES = {
  HUBBLE_RELAY_ADDR: variable({
    aliases: ["HUBBLE_SERVER"],
    defaultText: "unset: embedded demo relay",
    description:
      "Hubble Relay address as host:port, e.g. localhost:4245 (after `cilium hubble port-forward`) or " +
      "hubble-relay.kube-system.svc:80. A tls:// prefix turns TLS on, as in the hubble CLI. " +
      "Unset: Hubble Lens starts its embedded demo relay.",
    schema: hostPortValue,
  }),
  HUBBLE_TLS: variable({
    default: "false",
    description: "Use TLS to the relay. Implied by a tls:// address and by any other HUBBLE_TLS_* setting.",
    schema: booleanValue,
  }),
  HUBBLE_TLS_CA_CERT_FILES: variable({
    defaultText: "system roots",
    description:
      "PEM files with the CA certificates that signed the relay's certificate, separated by commas " +
      "or spaces. With Cilium's generated certificates, that is the Cilium CA (ca.crt of the cilium-ca secret).",
    schema: pathListValue,
  }),
  HUBBLE_TLS_CLIENT_CERT_FILE: variable({
    description: "PEM client certificate for mutual TLS. Needs HUBBLE_TLS_CLIENT_KEY_FILE; together they turn TLS on.",
    schema: PATH,
  }),
  HUBBLE_TLS_CLIENT_KEY_FILE: variable({
    description: "PEM private key (unencrypted) of HUBBLE_TLS_CLIENT_CERT_FILE.",
    schema: PATH,
  }),
  HUBBLE_TLS_SERVER_NAME: variable({
    defaultText: "host of HUBBLE_RELAY_ADDR",
    description: "Name to verify the relay's certificate against, e.g. ui.hubble-relay.cilium.io, when it differs " + "from the host you connect to (port-forwards, IP addresses).",
    schema: serverNameValue,
  }),
  HUBBLE_TLS_ALLOW_INSECURE: variable({
    default: "false",
    description:
      "Skip verifying the relay's certificate chain and host name. Not recommended: anyone on the path " +
      "can read and alter the flows. Prefer HUBBLE_TLS_CA_CERT_FILES and HUBBLE_TLS_SERVER_NAME.",
    schema: booleanValue,
  }),
  HUBBLE_DIAL_TIMEOUT: variable({
    aliases: ["HUBBLE_TIMEOUT"],
    default: "5s",
    description: "How long to wait for a connection to the relay before reporting it unreachable.",
    schema: durationValue,
  }),
  HUBBLE_REQUEST_TIMEOUT: variable({
    default: "12s",
    description: "Deadline of unary requests (ServerStatus, GetNodes, GetNamespaces); flow streams have none.",
    schema: durationValue,
  }),
  HUBBLE_LENS_DEMO_SCENARIO: variable({
    default: "shop",
    description: "Demo relay only: the simulated cluster and its traffic.",
    schema: DEMO_SCENARIO,
  }),
  HUBBLE_LENS_DEMO_RATE: variable({
    default: "200",
    description: "Demo relay only: flows per second across all simulated nodes.",
    schema: FLOW_RATE,
  }),
  HUBBLE_LENS_DEMO_SEED: variable({
    default: "7",
    description: "Demo relay only: random seed; the same seed gives the same flows.",
    schema: integerValue(0, 2 ** 32 - 1, "7"),
  }),
  HUBBLE_LENS_DEMO_BUFFER: variable({
    default: "4095",
    description: "Demo relay only: flows kept per simulated node, 2^n-1 like Hubble's ring buffer.",
    schema: RING_CAPACITY,
  }),
  HUBBLE_LENS_DEMO_REPLAY: variable({
    description:
      "Demo relay only: replay a capture (`hubble observe -o jsonpb` output or a Hubble exporter file) " +
      "instead of simulating a scenario, in a loop with times shifted to now (fresh uuids each pass).",
    schema: PATH,
  }),
  HUBBLE_LENS_POLICY_SOURCE: variable({
    default: "auto",
    description:
      "Where the network policies the explainer uses come from: kubernetes (list and watch through the " +
      "Kubernetes API, from KUBECONFIG, ~/.kube/config or the in-cluster service account), directory " +
      "(HUBBLE_LENS_POLICIES), demo (the demo scenario's policies) or none. auto: directory when " +
      "HUBBLE_LENS_POLICIES is set, else demo with the demo relay, else kubernetes when a kubeconfig or " +
      "service account is found, else none.",
    schema: POLICY_SOURCE,
  }),
  HUBBLE_LENS_POLICIES: variable({
    description:
      "A directory (searched recursively) or file of policy YAML, multi-document as kubectl apply takes it: " +
      "CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, NetworkPolicy, CiliumCIDRGroup, and Namespace " +
      "objects for namespace labels. Re-read when files change.",
    schema: PATH,
  }),
  HUBBLE_LENS_CILIUM_SETTINGS: variable({
    defaultText: "Cilium's defaults",
    description:
      "cilium-agent options that change policy outcomes, as key=value separated by commas: " +
      "policy-enforcement-mode (default|always|never), enable-host-firewall (true|false), " +
      "allow-localhost (auto|always|policy), enable-non-default-deny-policies (true|false), " +
      "enable-node-selector-labels (true|false).",
    schema: CILIUM_SETTINGS,
  }),
  HUBBLE_LENS_DATA_DIR: variable({
    default: "data",
    description:
      "Directory of the embedded SQLite database that stores shared investigations (created if missing; " +
      "relative to the working directory). Not used when DATABASE_URL is set.",
    schema: PATH,
  }),
  DATABASE_URL: variable({
    defaultText: "unset: SQLite in HUBBLE_LENS_DATA_DIR",
    description:
      "PostgreSQL URL (postgres://user:password@host:5432/db) for investigations, so several Hubble Lens " +
      "replicas behind a load balancer share them. Schema migrations run at start.",
    schema: DATABASE_URL,
  }),
  HUBBLE_LENS_HISTORY: variable({
    default: "record",
    description:
      "Flow history, kept past the relay's buffers: record (follow the relay and keep every flow, and read " +
      "history), read (read a history another replica records, on a shared ClickHouse) or off.",
    schema: HISTORY_MODE,
  }),
  HUBBLE_LENS_HISTORY_KEEP: variable({
    default: "all",
    description:
      "What the recorder keeps: all (every flow in full) or rollup (drops, audits, errors and L7 flows in full; " +
      "forwarded L3/L4 flows only as exact counts per minute and edge, for the map and the Drops view).",
    schema: HISTORY_KEEP,
  }),
  HUBBLE_LENS_HISTORY_FILTER: variable({
    defaultText: "every flow",
    description: "Record only the flows this filter admits, written as the dashboard's URL writes filters, e.g. " + "namespace=shop&verdict=DROPPED or filter=from-pod%3Dshop%2F.",
    schema: HISTORY_FILTER,
  }),
  HUBBLE_LENS_HISTORY_RETENTION: variable({
    default: "7d",
    description: "How long flow history is kept, e.g. 12h or 30d; older flows and counts are removed continuously.",
    schema: HISTORY_RETENTION,
  }),
  HUBBLE_LENS_HISTORY_MAX_SIZE: variable({
    default: "10GiB",
    description: "Most disk the flow history takes (SQLite: the file's pages in use; ClickHouse: its compressed parts); " + "beyond, the oldest goes first. 0: no limit.",
    schema: BYTE_SIZE,
  }),
  HUBBLE_LENS_CLICKHOUSE_URL: variable({
    defaultText: "unset: SQLite in HUBBLE_LENS_DATA_DIR",
    description:
      "Keep flow history in ClickHouse instead of the embedded SQLite file, e.g. " +
      "http://user:password@clickhouse:8123/hubble_lens (the path names the database, created if missing). " +
      "Several replicas can share it: one with HUBBLE_LENS_HISTORY=record, the others read.",
    schema: CLICKHOUSE_URL,
  }),
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
  HUBBLE_LENS_INVESTIGATION_RETENTION: variable({
    defaultText: "unset: kept until deleted",
    description: "How long shared investigations are kept, e.g. 90d or 720h; older ones are deleted (checked at start and every 10 minutes).",
    schema: RETENTION,
  }),
  HUBBLE_LENS_MAX_STREAMS_PER_CLIENT: variable({
    default: "16",
    description:
      "Flow streams (GET /api/flows: each open view or tab) one client may hold open at once; more get a 429 with Retry-After. " +
      "A client is the signed-in person with HUBBLE_LENS_AUTH=oidc or proxy (behind a proxy every connection comes from its address), " +
      "else the connection's address. Not enforced when the server was not started through its entry (npm start, the image), " +
      "which is what tells it the address.",
    schema: integerValue(1, 100_000, "16"),
  }),
  HUBBLE_LENS_MAX_RELAY_STREAMS: variable({
    default: "32",
    description:
      "Distinct server-side filters that get a following GetFlows stream of their own from the relay; views with further filters " +
      "share one unfiltered stream, filtered in the server.",
    schema: integerValue(1, 10_000, "32"),
  }),
  HUBBLE_LENS_MAX_HISTORY_QUERIES: variable({
    default: "4",
    description:
      "History queries (the flows a view starts with) run against the relay or the flow history at once; more wait their turn, " +
      "so a storm of connecting clients cannot starve the live views.",
    schema: integerValue(1, 1000, "4"),
  }),
  HUBBLE_LENS_STREAM_QUEUE_SIZE: variable({
    default: "8MiB",
    description:
      "Most flow data queued for one stream whose browser reads slowly; beyond, the oldest flows are dropped and the browser is told " + "how many it missed. From 256KiB to 1GiB.",
    schema: QUEUE_SIZE,
  }),
  HUBBLE_LENS_STALLED_STREAM_TIMEOUT: variable({
    default: "30s",
    description:
      "A stream whose browser takes nothing for this long while flows wait is stalled: its queued flows, and those that come until it " +
      "reads again, are dropped and counted in the missed event it gets when it resumes. From 1s to 1h.",
    schema: STALL_TIME,
  }),
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
    schema: PATH,
  }),
  HUBBLE_LENS_HOST: variable({
    default: "127.0.0.1",
    description:
      "Address the web server listens on (npm start and the image). 0.0.0.0 or :: listen on every interface, which needs HUBBLE_LENS_AUTH=oidc or proxy, " +
      "or HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true.",
    schema: LISTEN_HOST,
  }),
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

type VariableName = keyof typeof VARIABLES;
type Parsed = { [K in VariableName]: z.output<(typeof VARIABLES)[K]["schema"]> };

export interface ConfigReferenceRow {
  name: string;
  aliases: readonly string[];
  default: string;
  description: string;
}

/** The configuration reference (for the README and `--help`), straight from `VARIABLES`. */
export function describeConfig(): ConfigReferenceRow[] {
  return (Object.keys(VARIABLES) as VariableName[]).map((name) => {
    const spec: VariableSpec<z.ZodType> = VARIABLES[name];
    return {
      name,
      aliases: spec.aliases ?? [],
      default: spec.default ?? spec.defaultText ?? "",
      description: spec.description,
    };
  });
}

/** The reference as a Markdown table (server/config/README.md holds a copy a test keeps in sync). */
export function renderConfigReference(): string {
  const lines = ["| Variable | Default | Description |", "|---|---|---|"];
  for (const row of describeConfig()) {
    const name = [row.name, ...row.aliases].map((n) => `\`${n}\``).join(" or ");
    const value = VARIABLES[row.name as VariableName].default !== undefined ? `\`${row.default}\`` : row.default;
    lines.push(`| ${name} | ${value} | ${row.description.replace(/\|/g, "\\|")} |`);
  }
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// The validated result

export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  certPem: Buffer;
  keyPem: Buffer;
}

export interface RelayTlsSettings {
  /** Concatenated PEM of every HUBBLE_TLS_CA_CERT_FILES file; null means the system roots. */
  caCertPem: Buffer | null;
  caCertFiles: readonly string[];
  /** Present for mutual TLS. */
  clientCert: ClientCertificate | null;
  serverName: string | null;
  allowInsecure: boolean;
}

export type RelaySource = { kind: "external"; address: string; tls: RelayTlsSettings | null } | { kind: "demo" };

export interface DemoRelaySettings {
  scenario: string;
  rate: number;
  seed: number;
  bufferCapacity: number;
  /** A capture to replay instead of the scenario. */
  replay: string | null;
}

export interface PolicySourceSettings {
  source: "auto" | "kubernetes" | "directory" | "demo" | "none";
  /** HUBBLE_LENS_POLICIES. */
  path: string | null;
  settings: ClusterSettings;
}

export interface StoreSettings {
  dataDir: string;
  databaseUrl: string | null;
}

export interface HistoryFilter {
  /** As written in HUBBLE_LENS_HISTORY_FILTER. */
  text: string;
  whitelist: readonly FlowFilter[];
  blacklist: readonly FlowFilter[];
}

export interface HistorySettings {
  mode: "record" | "read" | "off";
  keep: "all" | "rollup";
  filter: HistoryFilter | null;
  retentionMs: number;
  maxBytes: number;
  /** null: SQLite in the data directory. */
  clickhouseUrl: string | null;
}

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

/** What one client or stream may take (server/hub, server/http/stream-limit.ts). */
export interface StreamLimits {
  maxStreamsPerClient: number;
  maxRelayStreams: number;
  maxHistoryQueries: number;
  queueBytes: number;
  stalledReaderMs: number;
}

export interface ServerConfig {
  port: number;
  /** Caps on streams, relay streams, history queries and subscriber queues. */
  limits: StreamLimits;
  auth: AuthSettings;
  /** How long investigations are kept, in ms; null: until deleted. */
  investigationRetentionMs: number | null;
  /** HUBBLE_LENS_BASE_PATH, canonical ("" for the root, else "/prefix"); equal to the build's. */
  basePath: string;
  /** Host allowlist, same-origin rule and framing (lib/http-security.ts). */
  http: HttpSecuritySettings;
  policies: PolicySourceSettings;
  store: StoreSettings;
  /** Flow history (server/flow-store). */
  history: HistorySettings;
  relay: RelaySource;
  dialTimeoutMs: number;
  requestTimeoutMs: number;
  demo: DemoRelaySettings;
  /** Things that work but deserve a loud log line at start (e.g. TLS verification off). */
  warnings: readonly string[];
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(
      `Invalid Hubble Lens configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the whole configuration. Throws a ConfigError that lists every bad
 * variable, not only the first one.
 */
export function loadServerConfig(
  env: Env = process.env,
  // The prefix the running build was made for (next.config.js inlines it; undefined outside a
  // Next.js build, e.g. in unit tests and the CLIs, where no prefix is served).
  builtBasePath: string | undefined = process.env.HUBBLE_LENS_BUILT_BASE_PATH,
): ServerConfig {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const values: Partial<Parsed> = {};
  const given = new Set<VariableName>();

  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const spec: VariableSpec<z.ZodType> = VARIABLES[name];
    const raw = readRaw(env, name, spec.aliases ?? [], problems);
    if (raw === undefined && spec.default === undefined) continue;
    if (raw !== undefined) given.add(name);
    const result = spec.schema.safeParse(raw ?? spec.default);
    if (result.success) {
      (values as Record<string, unknown>)[name] = result.data;
    } else {
      for (const issue of result.error.issues) problems.push({ variable: name, message: issue.message });
    }
  }

  const relay = resolveRelay(values, given, problems, warnings);
  const replay = values.HUBBLE_LENS_DEMO_REPLAY;
  if (replay !== undefined) checkReadable("HUBBLE_LENS_DEMO_REPLAY", replay, "a capture file", problems);
  const policyPath = values.HUBBLE_LENS_POLICIES;
  if (policyPath !== undefined && !existsSync(policyPath)) {
    problems.push({ variable: "HUBBLE_LENS_POLICIES", message: `${quote(policyPath)} does not exist; give a directory or file of policy YAML` });
  }
  if (values.HUBBLE_LENS_POLICY_SOURCE === "directory" && policyPath === undefined) {
    problems.push({ variable: "HUBBLE_LENS_POLICIES", message: "missing: HUBBLE_LENS_POLICY_SOURCE=directory needs the policy directory" });
  }
  if (relay?.kind === "external") {
    const demoVars = [...given].filter((n) => n.startsWith("HUBBLE_LENS_DEMO_"));
    if (demoVars.length > 0) {
      warnings.push(`${demoVars.join(", ")} ignored: HUBBLE_RELAY_ADDR is set, so the demo relay does not run.`);
    }
  }
  const http = httpSecurityFromEnv({
    HUBBLE_LENS_PUBLIC_URL: values.HUBBLE_LENS_PUBLIC_URL,
    HUBBLE_LENS_ALLOWED_HOSTS: values.HUBBLE_LENS_ALLOWED_HOSTS,
    HUBBLE_LENS_FRAME_ANCESTORS: values.HUBBLE_LENS_FRAME_ANCESTORS,
  });
  if (!http.ok) problems.push(...http.problems);
  const auth = resolveAuth(values, given, env, problems, warnings);
  const basePath = values.HUBBLE_LENS_BASE_PATH ?? "";
  if (builtBasePath !== undefined && !problems.some((p) => p.variable === "HUBBLE_LENS_BASE_PATH") && basePath !== builtBasePath) {
    problems.push({ variable: "HUBBLE_LENS_BASE_PATH", message: basePathMismatch(basePath, builtBasePath) });
  }
  if (problems.length > 0 || !http.ok) throw new ConfigError(problems);

  // From here every variable with a default has a value.
  const v = values as Parsed;
  return {
    port: v.PORT,
    limits: {
      maxStreamsPerClient: v.HUBBLE_LENS_MAX_STREAMS_PER_CLIENT,
      maxRelayStreams: v.HUBBLE_LENS_MAX_RELAY_STREAMS,
      maxHistoryQueries: v.HUBBLE_LENS_MAX_HISTORY_QUERIES,
      queueBytes: v.HUBBLE_LENS_STREAM_QUEUE_SIZE,
      stalledReaderMs: v.HUBBLE_LENS_STALLED_STREAM_TIMEOUT,
    },
    auth: auth!,
    investigationRetentionMs: v.HUBBLE_LENS_INVESTIGATION_RETENTION ?? null,
    basePath,
    http: http.settings,
    relay: relay!,
    policies: {
      source: v.HUBBLE_LENS_POLICY_SOURCE,
      path: policyPath ?? null,
      settings: v.HUBBLE_LENS_CILIUM_SETTINGS ?? parseDefaultSettings(),
    },
    store: { dataDir: v.HUBBLE_LENS_DATA_DIR, databaseUrl: v.DATABASE_URL ?? null },
    history: {
      mode: v.HUBBLE_LENS_HISTORY,
      keep: v.HUBBLE_LENS_HISTORY_KEEP,
      filter: v.HUBBLE_LENS_HISTORY_FILTER ?? null,
      retentionMs: v.HUBBLE_LENS_HISTORY_RETENTION,
      maxBytes: v.HUBBLE_LENS_HISTORY_MAX_SIZE,
      clickhouseUrl: v.HUBBLE_LENS_CLICKHOUSE_URL ?? null,
    },
    dialTimeoutMs: v.HUBBLE_DIAL_TIMEOUT,
    requestTimeoutMs: v.HUBBLE_REQUEST_TIMEOUT,
    demo: {
      scenario: v.HUBBLE_LENS_DEMO_SCENARIO,
      rate: v.HUBBLE_LENS_DEMO_RATE,
      seed: v.HUBBLE_LENS_DEMO_SEED,
      bufferCapacity: v.HUBBLE_LENS_DEMO_BUFFER,
      replay: replay ?? null,
    },
    warnings,
  };
}

const LOOPBACK_HOSTS = new Set(["localhost", "::1", "[::1]", "ip6-localhost"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function resolveAuth(values: Partial<Parsed>, given: Set<VariableName>, env: Env, problems: ConfigProblem[], warnings: string[]): AuthSettings | undefined {
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
  const oidcVars: VariableName[] = ["HUBBLE_LENS_OIDC_ISSUER", "HUBBLE_LENS_OIDC_CLIENT_ID", "HUBBLE_LENS_OIDC_CLIENT_SECRET"];
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
        "start it with npm start, or in the image with its command (node --require ./server-preload.cjs server.js)",
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

function basePathMismatch(wanted: string, built: string): string {
  const describe = (p: string) => (p === "" ? "the root (/)" : p);
  return (
    `is ${describe(wanted)}, but this build serves under ${describe(built)}: Next.js fixes the prefix when it builds. ` +
    "Rebuild with the same HUBBLE_LENS_BASE_PATH (`npm start` does it by itself; for the container image, " +
    `build it with --build-arg HUBBLE_LENS_BASE_PATH=${wanted === "" ? "/" : wanted}), or start it with HUBBLE_LENS_BASE_PATH=${built === "" ? "/" : built}`
  );
}

function parseDefaultSettings(): ClusterSettings {
  const r = parseSettingAssignments([]);
  if (!r.ok) throw new Error(r.message);
  return r.settings;
}

let cached: ServerConfig | undefined;

/** The process-wide configuration, validated on first use. */
export function getServerConfig(): ServerConfig {
  cached ??= loadServerConfig(process.env);
  return cached;
}

function readRaw(env: Env, name: string, aliases: readonly string[], problems: ConfigProblem[]): string | undefined {
  const found: { name: string; value: string }[] = [];
  for (const candidate of [name, ...aliases]) {
    const value = env[candidate]?.trim();
    if (value) found.push({ name: candidate, value });
  }
  if (found.length > 1 && found.some((f) => f.value !== found[0].value)) {
    problems.push({
      variable: name,
      message: `${found.map((f) => f.name).join(" and ")} are both set to different values; keep only ${name}`,
    });
  }
  return found[0]?.value;
}

function resolveRelay(values: Partial<Parsed>, given: Set<VariableName>, problems: ConfigProblem[], warnings: string[]): RelaySource | undefined {
  const address = values.HUBBLE_RELAY_ADDR;
  const certFile = values.HUBBLE_TLS_CLIENT_CERT_FILE;
  const keyFile = values.HUBBLE_TLS_CLIENT_KEY_FILE;
  const caFiles = values.HUBBLE_TLS_CA_CERT_FILES ?? [];

  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [missing, present] =
      certFile === undefined ? ["HUBBLE_TLS_CLIENT_CERT_FILE", "HUBBLE_TLS_CLIENT_KEY_FILE"] : ["HUBBLE_TLS_CLIENT_KEY_FILE", "HUBBLE_TLS_CLIENT_CERT_FILE"];
    problems.push({
      variable: missing,
      message: `missing: mutual TLS needs both a client certificate and its key, but only ${present} is set`,
    });
  }

  const tlsSettings: VariableName[] = ["HUBBLE_TLS_CA_CERT_FILES", "HUBBLE_TLS_CLIENT_CERT_FILE", "HUBBLE_TLS_CLIENT_KEY_FILE", "HUBBLE_TLS_SERVER_NAME"];
  const tlsImpliedBy = tlsSettings.filter((n) => given.has(n));
  if (values.HUBBLE_TLS_ALLOW_INSECURE === true) tlsImpliedBy.push("HUBBLE_TLS_ALLOW_INSECURE");

  if (address === undefined) {
    if (given.has("HUBBLE_RELAY_ADDR")) return undefined; // already reported as malformed
    const ignored = [...tlsImpliedBy, ...(given.has("HUBBLE_TLS") ? ["HUBBLE_TLS"] : [])];
    if (ignored.length > 0) {
      warnings.push(`${ignored.join(", ")} ignored: HUBBLE_RELAY_ADDR is not set, so the embedded demo relay is used.`);
    }
    return { kind: "demo" };
  }

  const tlsExplicit = given.has("HUBBLE_TLS") ? values.HUBBLE_TLS : undefined;
  if (tlsExplicit === false && (address.tlsPrefix || tlsImpliedBy.length > 0)) {
    const reasons = [...(address.tlsPrefix ? ["the tls:// prefix of HUBBLE_RELAY_ADDR"] : []), ...tlsImpliedBy];
    problems.push({
      variable: "HUBBLE_TLS",
      message: `is false, but ${reasons.join(", ")} ask${reasons.length === 1 ? "s" : ""} for TLS; remove HUBBLE_TLS=false or those settings`,
    });
    return undefined;
  }
  const useTls = tlsExplicit === true || address.tlsPrefix || tlsImpliedBy.length > 0;
  if (!useTls) return { kind: "external", address: address.address, tls: null };

  const caPems = caFiles.map((file) => readCaFile(file, problems));
  let clientCert: ClientCertificate | null = null;
  if (certFile !== undefined && keyFile !== undefined) clientCert = readClientCert(certFile, keyFile, problems);

  const allowInsecure = values.HUBBLE_TLS_ALLOW_INSECURE ?? false;
  if (allowInsecure) {
    warnings.push(
      "HUBBLE_TLS_ALLOW_INSECURE=true: the relay's certificate is NOT verified. Anyone between Hubble Lens " +
        "and the relay can read and change the flows. Set HUBBLE_TLS_CA_CERT_FILES (and HUBBLE_TLS_SERVER_NAME) instead.",
    );
  }
  const caPemsOk = caPems.filter((p): p is Buffer => p !== null);
  return {
    kind: "external",
    address: address.address,
    tls: {
      caCertPem: caPemsOk.length > 0 ? Buffer.concat(caPemsOk.flatMap((p) => [p, Buffer.from("\n")])) : null,
      caCertFiles: caFiles,
      clientCert,
      serverName: values.HUBBLE_TLS_SERVER_NAME ?? null,
      allowInsecure,
    },
  };
}
