// Explanations memoised per flow id, for one policy version: the explainer is pure, so a flow's
// answer only changes with the policies, and a new version gets a new cache. Bounded: the oldest
// entries go first. A flow the explainer refuses (bad input) is remembered as refused, not retried.

import type { Explanation } from "../policy/types";

export const DEFAULT_CACHE_CAPACITY = 50_000;

export class ExplanationCache {
  private readonly entries = new Map<string, Explanation | null>();

  /**
   * @param explain the explainer for one flow id; undefined when the flow is not at hand (nothing
   *   is remembered then); it may throw on bad input (remembered as refused).
   */
  constructor(
    private readonly explain: (id: string) => Explanation | undefined,
    readonly capacity = DEFAULT_CACHE_CAPACITY,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): Explanation | undefined {
    const hit = this.entries.get(id);
    if (hit !== undefined) return hit ?? undefined;
    let answer: Explanation | null;
    try {
      const e = this.explain(id);
      if (e === undefined) return undefined;
      answer = e;
    } catch {
      answer = null;
    }
    this.entries.set(id, answer);
    if (this.entries.size > this.capacity) {
      // Maps iterate in insertion order: drop the oldest tenth at once, not one per insert.
      let drop = Math.max(1, Math.floor(this.capacity / 10));
      for (const key of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(key);
      }
    }
    return answer ?? undefined;
  }

  /** Whether the id was asked before (answered or refused). */
  has(id: string): boolean {
    return this.entries.has(id);
  }
}
