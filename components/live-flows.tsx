"use client";

import { useEffect, useMemo, useSyncExternalStore } from "react";
import type { FlowEndpointView, FlowRow } from "@/lib/flow-model";
import type { RelayStateView } from "@/lib/sse";
import { FlowStreamStore } from "./flow-stream-store";

const SHOWN_ROWS = 300;

/** A first live view of the stream: connection state and the newest flows. */
export function LiveFlows({ query = "" }: { query?: string }) {
  const store = useMemo(() => new FlowStreamStore(), []);
  useEffect(() => {
    store.open(query);
    return () => store.close();
  }, [store, query]);
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  const rows = state.flows.rows.slice(0, SHOWN_ROWS);

  return (
    <section aria-label="Live flows" className="flex flex-col gap-3">
      <div role="status" className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm">
        <RelayBadge relay={state.relay} connection={state.connection} />
        <span>{state.nodes.connected.length} nodes connected</span>
        <span>{state.flows.rows.length.toLocaleString()} flows</span>
        {state.lost > 0 && <span className="text-amber-600">{state.lost} lost by Hubble</span>}
        {state.missed > 0 && <span className="text-amber-600">{state.missed} missed (slow connection)</span>}
        {state.command && <code className="rounded bg-slate-100 px-1 dark:bg-slate-800">{state.command}</code>}
      </div>
      {state.nodes.problems.map((p) => (
        <p key={p} role="alert" className="text-sm text-amber-700">
          {p}
        </p>
      ))}
      {state.errors.map((e, i) => (
        <p key={`${i}-${e}`} role="alert" className="text-sm text-red-700">
          {e}
        </p>
      ))}
      {rows.length === 0 ? (
        <p className="text-sm text-slate-500">{emptyMessage(state.relay, state.connection)}</p>
      ) : (
        <table className="w-full table-fixed text-left font-mono text-xs">
          <thead className="text-slate-500">
            <tr>
              <th className="w-28">Time</th>
              <th>Source</th>
              <th>Destination</th>
              <th className="w-24">Verdict</th>
              <th>Summary</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <FlowLine key={row.id} row={row} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FlowLine({ row }: { row: FlowRow }) {
  return (
    <tr className="border-t border-slate-100 dark:border-slate-800" data-verdict={row.verdict}>
      <td className="truncate">{row.time.slice(11, 23)}</td>
      <td className="truncate">{endpointText(row.source)}</td>
      <td className="truncate">{endpointText(row.destination)}</td>
      <td className={row.verdict === "DROPPED" ? "text-red-600" : ""}>{row.verdict}</td>
      <td className="truncate">{row.dropReason || row.summary}</td>
    </tr>
  );
}

function endpointText(ep: FlowEndpointView): string {
  const who = ep.pod ? `${ep.namespace}/${ep.pod}` : ep.names[0] ?? ep.entity ?? ep.ip;
  return ep.port ? `${who}:${ep.port}` : who;
}

function RelayBadge({ relay, connection }: { relay: RelayStateView | undefined; connection: string }) {
  if (connection === "error") return <span className="text-red-600">Connection to the server lost, retrying…</span>;
  if (!relay) return <span>Connecting…</span>;
  switch (relay.kind) {
    case "live":
      return <span className="text-emerald-600">Live: {relay.address}</span>;
    case "connecting":
      return <span>Connecting to {relay.address}…</span>;
    case "reconnecting":
      return (
        <span className="text-amber-600">
          Relay {relay.address} unreachable ({relay.lastError}); retry {relay.attempt} at {relay.nextTryAt.slice(11, 19)}
        </span>
      );
    case "failed":
      return <span className="text-red-600">Relay {relay.address} failed: {relay.reason}</span>;
  }
}

function emptyMessage(relay: RelayStateView | undefined, connection: string): string {
  if (relay?.kind === "reconnecting" || relay?.kind === "failed") return `No flows: the relay at ${relay.address} is not reachable.`;
  if (connection === "connecting") return "Waiting for flows…";
  return "No flows match yet.";
}
