"use client";

import { type ReactNode, useEffect, useId, useRef } from "react";
import type { RelayStateView } from "@/lib/sse";
import { approxDuration, flowsPerSecond, localDateTime, retryText } from "./format";
import { useIsClient, useNow, usePopover } from "./hooks";
import { type RelayStatusView, useRelayStatus } from "./queries";
import { buttonClass, mutedText, popoverClass } from "./ui";

export interface StatusIndicatorProps {
  /** The live stream's relay connection; undefined before the stream says. */
  readonly relay: RelayStateView | undefined;
}

type Tone = "ok" | "wait" | "warn" | "bad";
const DOT: Record<Tone, string> = {
  ok: "bg-emerald-500",
  wait: "bg-slate-400 animate-pulse",
  warn: "bg-amber-500 animate-pulse",
  bad: "bg-red-600",
};
const TEXT: Record<Tone, string> = {
  ok: "text-emerald-700 dark:text-emerald-400",
  wait: "text-slate-600 dark:text-slate-300",
  warn: "text-amber-700 dark:text-amber-400",
  bad: "text-red-700 dark:text-red-400",
};

/**
 * Relay connection, nodes connected out of known, flows/s and how far back the relay's buffers
 * reach. A click opens the detail: address, demo or not, version, every node, unavailable nodes
 * and the last error. Esc closes it.
 */
