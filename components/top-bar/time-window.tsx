"use client";

import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { RELATIVE_WINDOWS, timeWindowOf } from "@/lib/view-state";
import { fromDateTimeLocal, localDateTime, toDateTimeLocal } from "./format";
import { useIsClient, usePopover } from "./hooks";
import { buttonClass, inputClass, mutedText, popoverClass, segmentGroupClass, toggleClass } from "./ui";

export interface TimeWindowProps {
  /** `query.since` / `query.until` of the view. */
  readonly since: string | undefined;
  readonly until: string | undefined;
  /** Both values, undefined to leave them out (live). */
  readonly onWindowChange: (since: string | undefined, until: string | undefined) => void;
  readonly paused: boolean;
  readonly onPauseChange: (paused: boolean) => void;
}

const RELATIVE_TITLES: Record<string, string> = { "5m": "Last 5 minutes", "15m": "Last 15 minutes", "1h": "Last hour" };

/** Live, last 5 m / 15 m / 1 h, or a custom since–until; and pause/resume of the live stream. */
export function TimeWindow({ since, until, onWindowChange, paused, onPauseChange }: TimeWindowProps) {
  const tw = timeWindowOf({ namespaces: [], verdicts: [], filters: [], since, until });
  const relative = tw.kind === "relative" ? tw.since : undefined;
  const offered = (RELATIVE_WINDOWS as readonly string[]).includes(relative ?? "");

  return (
    // `relative` here, not in the group: the group clips its children (rounded corners), the popover must not be.
    <div className="relative inline-flex items-center gap-1">
      <div role="group" aria-label="Time window" className={segmentGroupClass}>
        <button
          type="button"
          className={toggleClass}
          aria-pressed={tw.kind === "live"}
          title="Follow new flows as they arrive"
          onClick={() => onWindowChange(undefined, undefined)}
        >
          Live
        </button>
        {RELATIVE_WINDOWS.map((w) => (
          <button key={w} type="button" className={toggleClass} aria-pressed={relative === w} title={RELATIVE_TITLES[w]} onClick={() => onWindowChange(w, undefined)}>
            {w}
          </button>
        ))}
        {relative !== undefined && !offered && (
          <button type="button" className={toggleClass} aria-pressed="true" title={`Last ${relative}`}>
            {relative}
          </button>
        )}
        <CustomWindow since={since} until={until} active={tw.kind === "absolute"} onApply={onWindowChange} />
      </div>
      <button
        type="button"
        className={`${buttonClass} aria-pressed:border-amber-500 aria-pressed:bg-amber-100 aria-pressed:text-amber-900 dark:aria-pressed:bg-amber-900 dark:aria-pressed:text-amber-100`}
        aria-pressed={paused}
        title={paused ? "Resume the live stream (Space)" : "Pause the live stream: the view stops changing, flows keep arriving (Space)"}
        onClick={() => onPauseChange(!paused)}
      >
        <span aria-hidden="true">{paused ? "▶" : "❚❚"}</span>
        {paused ? "Resume" : "Pause"}
      </button>
    </div>
  );
}

function CustomWindow({
  since,
  until,
  active,
  onApply,
}: {
  since: string | undefined;
  until: string | undefined;
  active: boolean;
  onApply: (since: string | undefined, until: string | undefined) => void;
}) {
  const pop = usePopover();
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [error, setError] = useState<string>();
  const fromRef = useRef<HTMLInputElement>(null);
  const id = useId();

  const client = useIsClient();

  useEffect(() => {
    if (pop.open) fromRef.current?.focus();
  }, [pop.open]);

  const openForm = () => {
    // Start from the current absolute window, else the last hour.
    const now = Date.now();
    setFrom(active ? toDateTimeLocal(since) : toDateTimeLocal(new Date(now - 3600_000).toISOString()));
    setTo(active ? toDateTimeLocal(until) : toDateTimeLocal(new Date(now).toISOString()));
    setError(undefined);
    pop.setOpen(true);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const s = fromDateTimeLocal(from);
    const u = to ? fromDateTimeLocal(to) : undefined;
    if (!s) return setError("Choose when the window starts.");
    if (to && !u) return setError("The end time is not a valid date and time.");
    if (Date.parse(s) > Date.now()) return setError("The start lies in the future.");
    if (u && Date.parse(u) <= Date.parse(s)) return setError("The end must come after the start.");
    onApply(s, u);
    pop.close();
  };

  // Local times differ between the server and the browser: only the browser writes them.
  const label = active && since && client ? `${shortTime(since)} → ${until ? shortTime(until) : "now"}` : "Custom";
  return (
    <div className="inline-flex" {...pop.rootProps}>
      <button
        ref={pop.triggerRef}
        type="button"
        className={toggleClass}
        aria-pressed={active}
        aria-haspopup="dialog"
        aria-expanded={pop.open}
        title={active && since && client ? `${localDateTime(since)} to ${until ? localDateTime(until) : "now"} (local time)` : "Choose a since–until window"}
        onClick={() => (pop.open ? pop.close() : openForm())}
      >
        {label}
      </button>
      {pop.open && (
        <div role="dialog" aria-label="Custom time window" className={`${popoverClass} left-0 top-full w-72 p-3`}>
          <form onSubmit={submit} className="flex flex-col gap-2" noValidate>
            <label className="flex flex-col gap-0.5" htmlFor={`${id}-since`}>
              <span>Since (local time)</span>
              <input ref={fromRef} id={`${id}-since`} type="datetime-local" step={1} className={inputClass} value={from} required onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label className="flex flex-col gap-0.5" htmlFor={`${id}-until`}>
              <span>
                Until <span className={mutedText}>(empty: up to now, then follow)</span>
              </span>
              <input id={`${id}-until`} type="datetime-local" step={1} className={inputClass} value={to} onChange={(e) => setTo(e.target.value)} />
            </label>
            {error && (
              <p role="alert" className="text-red-700 dark:text-red-400">
                {error}
              </p>
            )}
            <p className={mutedText}>The relay only returns flows its buffers still hold.</p>
            <div className="flex justify-end gap-2">
              <button type="button" className={buttonClass} onClick={() => pop.close()}>
                Cancel
              </button>
              <button type="submit" className={`${buttonClass} border-sky-600 bg-sky-600 text-white hover:bg-sky-700 dark:border-sky-500 dark:bg-sky-600 dark:text-white`}>
                Apply
              </button>
            </div>
          </form>
        </div>
      )}
    </div>
  );
}

/** "12:04" today, "05-01 12:04" on another day (local time). */
function shortTime(iso: string): string {
  const full = localDateTime(iso);
  if (full === iso) return iso;
  const today = localDateTime(new Date().toISOString()).slice(0, 10);
  return full.slice(0, 10) === today ? full.slice(11, 16) : full.slice(5, 16);
}
