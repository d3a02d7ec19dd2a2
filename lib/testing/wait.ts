// Test-only: the one polling helper every test waits with, instead of a fixed sleep.

/**
 * Polls `cond` (every `everyMs`) until it holds; fails after `timeoutMs` with `what` in the
 * message. `cond` may be async (a store read); it is awaited before the next poll. Callers pick a
 * timeout for the worst case on a loaded machine: the wait ends as soon as the condition holds, so
 * a generous one costs nothing when things go well.
 */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
