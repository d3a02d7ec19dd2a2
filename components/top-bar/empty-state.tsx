"use client";

import { formatFilterEntry } from "@/lib/filter-model";
import type { RelayStateView } from "@/lib/sse";
import { parseHubbleTime } from "@/lib/time";
import { timeWindowOf, type ViewState } from "@/lib/view-state";
import { approxDuration, flowsPerSecond } from "./format";
import { useIsClient } from "./hooks";
import { type RelayStatusView, useRelayStatus } from "./queries";
import { mutedText } from "./ui";

export interface EmptyStateProps {
  readonly relay: RelayStateView | undefined;
  /** GET /api/status; when left out, read here through `useRelayStatus()` (same cached query as the status indicator). */
  readonly status?: RelayStatusView | undefined;
  readonly view: ViewState;
  /** Rows held before the map focus (node/edge) is applied: > 0 means the focus hides them all. */
  readonly rowsTotalBeforeFocus: number;
  /** Whether any flow so far carried an L7 record. */
  readonly l7Seen: boolean;
}

export type EmptyReason =
  | { readonly kind: "unreachable"; readonly address: string | undefined; readonly error: string | undefined; readonly retrying: boolean }
  | { readonly kind: "no-nodes"; readonly address: string; readonly unavailable: readonly string[] }
  | { readonly kind: "connecting"; readonly address: string | undefined }
  | { readonly kind: "focus"; readonly what: "node" | "edge"; readonly held: number }
  | { readonly kind: "filtered"; readonly lines: readonly { readonly label: string; readonly items: readonly string[] }[] }
  | { readonly kind: "waiting"; readonly address: string | undefined; readonly rate: number | undefined };

/** Why nothing shows, most fundamental cause first. Pure. */
export function emptyReason({ relay, status, view, rowsTotalBeforeFocus }: Omit<EmptyStateProps, "l7Seen">): EmptyReason {
  const address = relay?.address ?? status?.relay.address;
  if (relay?.kind === "failed") return { kind: "unreachable", address, error: relay.reason, retrying: false };
  if (relay?.kind === "reconnecting") return { kind: "unreachable", address, error: relay.lastError, retrying: true };
  if (status && !status.relay.reachable && relay?.kind !== "live") {
    return { kind: "unreachable", address, error: status.relay.error?.message, retrying: true };
  }
  if (status?.relay.reachable && status.nodes.connected === 0) {
    return { kind: "no-nodes", address: status.relay.address, unavailable: status.nodes.unavailableNames };
  }
  if (relay?.kind === "connecting" || (!relay && !status)) return { kind: "connecting", address };
  if (rowsTotalBeforeFocus > 0 && (view.node || view.edge)) return { kind: "focus", what: view.edge ? "edge" : "node", held: rowsTotalBeforeFocus };
  const lines = activeQueryLines(view);
  if (lines.length > 0 || rowsTotalBeforeFocus > 0) return { kind: "filtered", lines };
  return { kind: "waiting", address, rate: status?.relay.reachable ? status.flows.rate : undefined };
}

/** The active namespaces, verdicts, filters and time window, as text. */
export function activeQueryLines(view: ViewState): { label: string; items: string[] }[] {
  const q = view.query;
  const lines: { label: string; items: string[] }[] = [];
  if (q.namespaces.length > 0) lines.push({ label: "Namespaces", items: [...q.namespaces] });
  if (q.verdicts.length > 0) lines.push({ label: "Verdicts", items: [...q.verdicts] });
  if (q.filters.length > 0) lines.push({ label: "Filters", items: q.filters.map(formatFilterEntry) });
  const w = timeWindowOf(q);
  if (w.kind === "relative") lines.push({ label: "Time window", items: [`last ${w.since}`] });
  if (w.kind === "absolute") lines.push({ label: "Time window", items: [`${w.since || "start of the buffers"} to ${w.until ?? "now"}`] });
  return lines;
}

/** Explains an empty flow view: relay unreachable, no nodes, filters that exclude everything, or waiting; plus the L7 hint. */
export function EmptyState(given: EmptyStateProps) {
  const statusQuery = useRelayStatus();
  const props = { ...given, status: given.status ?? statusQuery.data };
  const reason = emptyReason(props);
  const client = useIsClient();
  const beyondBuffers = client ? windowBeyondBuffers(props.view, props.status) : undefined;
  return (
    <section aria-label="No flows" className="mx-auto flex max-w-2xl flex-col gap-2 p-6 text-sm text-slate-700 dark:text-slate-300">
      <Reason reason={reason} />
      {reason.kind === "filtered" && beyondBuffers && (
        <p className="text-amber-800 dark:text-amber-300">
          {props.status?.history?.reachesBack
            ? `The window starts before the oldest flow kept in the flow history (${approxDuration(beyondBuffers)} back): older flows are gone.`
            : `The window starts before the oldest flow the relay still holds (${approxDuration(beyondBuffers)} back): older flows are gone from its buffers.`}
        </p>
      )}
      {!props.l7Seen && reason.kind !== "unreachable" && reason.kind !== "no-nodes" && (
        <p className={`border-t border-slate-200 pt-2 text-xs dark:border-slate-800 ${mutedText}`}>
          No L7 records seen: no L7 visibility configured, so the L7 columns (HTTP, DNS, Kafka) stay empty unless a policy with L7 rules or visibility applies.
        </p>
      )}
    </section>
  );
}

