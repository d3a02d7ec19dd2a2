// Small text formatters shared by the top bar, the banner and the empty state. Pure.

/** "~45 s", "~2 min", "~3 h", "~2 d": how far back something reaches, roughly. */
export function approxDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 90) return `~${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `~${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `~${Math.round(seconds / 3600)} h`;
  return `~${Math.round(seconds / 86400)} d`;
}

/** Flows per second, one decimal below 10. */
export function flowsPerSecond(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return "0";
  return rate < 10 ? rate.toFixed(1) : Math.round(rate).toLocaleString("en-US");
}

/** Whole seconds from `nowMs` until an RFC 3339 time; 0 when it has passed or cannot be read. */
export function secondsUntil(iso: string, nowMs: number): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.max(0, Math.ceil((t - nowMs) / 1000)) : 0;
}

/** "retrying in 4 s, attempt 3" (or "retrying now, …" once the time has come). */
export function retryText(nextTryAt: string, attempt: number, nowMs: number): string {
  const s = secondsUntil(nextTryAt, nowMs);
  return `${s > 0 ? `retrying in ${s} s` : "retrying now"}, attempt ${attempt}`;
}

/** Local date and time to the second, for absolute times in panels. */
export function localDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `<input type="datetime-local">` value for an RFC 3339 time, in local time; "" when unreadable. */
export function toDateTimeLocal(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A `datetime-local` value (local time) as RFC 3339 UTC, without milliseconds; undefined when empty or invalid. */
export function fromDateTimeLocal(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value); // a date-time without offset is local time
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.000Z$/, "Z");
}
