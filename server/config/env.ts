import "server-only";
import type { z } from "zod";
import type { HttpSecuritySettings } from "@/lib/http-security";
import { resolveAuth, type AuthSettings } from "./auth";
import { streamLimits, type StreamLimits } from "./limits";
import { resolvePolicies, type PolicySourceSettings } from "./policies";
import { ConfigError, type ConfigProblem } from "./problems";
import { resolveDemo, resolveRelay, type DemoRelaySettings, type RelaySource } from "./relay";
import { historySettings, storeSettings, type HistorySettings, type StoreSettings } from "./storage";
import type { Env, VariableSpec } from "./variable";
import { VARIABLES, type Parsed, type VariableName } from "./variables";
import { resolveBasePath, resolveHttp } from "./web";

// Server configuration, read from the environment once at start and validated with zod.
// The Hubble variables use the hubble CLI's own names (viper maps `--tls-server-name` to
// HUBBLE_TLS_SERVER_NAME), so an environment that works for `hubble observe` works here.
// Certificate and key files are read here, so a bad path stops the server at start instead of
// failing the first request.
//
// This is the one entry: the rest of the server imports the configuration and its types from
// here. Each concern's variables and rules live in their own file (relay.ts, policies.ts,
// storage.ts, web.ts, limits.ts, auth.ts); variables.ts joins them into the one list.

export { ConfigError, type ConfigProblem } from "./problems";
export { VARIABLES, describeConfig, renderConfigReference, type ConfigReferenceRow } from "./variables";
export { isLoopbackHost, type AuthSettings, type OidcSettings } from "./auth";
export type { ClientCertificate } from "./files";
export type { DemoRelaySettings, RelaySource, RelayTlsSettings } from "./relay";
export type { HistoryFilter, HistorySettings, StoreSettings } from "./storage";
export type { PolicySourceSettings } from "./policies";
export type { StreamLimits } from "./limits";

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
  const demo = resolveDemo(values, given, relay, problems, warnings);
  const policies = resolvePolicies(values, problems);
  const http = resolveHttp(values, problems);
  const auth = resolveAuth(values, given, env, problems, warnings);
  const basePath = resolveBasePath(values, builtBasePath, problems);
  if (problems.length > 0 || !http.ok) throw new ConfigError(problems);

  // From here every variable with a default has a value.
  const v = values as Parsed;
  return {
    port: v.PORT,
    limits: streamLimits(v),
    auth,
    investigationRetentionMs: v.HUBBLE_LENS_INVESTIGATION_RETENTION ?? null,
    basePath,
    http: http.settings,
    relay: relay!,
    policies,
    store: storeSettings(v),
    history: historySettings(v),
    dialTimeoutMs: v.HUBBLE_DIAL_TIMEOUT,
    requestTimeoutMs: v.HUBBLE_REQUEST_TIMEOUT,
    demo,
    warnings,
  };
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
