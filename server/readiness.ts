import "server-only";

import { ConfigError } from "@/server/config/env";
import type { HubbleLensMetrics } from "@/server/metrics";
import type { Runtime } from "@/server/runtime";
import { apiError } from "@/server/http/api-error";

// The probes. `/healthz` says only that the process serves HTTP (a liveness probe that restarts
// the pod must not depend on the relay or the database). `/readyz` says the pod can take users:
// the configuration is valid, the investigation store opened and migrated, and Hubble Relay was
// reached at least once. After that first contact a relay outage keeps the pod ready on purpose:
// the dashboard then shows the outage and reconnects, which beats every replica leaving the
// Service at once.

export interface ReadinessCheck {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: { readonly config: ReadinessCheck; readonly store: ReadinessCheck; readonly relay: ReadinessCheck };
}

export interface ReadinessDeps {
  /** Validates the configuration; throws a ConfigError when it is not valid. */
  readonly config: () => unknown;
  readonly runtime: () => Promise<Runtime>;
  readonly metrics: HubbleLensMetrics;
  /** How long a probe waits for the runtime or a relay check before answering "not yet". */
  readonly waitMs?: number;
}

const NOT_YET = Symbol("not-yet");

function within<T>(p: Promise<T>, ms: number): Promise<T | typeof NOT_YET> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof NOT_YET>((resolve) => {
    timer = setTimeout(() => resolve(NOT_YET), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const waitMs = deps.waitMs ?? 3000;
  const notChecked = (why: string): ReadinessCheck => ({ ok: false, detail: why });

  let config: ReadinessCheck;
  try {
    deps.config();
    config = { ok: true, detail: "valid" };
  } catch (err) {
    const detail = err instanceof ConfigError ? err.problems.map((p) => `${p.variable}: ${p.message}`).join(", ") : `cannot be read: ${message(err)}`;
    config = { ok: false, detail: `invalid (${detail})` };
    return { ready: false, checks: { config, store: notChecked("not checked: the configuration is invalid"), relay: notChecked("not checked: the configuration is invalid") } };
  }

  let runtime: Runtime | typeof NOT_YET;
  try {
    runtime = await within(deps.runtime(), waitMs);
  } catch (err) {
    const failed = notChecked(`the server could not start: ${message(err)}`);
    return { ready: false, checks: { config, store: failed, relay: failed } };
  }
  if (runtime === NOT_YET) {
    const starting = notChecked("starting: the relay client and the investigation store are being set up");
    return { ready: false, checks: { config, store: starting, relay: starting } };
  }

  // Opening the store runs its migrations and throws if they fail, so an open store is migrated.
  const store: ReadinessCheck = { ok: true, detail: `${runtime.investigations.kind} store open, schema migrated` };
  const relay = await relayCheck(runtime, deps.metrics, waitMs);
  return { ready: config.ok && store.ok && relay.ok, checks: { config, store, relay } };
}

async function relayCheck(runtime: Runtime, metrics: HubbleLensMetrics, waitMs: number): Promise<ReadinessCheck> {
  const address = runtime.client.address;
  if (metrics.relayFirstReachedAt === undefined) {
    // No stream went live yet (no browser asked for flows): ask the relay directly.
    const status = await within(runtime.status.status(), waitMs);
    if (status === NOT_YET) return { ok: false, detail: `relay ${address} not reached yet: ServerStatus has not answered within ${waitMs} ms` };
    metrics.relayChecked(status.relay.reachable);
    if (!status.relay.reachable) {
      const why = status.relay.error ? `${status.relay.error.code}: ${status.relay.error.message}` : "unreachable";
      return { ok: false, detail: `relay ${address} not reached yet (${why})` };
    }
  }
  return { ok: true, detail: `relay ${address} first reached at ${metrics.relayFirstReachedAt!.toISOString()}` };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `GET /readyz`: 200 with the checks, or 503 in the common error form naming what is missing. */
export function readinessResponse(r: Readiness): Response {
  const headers = { "Cache-Control": "no-store" };
  if (r.ready) return Response.json({ status: "ready", checks: r.checks }, { headers });
  const failing = Object.entries(r.checks)
    .filter(([, c]) => !c.ok)
    .map(([name, c]) => `${name}: ${c.detail}`);
  return apiError("not-ready", `not ready: ${failing.join("; ")}`, { extra: { checks: r.checks } });
}

/** `GET /healthz`: the process is alive and serving HTTP; nothing else is consulted. */
export function livenessResponse(): Response {
  return Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
}
