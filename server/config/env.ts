import "server-only";
import { existsSync } from "node:fs";
import { z } from "zod";
import {
  booleanValue,
  durationValue,
  hostPortValue,
  integerValue,
  pathListValue,
  portValue,
  quote,
  serverNameValue,
} from "./values";
import { checkReadable, readCaFile, readClientCert } from "./files";
import { parseBasePath } from "@/lib/base-path";
import { httpSecurityFromEnv, type HttpSecuritySettings } from "@/lib/http-security";
import { parseSettingAssignments } from "@/lib/policy/settings";
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

const RETENTION = z.string().transform((raw, ctx) => {
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
    description:
      "Use TLS to the relay. Implied by a tls:// address and by any other HUBBLE_TLS_* setting.",
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
    description:
      "PEM client certificate for mutual TLS. Needs HUBBLE_TLS_CLIENT_KEY_FILE; together they turn TLS on.",
    schema: PATH,
  }),
  HUBBLE_TLS_CLIENT_KEY_FILE: variable({
    description: "PEM private key (unencrypted) of HUBBLE_TLS_CLIENT_CERT_FILE.",
    schema: PATH,
  }),
  HUBBLE_TLS_SERVER_NAME: variable({
    defaultText: "host of HUBBLE_RELAY_ADDR",
    description:
      "Name to verify the relay's certificate against, e.g. ui.hubble-relay.cilium.io, when it differs " +
      "from the host you connect to (port-forwards, IP addresses).",
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
    description:
      "Record only the flows this filter admits, written as the dashboard's URL writes filters, e.g. " +
      "namespace=shop&verdict=DROPPED or filter=from-pod%3Dshop%2F.",
    schema: HISTORY_FILTER,
  }),
  HUBBLE_LENS_HISTORY_RETENTION: variable({
    default: "7d",
    description: "How long flow history is kept, e.g. 12h or 30d; older flows and counts are removed continuously.",
    schema: RETENTION,
  }),
  HUBBLE_LENS_HISTORY_MAX_SIZE: variable({
    default: "10GiB",
    description:
      "Most disk the flow history takes (SQLite: the file's pages in use; ClickHouse: its compressed parts); " +
      "beyond, the oldest goes first. 0: no limit.",
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

export type RelaySource =
  | { kind: "external"; address: string; tls: RelayTlsSettings | null }
  | { kind: "demo" };

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

export interface ServerConfig {
  port: number;
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
      `Invalid Hubble Lens configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n"),
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
  const basePath = values.HUBBLE_LENS_BASE_PATH ?? "";
  if (builtBasePath !== undefined && !problems.some((p) => p.variable === "HUBBLE_LENS_BASE_PATH") && basePath !== builtBasePath) {
    problems.push({ variable: "HUBBLE_LENS_BASE_PATH", message: basePathMismatch(basePath, builtBasePath) });
  }
  if (problems.length > 0 || !http.ok) throw new ConfigError(problems);

  // From here every variable with a default has a value.
  const v = values as Parsed;
  return {
    port: v.PORT,
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

function resolveRelay(
  values: Partial<Parsed>,
  given: Set<VariableName>,
  problems: ConfigProblem[],
  warnings: string[],
): RelaySource | undefined {
  const address = values.HUBBLE_RELAY_ADDR;
  const certFile = values.HUBBLE_TLS_CLIENT_CERT_FILE;
  const keyFile = values.HUBBLE_TLS_CLIENT_KEY_FILE;
  const caFiles = values.HUBBLE_TLS_CA_CERT_FILES ?? [];

  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [missing, present] =
      certFile === undefined
        ? ["HUBBLE_TLS_CLIENT_CERT_FILE", "HUBBLE_TLS_CLIENT_KEY_FILE"]
        : ["HUBBLE_TLS_CLIENT_KEY_FILE", "HUBBLE_TLS_CLIENT_CERT_FILE"];
    problems.push({
      variable: missing,
      message: `missing: mutual TLS needs both a client certificate and its key, but only ${present} is set`,
    });
  }

  const tlsSettings: VariableName[] = [
    "HUBBLE_TLS_CA_CERT_FILES",
    "HUBBLE_TLS_CLIENT_CERT_FILE",
    "HUBBLE_TLS_CLIENT_KEY_FILE",
    "HUBBLE_TLS_SERVER_NAME",
  ];
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
