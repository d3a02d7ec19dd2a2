import "server-only";

// The keys a ClickHouse store wrote in the last seconds of flow time, per second, so that
// de-duplicating a live batch rarely asks the database. The relay's output is only roughly
// ordered: most flows of a batch are a little older than the newest stored, and asking ClickHouse
// about each of them (`key IN (…2,000 keys…)`) held the live recorder to ~2,200 flows/s
// (bench:history). A key is known for sure only when its time is after `completeAfterNs` (what was
// stored before this process opened the store is not here) and within the window kept.

/** Seconds of flow time remembered behind the newest key: the recorder's resume overlap (5 s) and the relay's disorder. */
export const RECENT_SECONDS = 15;
const SECOND_NS = 1_000_000_000n;

export class RecentKeys {
  private readonly bySecond = new Map<bigint, Set<string>>();
  private newestSecond: bigint | null = null;

  constructor(private readonly completeAfterNs: bigint | null) {}

  /** true: written; false: surely not written; undefined: not known here (ask the database). */
  has(key: string, timeNs: bigint): boolean | undefined {
    if (this.completeAfterNs !== null && timeNs <= this.completeAfterNs) return undefined;
    const second = timeNs / SECOND_NS;
    if (this.newestSecond === null || second <= this.newestSecond - BigInt(RECENT_SECONDS)) return undefined;
    return this.bySecond.get(second)?.has(key) ?? false;
  }

  add(key: string, timeNs: bigint): void {
    const second = timeNs / SECOND_NS;
    let keys = this.bySecond.get(second);
    if (!keys) this.bySecond.set(second, (keys = new Set()));
    keys.add(key);
    if (this.newestSecond === null || second > this.newestSecond) {
      this.newestSecond = second;
      for (const s of this.bySecond.keys()) if (s <= second - BigInt(RECENT_SECONDS)) this.bySecond.delete(s);
    }
  }
}