function Reason({ reason }: { reason: EmptyReason }) {
  const title = "text-base font-semibold text-slate-900 dark:text-slate-100";
  switch (reason.kind) {
    case "unreachable":
      return (
        <>
          <h2 className={title}>Hubble Relay is not reachable</h2>
          <p>
            Tried <span className="font-mono">{reason.address ?? "the configured address"}</span>
            {reason.error ? (
              <>
                : <span className="break-words font-mono">{reason.error}</span>
              </>
            ) : null}
            . {reason.retrying ? "Hubble Lens keeps retrying." : "Hubble Lens stopped retrying; reload to try again."}
          </p>
          <p className={mutedText}>
            Check that hubble-relay runs and that <span className="font-mono">HUBBLE_RELAY_ADDR</span> points at it (for a local port-forward:{" "}
            <span className="font-mono">cilium hubble port-forward</span>, then <span className="font-mono">localhost:4245</span>).
          </p>
        </>
      );
    case "no-nodes":
      return (
        <>
          <h2 className={title}>No Hubble nodes connected</h2>
          <p>
            The relay at <span className="font-mono">{reason.address}</span> answers but has no Cilium agent to read flows from.
          </p>
          {reason.unavailable.length > 0 && (
            <p>
              Unavailable: <span className="font-mono">{reason.unavailable.join(", ")}</span>
            </p>
          )}
          <p className={mutedText}>Hubble must be enabled on the agents (Helm value hubble.enabled=true) and reachable from the relay.</p>
        </>
      );
    case "connecting":
      return (
        <>
          <h2 className={title}>Connecting to Hubble Relay…</h2>
          {reason.address && (
            <p>
              Address <span className="font-mono">{reason.address}</span>
            </p>
          )}
        </>
      );
    case "focus":
      return (
        <>
          <h2 className={title}>Nothing for the selected {reason.what}</h2>
          <p>
            {reason.held.toLocaleString("en-US")} flows are in view, but none involve the selected {reason.what}. Clear the selection on the map (Esc) to see them.
          </p>
        </>
      );
    case "filtered":
      return (
        <>
          <h2 className={title}>No flows match</h2>
          {reason.lines.length > 0 ? (
            <>
              <p>The relay is connected, but these settings exclude every flow it sent:</p>
              <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
                {reason.lines.map((l) => (
                  <div key={l.label} className="contents">
                    <dt className={mutedText}>{l.label}</dt>
                    <dd className="break-words font-mono">{l.items.join(", ")}</dd>
                  </div>
                ))}
              </dl>
              <p className={mutedText}>Remove a filter, pick more namespaces or verdicts, or widen the time window.</p>
            </>
          ) : (
            <p>The relay is connected, but nothing in view matches.</p>
          )}
        </>
      );
    case "waiting":
      return (
        <>
          <h2 className={title}>Waiting for flows</h2>
          <p>
            Connected
            {reason.address ? (
              <>
                {" "}
                to <span className="font-mono">{reason.address}</span>
              </>
            ) : null}
            ; no flows have arrived yet.
          </p>
          {reason.rate !== undefined && (
            <p className={mutedText}>
              The relay reports {flowsPerSecond(reason.rate)} flows/s{reason.rate === 0 ? ": is anything in the cluster talking?" : "."}
            </p>
          )}
        </>
      );
  }
}

/** Seconds the relay's buffers (or the flow history) reach back, when the view's window starts earlier than that. */
function windowBeyondBuffers(view: ViewState, status: RelayStatusView | undefined): number | undefined {
  const since = view.query.since;
  const history = status?.history?.reachesBack;
  const oldest = history ?? status?.flows.oldestFlowTime;
  if (!since || !oldest || (!history && status?.flows.bufferAgeSeconds === undefined)) return undefined;
  try {
    const start = parseHubbleTime(since, new Date()).getTime();
    return start < Date.parse(oldest) ? Math.max(0, (Date.now() - Date.parse(oldest)) / 1000) : undefined;
  } catch {
    return undefined;
  }
}
