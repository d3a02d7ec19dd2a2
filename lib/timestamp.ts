import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";

/** Nanoseconds since the Unix epoch, the one time unit the server uses internally. */
export type EpochNs = bigint;

const NS_PER_S = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

export function timestampToNs(ts: Timestamp | undefined): EpochNs {
  if (!ts) return 0n;
  return ts.seconds * NS_PER_S + BigInt(ts.nanos);
}

export function nsToTimestamp(ns: EpochNs): Timestamp {
  const seconds = ns / NS_PER_S;
  return create(TimestampSchema, { seconds, nanos: Number(ns - seconds * NS_PER_S) });
}

export function msToNs(ms: number): EpochNs {
  return BigInt(Math.trunc(ms)) * NS_PER_MS;
}

export function nsToMs(ns: EpochNs): number {
  return Number(ns / NS_PER_MS);
}

/** RFC 3339 with nanoseconds, as Hubble prints times. */
export function nsToRfc3339(ns: EpochNs): string {
  const ms = ns / NS_PER_MS;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  const frac = (ns % NS_PER_S).toString().padStart(9, "0");
  return `${base}.${frac}Z`;
}
