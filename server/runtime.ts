import "server-only";

import type { JsonObject } from "@bufbuild/protobuf";
import { attributeDrop, type DropAttribution } from "@/lib/drops";
import type { FlowRow } from "@/lib/flow-model";
import { explainFlow } from "@/lib/policy";
import type { RelayStateView } from "@/lib/sse";
import { ScopedPolicies } from "@/server/auth/scoped-policies";
import type { NamespaceAccess } from "@/lib/access/scope";
import { ConfigError, getServerConfig, type ServerConfig } from "@/server/config/env";
import { type DemoRelayThread, startDemoRelayThread } from "@/server/demo-relay/in-worker";
import { FlowHub, type HubbleFilters } from "@/server/hub/hub";
import { StreamsPerClient } from "@/server/http/stream-limit";
import type { OpenLiveFeed } from "@/server/hub/upstream";
import { log } from "@/server/log";
import { getMetrics } from "@/server/metrics";
import { FlowFollower, type FollowerState } from "@/server/relay-client/flow-follower";
import { RelayClient, relayConnectionFromConfig } from "@/server/relay-client/relay-client";
import { RelayOutages } from "@/server/relay-outages";
import { ThreadedFlowSource } from "@/server/relay-client/follow-thread";
import { StatusMonitor } from "@/server/status-monitor";
import { createPolicyService, type PolicyService } from "@/server/policies";
import { openInvestigationStore, type InvestigationStore } from "@/server/investigations";
import { openFlowHistory, type FlowHistory } from "@/server/flow-store";
import type { FlowSource } from "@/server/relay-client/relay-client";

/** Everything the route handlers share, created once per server process. */
export interface Runtime {
  readonly config: ServerConfig;
  readonly client: RelayClient;
  readonly hub: FlowHub;
  /** Flow streams open per client (HUBBLE_LENS_MAX_STREAMS_PER_CLIENT). */
  readonly streamsPerClient: StreamsPerClient;
  readonly status: StatusMonitor;
  readonly demoRelay: DemoRelayThread | undefined;
  /** The network policies the explainer uses, with their history. */
  readonly policies: PolicyService;
  /** Shared investigations (SQLite, or PostgreSQL with DATABASE_URL). */
  readonly investigations: InvestigationStore;
  /** Flow history (recorder and store); undefined with HUBBLE_LENS_HISTORY=off. */
  readonly history: FlowHistory | undefined;
  /** Bounded flow queries: the relay, reaching back into the flow history. */
  readonly flows: FlowSource;
  /** Policy snapshots as one person may read them, and compiled for the explainer. */
  readonly scopedPolicies: ScopedPolicies;
  close(): Promise<void>;
}

// Next.js bundles route handlers and instrumentation separately, so module state is not shared
// between them: the runtime lives on globalThis.
const KEY = Symbol.for("hubble-lens.runtime");
type Holder = { [KEY]?: Promise<Runtime> };

export function getRuntime(): Promise<Runtime> {
  const holder = globalThis as Holder;
  holder[KEY] ??= createRuntime(getServerConfig()).catch((err: unknown) => {
    delete holder[KEY];
    throw err;
  });
  return holder[KEY];
}

/**
 * Server start (instrumentation): brings the runtime up, or, on a bad configuration, prints what
 * to fix and exits, so a misconfigured dashboard never serves half-working pages.
 */
