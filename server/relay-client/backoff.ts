import "server-only";

// Exponential backoff with "full jitter": the delay before retry n is uniform in
// [0, min(cap, base * 2^(n-1))). Spreading retries over the whole interval keeps many
// dashboards from reconnecting to a restarted relay in lockstep.

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/** The upper bound of the delay before retry `attempt` (1-based). */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30)); // 2^30 already dwarfs any cap
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/** The delay before retry `attempt` (1-based); `random` returns values in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt, policy));
}

/** Resolves after `ms`, or as soon as `signal` aborts; never rejects, leaves no timer behind. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
