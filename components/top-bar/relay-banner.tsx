"use client";

import { useState } from "react";
import type { RelayStateView } from "@/lib/sse";
import { localDateTime, secondsUntil } from "./format";
import { useIsClient, useNow } from "./hooks";

export interface RelayBannerProps {
  readonly relay: RelayStateView | undefined;
}

/**
 * Shown while the relay is lost (reconnecting) or given up on (failed): the address, the last
 * error, the retry countdown, and that the view keeps what it had. Once the stream is back after a
 * break: how long the relay could not be followed, and that flows from then may be missing (until
 * dismissed). Nothing otherwise.
 */
export function RelayBanner({ relay }: RelayBannerProps) {
  const reconnecting = relay?.kind === "reconnecting";
  const now = useNow(reconnecting);
  const client = useIsClient();
  const [dismissed, setDismissed] = useState<string>();
  if (relay?.kind === "live" && relay.outage && dismissed !== relay.outage.from) {
    const { from, to, seconds } = relay.outage;
    return (
      <div
        role="status"
        data-testid="relay-outage"
        className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5 border-b border-amber-300 bg-amber-50 px-3 py-1.5 text-xs text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
      >
        <strong className="font-semibold">Hubble Relay is back.</strong>
        <span>
          It could not be followed for {seconds.toLocaleString("en-US", { maximumFractionDigits: 1 })} s
          {client ? ` (${localDateTime(from).slice(11)} to ${localDateTime(to).slice(11)})` : ""}: flows from that time may be missing from this view.
        </span>
        <button type="button" onClick={() => setDismissed(from)} className="ml-auto rounded px-1.5 underline" aria-label="Dismiss the relay outage notice">
          Dismiss
        </button>
      </div>
    );
  }
  if (relay?.kind !== "reconnecting" && relay?.kind !== "failed") return null;

  const failed = relay.kind === "failed";
  return (
    <div
      role="alert"
      className={`flex flex-wrap items-baseline gap-x-2 gap-y-0.5 border-b px-3 py-1.5 text-xs ${
        failed
          ? "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
          : "border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
      }`}
    >
      <strong className="font-semibold">{failed ? "Hubble Relay unreachable, stopped retrying." : "Lost the connection to Hubble Relay."}</strong>
      <span>
        Address <span className="font-mono">{relay.address}</span>
      </span>
      <span className="min-w-0 break-words">
        {failed ? "Reason: " : "Last error: "}
        <span className="font-mono">{failed ? relay.reason : relay.lastError}</span>
      </span>
      {relay.kind === "reconnecting" && (
        <span>
          {/* The ticking countdown is hidden from screen readers (an alert would repeat it every second); they get the time. */}
          <span aria-hidden="true">
            {client ? (secondsUntil(relay.nextTryAt, now) > 0 ? `Retrying in ${secondsUntil(relay.nextTryAt, now)} s` : "Retrying now") : "Retrying"} (attempt {relay.attempt}).
          </span>
          <span className="sr-only">
            Attempt {relay.attempt}, next try at {client ? localDateTime(relay.nextTryAt).slice(11) : relay.nextTryAt}.
          </span>
        </span>
      )}
      <span>
        {failed ? "The view keeps the flows it already had; reload the page to try again." : "The view keeps the flows it already had; new flows resume when the relay is back."}
      </span>
    </div>
  );
}