export async function startRuntimeOrExit(): Promise<void> {
  try {
    await getRuntime();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hubble-lens: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`hubble-lens: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

export async function createRuntime(config: ServerConfig): Promise<Runtime> {
  for (const w of config.warnings) log.warn(w);
  let demoRelay: DemoRelayThread | undefined;
  if (config.relay.kind === "demo") {
    const d = config.demo;
    demoRelay = await startDemoRelayThread({
      scenario: d.replay ? undefined : d.scenario,
      replay: d.replay ?? undefined,
      loop: d.replay ? true : undefined,
      rate: d.rate,
      seed: d.seed,
      bufferCapacity: d.bufferCapacity,
    });
    log.info(`HUBBLE_RELAY_ADDR is unset: embedded demo relay on ${demoRelay.address}`, {
      scenario: d.replay ? undefined : d.scenario,
      replay: d.replay ?? undefined,
      rate: d.rate,
      seed: d.seed,
    });
  }
  const client = new RelayClient(relayConnectionFromConfig(config, demoRelay?.address));
  const address = client.address;
  const metrics = getMetrics();

  const outages = new RelayOutages();
  // The live views' streams are read on a thread of their own (follow-thread.ts).
  const liveSource = new ThreadedFlowSource(relayConnectionFromConfig(config, demoRelay?.address));
  const openLive =
    (filters: HubbleFilters): OpenLiveFeed =>
    (sink) => {
      const follower = new FlowFollower({
        source: liveSource,
        request: { whitelist: [...filters.whitelist], blacklist: [...filters.blacklist] },
        onResponse: (r) => {
          metrics.relayResponse(r);
          sink.response(r);
        },
      });
      const off = follower.onStateChange((s) => {
        metrics.relayStreamState(follower, s.kind);
        sink.state(stateView(address, s));
        if (s.kind === "reconnecting") log.warn(`relay stream reconnecting: ${s.lastError}`, { attempt: s.attempt });
        if (s.kind === "live" && s.outage) {
          outages.record(s.outage);
          log.warn("relay stream live again: flows from the outage may be missing", { from: s.outage.from.toISOString(), to: s.outage.to.toISOString() });
        }
      });
      metrics.relayStreamState(follower, follower.state.kind);
      sink.state(stateView(address, follower.state));
      follower.start();
      return {
        stop: () => {
          off();
          metrics.relayStreamClosed(follower);
          void follower.stop();
        },
      };
    };

  const demoScenario = config.relay.kind === "demo" && !config.demo.replay ? config.demo.scenario : undefined;
  const policies = await createPolicyService(config, demoScenario);
  const history = await openFlowHistory(config.history, {
    relay: relayConnectionFromConfig(config, demoRelay?.address),
    dataDir: config.store.dataDir,
    onWrite: (flows, duplicates, seconds) => metrics.historyWrite(flows, duplicates, seconds),
  });
  const relayQuery = (req: Parameters<FlowSource["getFlows"]>[0], signal: AbortSignal) => client.getFlows(req, { signal });
  const scopedPolicies = new ScopedPolicies();
  const limits = config.limits;
  const hub = new FlowHub(
    {
      openLive,
      queryHistory: history ? history.query(relayQuery) : relayQuery,
      attribute: dropAttribution(policies, scopedPolicies),
    },
    {
      maxUpstreams: limits.maxRelayStreams,
      maxConcurrentHistory: limits.maxHistoryQueries,
      maxQueuedBytes: limits.queueBytes,
      stalledReaderMs: limits.stalledReaderMs,
    },
  );
  const streamsPerClient = new StreamsPerClient(limits.maxStreamsPerClient);
  const status = new StatusMonitor(client, demoRelay !== undefined, Date.now, () => outages.summary(), history && (() => history.status()));
  const investigations = await openInvestigationStore(config.store);
  const stopRetention = startRetention(investigations, config.investigationRetentionMs);
  metrics.bindRuntime({ upstreamStreams: () => hub.upstreamCount, history: history && (() => history.recorder?.status) });
  log.info(`sign-in: ${config.auth.mode}`, {
    listen: config.auth.host,
    access: config.auth.access ? "HUBBLE_LENS_ACCESS_FILE" : "every namespace for everyone signed in",
  });
  return {
    config,
    client,
    hub,
    streamsPerClient,
    status,
    demoRelay,
    policies,
    investigations,
    history,
    flows: history ? history.source(client) : client,
    scopedPolicies,
    async close() {
      stopRetention();
      hub.shutdown();
      await history?.close();
      await liveSource.close();
      client.close();
      await Promise.all([demoRelay?.close(), policies.close(), investigations.close()]);
    },
  };
}

/**
 * The policies a drop is charged to, as the browser's explainer would charge it: the current
 * policy set's answer (lib/policy), else Hubble's own `*_denied_by`. Without a policy source, only
 * the latter.
 */
function dropAttribution(policies: PolicyService, scoped: ScopedPolicies): (flow: JsonObject, row: FlowRow, access: NamespaceAccess) => DropAttribution {
  return (flow, row, access) => {
    if (policies.sourceKind === "none") return attributeDrop(row, undefined);
    try {
      return attributeDrop(row, explainFlow(flow, scoped.compile(policies.current(), access)));
    } catch {
      return attributeDrop(row, undefined);
    }
  };
}

/** Retention sweep interval: an expired investigation is gone within this long. */
const RETENTION_SWEEP_MS = 10 * 60_000;

/** Deletes investigations older than the retention, at start and every 10 minutes; returns the stop. */
function startRetention(store: InvestigationStore, retentionMs: number | null): () => void {
  if (retentionMs === null) return () => {};
  const sweep = async () => {
    try {
      const ids = await store.expire(new Date(Date.now() - retentionMs));
      for (const id of ids) log.audit("investigation expired", { id, retentionHours: Math.round(retentionMs / 36e5) });
    } catch (err) {
      log.warn(`investigations: the retention sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), RETENTION_SWEEP_MS);
  timer.unref?.();
  return () => clearInterval(timer);
}

export function stateView(address: string, s: FollowerState): RelayStateView {
  switch (s.kind) {
    case "connecting":
      return { kind: "connecting", address };
    case "live":
      return {
        kind: "live",
        address,
        since: s.since.toISOString(),
        ...(s.outage
          ? {
              outage: {
                from: s.outage.from.toISOString(),
                to: s.outage.to.toISOString(),
                seconds: Math.round((s.outage.to.getTime() - s.outage.from.getTime()) / 100) / 10,
              },
            }
          : {}),
      };
    case "reconnecting":
      return {
        kind: "reconnecting",
        address,
        attempt: s.attempt,
        nextTryAt: s.nextTryAt.toISOString(),
        lastError: s.lastError,
      };
    case "failed":
      return { kind: "failed", address, reason: s.reason };
  }
}
