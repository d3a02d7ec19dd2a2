// Which drops a policy change explains: for each version of the policy set seen inside the window,
// the drops charged to a policy that version added or changed, before and after the change.
// "Since payments-egress changed at 10:02, 40 drops are charged to it (none before)" is the line
// that tells a reader the change is the cause. Pure; the attribution is the caller's (lib/drops).

import type { FlowRow } from "../flow-model";
import { isInvestigatedDrop } from "../drops/attribution";

/** One entry of GET /api/policies `history`. */
export interface PolicyChange {
  readonly version: number;
  readonly since: string;
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

export interface PolicyImpact {
  readonly key: string;
  readonly how: "added" | "changed";
  /** Drops in the window charged to this policy before and after the change. */
  readonly before: number;
  readonly after: number;
}

export interface ChangeImpact {
  readonly version: number;
  readonly since: string;
  readonly sinceMs: number;
  readonly removed: readonly string[];
  readonly policies: readonly PolicyImpact[];
  /** Drops after the change charged to a policy it added or changed. */
  readonly dropsAfter: number;
}

/** Of the drops after a change, those the version before it would have allowed: the change caused them. */
export interface CausedDrops {
  /** Drops after the change that were checked against the previous version (the newest `limit`). */
  readonly checked: number;
  readonly caused: number;
  /** Ids of the caused drops (at most 100), newest first. */
  readonly ids: readonly string[];
}

/**
 * `allowedBefore(row)`: does the policy version in force before the change allow this flow
 * (undefined: cannot tell)? Rows newest first; at most `limit` drops after `sinceMs` are checked.
 */
export function dropsCausedBy(sinceMs: number, rows: readonly FlowRow[], allowedBefore: (row: FlowRow) => boolean | undefined, limit = 2_000): CausedDrops {
  let checked = 0;
  let caused = 0;
  const ids: string[] = [];
  for (const row of rows) {
    if (checked >= limit) break;
    if (row.timeMs < sinceMs || !isInvestigatedDrop(row)) continue;
    const allowed = allowedBefore(row);
    if (allowed === undefined) continue;
    checked++;
    if (allowed) {
      caused++;
      if (ids.length < 100) ids.push(row.id);
    }
  }
  return { checked, caused, ids };
}

/**
 * Changes made inside [fromMs, toMs] (newest first), with the drops they explain. `keysOf` gives
 * the policy keys a drop is charged to. The first version a source reports is the initial load,
 * not a change, and is left out.
 */
export function changeImpacts(
  history: readonly PolicyChange[],
  rows: readonly FlowRow[],
  keysOf: (row: FlowRow) => readonly string[],
  window: { readonly fromMs: number; readonly toMs: number },
): ChangeImpact[] {
  const oldest = history.reduce((m, c) => Math.min(m, c.version), Infinity);
  const changes = history
    .filter((c) => c.version !== oldest)
    .map((c) => ({ c, sinceMs: Date.parse(c.since) }))
    .filter(({ sinceMs }) => Number.isFinite(sinceMs) && sinceMs >= window.fromMs && sinceMs <= window.toMs)
    .sort((a, b) => b.sinceMs - a.sinceMs);
  if (changes.length === 0) return [];

  const touched = new Set(changes.flatMap(({ c }) => [...c.added, ...c.changed]));
  // One pass over the drops: their times per touched policy.
  const times = new Map<string, number[]>();
  for (const row of rows) {
    if (!isInvestigatedDrop(row)) continue;
    for (const key of keysOf(row)) {
      if (!touched.has(key)) continue;
      let list = times.get(key);
      if (!list) times.set(key, (list = []));
      list.push(row.timeMs);
    }
  }

  return changes.map(({ c, sinceMs }) => {
    const policies: PolicyImpact[] = [...c.added.map((key) => ({ key, how: "added" as const })), ...c.changed.map((key) => ({ key, how: "changed" as const }))].map(
      ({ key, how }) => {
        const list = times.get(key) ?? [];
        const after = list.filter((t) => t >= sinceMs).length;
        return { key, how, before: list.length - after, after };
      },
    );
    return {
      version: c.version,
      since: c.since,
      sinceMs,
      removed: c.removed,
      policies,
      dropsAfter: policies.reduce((n, p) => n + p.after, 0),
    };
  });
}
