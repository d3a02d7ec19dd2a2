// Parses `since` / `until` values the way the hubble CLI does (hubble/pkg/time.FromString):
// first as a Go duration counted back from "now" (`5m`, `1h30m`, `1.5h`, `-10s` is in the future),
// then as one of the absolute layouts the CLI lists:
//   2006-01-02                      (YearMonthDay, UTC midnight)
//   2006-01-02T15Z07:00             (YearMonthDayHour)
//   2006-01-02T15:04Z07:00          (YearMonthDayHourMinute)
//   2006-01-02T15:04:05[.fraction]Z07:00   (RFC 3339, 0–9 fractional digits)
//   Mon, 02 Jan 2006 15:04:05 -0700 (RFC 1123Z)
// "Now" is always a parameter: nothing here reads the clock.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";

export class TimeSyntaxError extends Error {
  readonly input: string;
  readonly detail: string | undefined;
  constructor(input: string, detail?: string) {
    super(
      `invalid time ${JSON.stringify(input)}${detail ? ` (${detail})` : ""}: expected a duration back from now ` +
        `such as 5m, 1h30m, 90s or 2h (units h, m, s, ms, us, ns) or an absolute time such as ` +
        `2024-05-01T12:00:00Z, 2024-05-01T12:00:00.123+02:00, 2024-05-01, 2024-05-01T12Z or 2024-05-01T12:00Z`,
    );
    this.name = "TimeSyntaxError";
    this.input = input;
    this.detail = detail;
  }
}

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_DURATION_NS = (1n << 63n) - 1n; // Go's time.Duration is an int64 of nanoseconds

/**
 * Go's `time.ParseDuration`: `[-+]?(\d*(\.\d*)?unit)+` or a bare `0`. Returns nanoseconds.
 * Throws TimeSyntaxError for anything else, including values that overflow an int64.
 */
export function parseGoDuration(input: string): bigint {
  let s = input;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new TimeSyntaxError(input);
  let totalNs = 0n;
  const part = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;
  while (s !== "") {
    const m = part.exec(s);
    if (!m || (m[1] === "" && (m[2] === undefined || m[2] === ""))) throw new TimeSyntaxError(input);
    const unitNs = NS_PER_UNIT[m[3]];
    if (unitNs === undefined) throw new TimeSyntaxError(input, `unknown unit ${JSON.stringify(m[3])}`);
    const whole = BigInt(m[1] === "" ? "0" : m[1]);
    let ns = whole * unitNs;
    const frac = m[2] ?? "";
    if (frac !== "") {
      // Go keeps the fraction exactly up to the unit's nanosecond resolution, then truncates.
      ns += (BigInt(frac) * unitNs) / 10n ** BigInt(frac.length);
    }
    totalNs += ns;
    if (totalNs > MAX_DURATION_NS) throw new TimeSyntaxError(input, "duration out of range");
    s = s.slice(m[0].length);
  }
  return negative ? -totalNs : totalNs;
}

