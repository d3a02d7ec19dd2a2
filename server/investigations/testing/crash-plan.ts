import "server-only";

/** Flows in the crash test's investigation `seed`: 1,000 to 10,000, so saves take varying time. */
export function crashFlowCount(seed: number): number {
  return 1_000 + ((seed * 7_919) % 9_000);
}