export function StatusIndicator({ relay }: StatusIndicatorProps) {
  const statusQuery = useRelayStatus();
  const status = statusQuery.data;
  const pop = usePopover();
  const panelId = useId();
  const panelRef = useRef<HTMLDivElement>(null);
  const now = useNow(relay?.kind === "reconnecting");
  const client = useIsClient();

  useEffect(() => {
    if (pop.open) panelRef.current?.focus();
  }, [pop.open]);

  const conn = connectionSummary(relay, status, now, client);
  const nodes = status?.relay.reachable ? nodeCounts(status) : undefined;

  return (
    <div className="relative" {...pop.rootProps}>
      <button
        ref={pop.triggerRef}
        type="button"
        className={`${buttonClass} max-w-[28rem]`}
        aria-haspopup="dialog"
        aria-expanded={pop.open}
        aria-controls={pop.open ? panelId : undefined}
        title="Relay status: click for details"
        onClick={() => pop.setOpen(!pop.open)}
      >
        <span aria-hidden="true" className={`inline-block h-2 w-2 shrink-0 rounded-full ${DOT[conn.tone]}`} />
        <span className={`shrink-0 whitespace-nowrap ${TEXT[conn.tone]}`}>{conn.text}</span>
        {nodes && (
          <span className={`shrink-0 whitespace-nowrap ${nodes.connected < nodes.known ? TEXT.warn : mutedText}`}>
            · {nodes.connected}/{nodes.known} nodes
          </span>
        )}
        {status?.relay.reachable && <span className={`shrink-0 whitespace-nowrap ${mutedText}`}>· {flowsPerSecond(status.flows.rate)} flows/s</span>}
        {status?.relay.reachable && status.flows.bufferAgeSeconds !== undefined && (
          <span className={`hidden shrink-0 whitespace-nowrap xl:inline ${mutedText}`}>· buffers hold {approxDuration(status.flows.bufferAgeSeconds)}</span>
        )}
        {status?.history?.reachesBack && client && (
          <span className={`hidden min-w-0 truncate xl:inline ${status.history.recorder?.behind ? TEXT.warn : mutedText}`}>
            · history {approxDuration((now - Date.parse(status.history.reachesBack)) / 1000)}
            {status.history.recorder?.behind ? " (behind)" : ""}
          </span>
        )}
        {statusQuery.isError && <span className={`shrink-0 whitespace-nowrap ${TEXT.warn}`}>· status unavailable</span>}
      </button>
      {pop.open && (
        <div
          ref={panelRef}
          id={panelId}
          role="dialog"
          aria-label="Relay status"
          tabIndex={-1}
          className={`${popoverClass} right-0 top-full max-h-[70vh] w-[28rem] overflow-y-auto p-3 outline-none`}
        >
          <StatusDetail relay={relay} status={status} statusError={statusQuery.isError ? statusQuery.error.message : undefined} now={now} client={client} />
          <div className="mt-3 flex justify-end">
            <button type="button" className={buttonClass} onClick={() => pop.close()}>
              Close
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

function connectionSummary(relay: RelayStateView | undefined, status: RelayStatusView | undefined, now: number, client: boolean): { tone: Tone; text: string } {
  switch (relay?.kind) {
    case "live":
      return { tone: "ok", text: "Live" };
    case "connecting":
      return { tone: "wait", text: "Connecting…" };
    case "reconnecting":
      return { tone: "warn", text: client ? `Reconnecting, ${retryText(relay.nextTryAt, relay.attempt, now)}` : "Reconnecting" };
    case "failed":
      return { tone: "bad", text: "Relay failed" };
  }
  // No stream yet (or none open, e.g. a closed time window): fall back on /api/status.
  if (status && !status.relay.reachable) return { tone: "bad", text: "Relay unreachable" };
  if (status) return { tone: "ok", text: "Connected" };
  return { tone: "wait", text: "Connecting…" };
}

/** Flow history: how far back it reaches, what it keeps and whether the recorder keeps up. */
function HistoryDetail({ history, client, now }: { history: NonNullable<RelayStatusView["history"]>; client: boolean; now: number }) {
  const r = history.recorder;
  return (
    <section aria-label="Flow history">
      <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Flow history</h3>
      <dl className="grid grid-cols-[8rem_1fr] gap-x-2 gap-y-0.5">
        <Row label="Reach back">
          {history.reachesBack && client ? approxDuration((now - Date.parse(history.reachesBack)) / 1000) : history.reachesBack ? "" : "nothing kept yet"}
          {history.reachesBack && client && <span className={mutedText}> (since {localDateTime(history.reachesBack)})</span>}
        </Row>
        <Row label="Kept">
          {history.flows.toLocaleString("en-US")} flows, {megabytes(history.bytes)} in {history.store === "clickhouse" ? "ClickHouse" : "SQLite"}
          <span className={mutedText}> ({history.keep === "all" ? "every flow" : "drops, audits, errors and L7; forwarded flows counted per minute"})</span>
        </Row>
        <Row label="Recorder">
          {r ? (
            <span className={r.behind ? TEXT.warn : undefined}>
              {r.behind ? "behind: the store does not keep up" : r.state === "live" ? "recording" : r.state}
              {r.lagSeconds !== undefined && <span className={mutedText}> · newest flow {approxDuration(r.lagSeconds)} ago</span>}
              {r.lostEvents > 0 && <span className={TEXT.warn}> · {r.lostEvents.toLocaleString("en-US")} lost by the relay</span>}
            </span>
          ) : (
            "another replica records"
          )}
        </Row>
        {(r?.lastError ?? history.error) && (
          <Row label="Last error">
            <span className="break-words text-red-700 dark:text-red-400">{r?.lastError ?? history.error}</span>
          </Row>
        )}
      </dl>
    </section>
  );
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(0.1, bytes / 1e6).toFixed(1)} MB`;
}

function nodeCounts(status: RelayStatusView): { connected: number; known: number } {
  const connected = status.nodes.connected;
  return { connected, known: Math.max(connected + status.nodes.unavailable, status.nodes.list.length) };
}

function StatusDetail({
  relay,
  status,
  statusError,
  now,
  client,
}: {
  relay: RelayStateView | undefined;
  status: RelayStatusView | undefined;
  statusError: string | undefined;
  now: number;
  client: boolean;
}) {
  const address = relay?.address ?? status?.relay.address;
  const lastError = relay?.kind === "reconnecting" ? relay.lastError : relay?.kind === "failed" ? relay.reason : status?.relay.error?.message;
  const nodes = status ? nodeCounts(status) : undefined;
  return (
    <div className="flex flex-col gap-3">
      <section aria-label="Relay">
        <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Relay</h3>
        <dl className="grid grid-cols-[8rem_1fr] gap-x-2 gap-y-0.5">
          <Row label="Address" mono>
            {address ?? "—"}
          </Row>
          <Row label="Kind">{status ? (status.relay.demo ? "Embedded demo relay (synthetic flows)" : "Hubble Relay") : "—"}</Row>
          <Row label="Version" mono>
            {status?.relay.version || "—"}
          </Row>
          <Row label="Live stream">{streamText(relay, now, client)}</Row>
          <Row label="Reachable">
            {status ? (status.relay.reachable ? "yes" : "no") : "—"}
            {status && client && <span className={mutedText}> (checked {localDateTime(status.relay.checkedAt).slice(11)})</span>}
          </Row>
          {status && status.relay.outages.count > 0 && (
            <Row label="Outages">
              <span className={TEXT.warn}>
                {status.relay.outages.count.toLocaleString("en-US")} since the server started, {approxDuration(status.relay.outages.totalSeconds)} in all
              </span>
              {status.relay.outages.last && client && (
                <span className={mutedText}>
                  {" "}
                  (last {localDateTime(status.relay.outages.last.from).slice(11)}–{localDateTime(status.relay.outages.last.to).slice(11)}; flows from those times may be missing)
                </span>
              )}
            </Row>
          )}
          {lastError && (
            <Row label="Last error">
              <span className="break-words text-red-700 dark:text-red-400">
                {status?.relay.error && !relay ? `${status.relay.error.code}: ` : ""}
                {lastError}
              </span>
            </Row>
          )}
          {statusError && (
            <Row label="Status">
              <span className="text-amber-700 dark:text-amber-400">/api/status failed: {statusError}</span>
            </Row>
          )}
        </dl>
      </section>

      {status?.relay.reachable && (
        <section aria-label="Flows">
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Flows</h3>
          <dl className="grid grid-cols-[8rem_1fr] gap-x-2 gap-y-0.5">
            <Row label="Rate">{flowsPerSecond(status.flows.rate)} flows/s (last minute)</Row>
            <Row label="In buffers">
              {status.flows.numFlows.toLocaleString("en-US")} of {status.flows.maxFlows.toLocaleString("en-US")} ({Math.round(status.flows.bufferFill * 100)}%)
            </Row>
            <Row label="Reach back">
              {status.flows.bufferAgeSeconds !== undefined ? `${approxDuration(status.flows.bufferAgeSeconds)}` : "unknown"}
              {status.flows.oldestFlowTime && client && <span className={mutedText}> (oldest flow {localDateTime(status.flows.oldestFlowTime)})</span>}
            </Row>
            <Row label="Seen">{status.flows.seenFlows.toLocaleString("en-US")} since the nodes started</Row>
          </dl>
        </section>
      )}

      {status?.history && <HistoryDetail history={status.history} client={client} now={now} />}

      {status?.relay.reachable && nodes && (
        <section aria-label="Nodes">
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
            Nodes: {nodes.connected} of {nodes.known} connected
          </h3>
          {status.nodes.list.length > 0 ? (
            <table className="w-full table-fixed text-left">
              <thead className={mutedText}>
                <tr>
                  <th className="font-normal">Name</th>
                  <th className="w-24 font-normal">State</th>
                  <th className="w-16 text-right font-normal">Flows</th>
                  <th className="w-16 text-right font-normal">Max</th>
                </tr>
              </thead>
              <tbody className="font-mono">
                {status.nodes.list.map((n) => (
                  <tr key={n.name} className="border-t border-slate-100 dark:border-slate-800">
                    <td className="truncate" title={`${n.name} ${n.address} ${n.version}`}>
                      {n.name}
                    </td>
                    <td className={n.state === "NODE_CONNECTED" ? TEXT.ok : TEXT.warn}>{nodeStateText(n.state)}</td>
                    <td className="text-right">{n.numFlows.toLocaleString("en-US")}</td>
                    <td className="text-right">{n.maxFlows.toLocaleString("en-US")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className={mutedText}>The relay lists no nodes.</p>
          )}
          {status.nodes.unavailableNames.length > 0 && (
            <p className="mt-1 text-amber-700 dark:text-amber-400">
              Unavailable: <span className="font-mono">{status.nodes.unavailableNames.join(", ")}</span>
            </p>
          )}
          {status.nodes.unavailable > 0 && status.nodes.unavailableNames.length === 0 && (
            <p className="mt-1 text-amber-700 dark:text-amber-400">{status.nodes.unavailable} node(s) unavailable (names not reported).</p>
          )}
        </section>
      )}
    </div>
  );
}

function Row({ label, mono, children }: { label: string; mono?: boolean; children: ReactNode }) {
  return (
    <>
      <dt className={mutedText}>{label}</dt>
      <dd className={`min-w-0 break-words ${mono ? "font-mono" : ""}`}>{children}</dd>
    </>
  );
}

function streamText(relay: RelayStateView | undefined, now: number, client: boolean): string {
  switch (relay?.kind) {
    case undefined:
      return "not open";
    case "connecting":
      return "connecting…";
    case "live":
      return client ? `live since ${localDateTime(relay.since).slice(11)}` : "live";
    case "reconnecting":
      return client ? `reconnecting, ${retryText(relay.nextTryAt, relay.attempt, now)}` : "reconnecting";
    case "failed":
      return "failed, not retrying";
  }
}

/** NODE_CONNECTED → connected. */
function nodeStateText(state: string): string {
  return (state.startsWith("NODE_") ? state.slice(5) : state).toLowerCase().replaceAll("_", " ");
}