const OFFSET = "(Z|[+-]\\d{2}:\\d{2})";
const LAYOUTS: { re: RegExp; kind: "date" | "hour" | "minute" | "rfc3339" }[] = [
  { re: /^(\d{4})-(\d{2})-(\d{2})$/, kind: "date" },
  { re: new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2})${OFFSET}$`), kind: "hour" },
  { re: new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})${OFFSET}$`), kind: "minute" },
  { re: new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?${OFFSET}$`), kind: "rfc3339" },
];
const RFC1123Z = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  offsetMinutes: number;
}

function parseOffset(text: string): number | undefined {
  if (text === "Z") return 0;
  const sign = text[0] === "-" ? -1 : 1;
  const hh = Number(text.slice(1, 3));
  const mm = Number(text.slice(4, 6));
  if (hh > 23 || mm > 59) return undefined;
  return sign * (hh * 60 + mm);
}

function matchAbsolute(input: string): Parts | undefined {
  for (const { re, kind } of LAYOUTS) {
    const m = re.exec(input);
    if (!m) continue;
    const n = (i: number) => Number(m[i]);
    const offsetText = kind === "date" ? "Z" : m[kind === "hour" ? 5 : kind === "minute" ? 6 : 8];
    const offsetMinutes = parseOffset(offsetText);
    if (offsetMinutes === undefined) return undefined;
    return {
      year: n(1),
      month: n(2),
      day: n(3),
      hour: kind === "date" ? 0 : n(4),
      minute: kind === "date" || kind === "hour" ? 0 : n(5),
      second: kind === "rfc3339" ? n(6) : 0,
      nanos: kind === "rfc3339" && m[7] ? Number(m[7].padEnd(9, "0")) : 0,
      offsetMinutes,
    };
  }
  const r = RFC1123Z.exec(input);
  if (r) {
    const hh = Number(r[9]);
    const mm = Number(r[10]);
    if (hh > 23 || mm > 59) return undefined;
    return {
      year: Number(r[4]),
      month: MONTHS.indexOf(r[3]) + 1,
      day: Number(r[2]),
      hour: Number(r[5]),
      minute: Number(r[6]),
      second: Number(r[7]),
      nanos: 0,
      offsetMinutes: (r[8] === "-" ? -1 : 1) * (hh * 60 + mm),
    };
  }
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0); // day 0 of the next month = last day of this month
  return d.getUTCDate();
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z
const MIN_TS_SECONDS = -62135596800n;
const MAX_TS_SECONDS = 253402300799n;

/** Epoch nanoseconds of an absolute time, or undefined if `input` is not one of the accepted layouts. */
function absoluteEpochNs(input: string): bigint | undefined {
  const p = matchAbsolute(input);
  if (!p) return undefined;
  if (p.month < 1 || p.month > 12) throw new TimeSyntaxError(input, "month out of range");
  if (p.day < 1 || p.day > daysInMonth(p.year, p.month)) throw new TimeSyntaxError(input, "day out of range");
  if (p.hour > 23 || p.minute > 59 || p.second > 59) throw new TimeSyntaxError(input, "time of day out of range");
  const d = new Date(0);
  d.setUTCFullYear(p.year, p.month - 1, p.day);
  d.setUTCHours(p.hour, p.minute, p.second, 0);
  const ms = BigInt(d.getTime()) - BigInt(p.offsetMinutes) * 60_000n;
  return ms * NS_PER_MS + BigInt(p.nanos);
}

function epochNs(input: string, now: Date): bigint {
  const trimmed = input.trim();
  if (trimmed === "") throw new TimeSyntaxError(input, "empty");
  const nowNs = BigInt(now.getTime()) * NS_PER_MS;
  // Like the CLI: a duration first, then the absolute layouts.
  let durationError: TimeSyntaxError | undefined;
  try {
    return nowNs - parseGoDuration(trimmed);
  } catch (e) {
    if (!(e instanceof TimeSyntaxError)) throw e;
    durationError = e;
  }
  const abs = absoluteEpochNs(trimmed);
  if (abs !== undefined) return abs;
  // Keep a specific duration complaint ("unknown unit", "out of range") when the input looked like one.
  if (/^[-+]?[\d.]/.test(trimmed) && !/^\d{4}-/.test(trimmed)) throw new TimeSyntaxError(input, durationError.detail);
  throw new TimeSyntaxError(input);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * Resolves a `since`/`until` value to a protobuf Timestamp, keeping nanoseconds of RFC 3339 input.
 * Relative durations count back from `now` (a negative duration lies in the future).
 */
export function parseHubbleTimestamp(input: string, now: Date): Timestamp {
  const ns = epochNs(input, now);
  const seconds = floorDiv(ns, NS_PER_S);
  if (seconds < MIN_TS_SECONDS || seconds > MAX_TS_SECONDS) throw new TimeSyntaxError(input, "outside years 0001–9999");
  return create(TimestampSchema, { seconds, nanos: Number(ns - seconds * NS_PER_S) });
}

/** Like parseHubbleTimestamp, as a Date (millisecond precision, sub-millisecond part truncated). */
export function parseHubbleTime(input: string, now: Date): Date {
  const ts = parseHubbleTimestamp(input, now);
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000));
}

/** True for values that depend on "now" (durations): they must be resolved again for every request. */
export function isRelativeTime(input: string): boolean {
  try {
    parseGoDuration(input.trim());
    return true;
  } catch {
    return false;
  }
}
