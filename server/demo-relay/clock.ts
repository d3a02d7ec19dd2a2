import "server-only";

import type { EpochNs } from "@/lib/timestamp";

/** Wall-clock time in nanoseconds with sub-millisecond resolution, monotonic within a process. */
export function createClock(): () => EpochNs {
  const wallAtStart = BigInt(Date.now()) * 1_000_000n;
  const hrAtStart = process.hrtime.bigint();
  return () => wallAtStart + (process.hrtime.bigint() - hrAtStart);
}
