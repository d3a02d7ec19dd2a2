// The Drops view's numbers: dropped and audited flows grouped by the policy they are charged to
// (lib/drops/attribution), by drop reason and by namespace pair, each with a count and counts
// over the window for a sparkline. Pure; the caller passes the attribution of each row.

import type { FlowEndpointView, FlowRow } from "../flow-model";
import { type PolicyId, policyKey } from "../policy/types";
import { namespaceOf } from "../service-map/ids";
import { type DropAttribution, isInvestigatedDrop, policyLongName, policyShortName } from "./attribution";
import { bucketIndex, DEFAULT_BUCKETS, type TimeWindowMs } from "./sparkline";

/** What a click on a group selects (lib/drops/selection turns it into a view). */
export type DropSelection =
  | { readonly kind: "policy"; readonly policy: string }
  | { readonly kind: "reason"; readonly reason: string }
  /** "" for a side without a namespace (world, host, …): no filter on that side. */
  | { readonly kind: "namespaces"; readonly from: string; readonly to: string };

export interface DropGroup {
  /** Unique within its grouping. */
  readonly key: string;
  readonly label: string;
  /** Longer text for a tooltip (the policy's kind, the sides' entities). */
  readonly title: string;
  readonly count: number;
  /** Dropped and audited, apart (an audit is a would-be drop; traffic flowed). */
  readonly dropped: number;
  readonly audited: number;
  /** Counts per bucket over the window, oldest first. */
  readonly buckets: readonly number[];
  /** Undefined when no filter can select the group (e.g. flows without a policy). */
  readonly select: DropSelection | undefined;
}

export interface DropGroups {
  /** Dropped + audited flows looked at. */
  readonly total: number;
  /** Of `total`, how many no policy could be charged with (not explained, not named by Hubble). */
  readonly unattributed: number;
  readonly byPolicy: readonly DropGroup[];
  readonly byReason: readonly DropGroup[];
  readonly byNamespacePair: readonly DropGroup[];
  readonly window: TimeWindowMs;
}

export interface GroupOptions {
  readonly buckets?: number;
  /** Groups kept per grouping (largest first); the rest are counted in the last "other" row. */
  readonly maxGroups?: number;
}

const NO_POLICY = "(no policy named)";

interface Acc {
  key: string;
  label: string;
  title: string;
  count: number;
  dropped: number;
  audited: number;
  buckets: number[];
  select: DropSelection | undefined;
}

export function groupDrops(rows: readonly FlowRow[], attribution: (row: FlowRow) => DropAttribution, window: TimeWindowMs, options: GroupOptions = {}): DropGroups {
  const n = options.buckets ?? DEFAULT_BUCKETS;
  function* entries(): Iterable<DropCount> {
    for (const row of rows) {
      if (isInvestigatedDrop(row)) yield { row, attribution: attribution(row), count: 1, bucket: bucketIndex(row.timeMs, window, n) };
    }
  }
  return groupDropCounts(entries(), window, options);
}

/** Drops of one kind: a representative row, what it is charged to, how many, and when (bucket). */
export interface DropCount {
  readonly row: FlowRow;
  readonly attribution: DropAttribution;
  readonly count: number;
  /** Sparkline bucket, 0 … buckets − 1. */
  readonly bucket: number;
}

/** `groupDrops` over counted drops (the server's windowed aggregation keeps counts, not rows). */
export function groupDropCounts(entries: Iterable<DropCount>, window: TimeWindowMs, options: GroupOptions = {}): DropGroups {
  const n = options.buckets ?? DEFAULT_BUCKETS;
  const max = options.maxGroups ?? 50;
  const byPolicy = new Map<string, Acc>();
  const byReason = new Map<string, Acc>();
  const byPair = new Map<string, Acc>();
  let total = 0;
  let unattributed = 0;
  for (const { row, attribution: a, count, bucket: b } of entries) {
    total += count;
    const audit = row.verdict === "AUDIT";
    if (a.policies.length === 0) {
      unattributed += count;
      bump(byPolicy, "", n, b, count, audit, () => ({ label: NO_POLICY, title: "Not explained by the loaded policies and not named by Hubble", select: undefined }));
    }
    for (const p of a.policies) bump(byPolicy, policyKey(p), n, b, count, audit, () => policyGroup(p, a.role));
    // L7 denials (HTTP 403, DNS REFUSED) are dropped without a drop reason.
    const reason = row.dropReason || (audit ? "(audit, no drop reason)" : "(no drop reason)");
    bump(byReason, reason, n, b, count, audit, () => ({
      label: reason,
      title: row.dropReason ? `Drop reason ${reason}` : "Hubble gave no drop reason (an L7 denial, for example)",
      select: row.dropReason ? { kind: "reason", reason: row.dropReason } : undefined,
    }));
    const from = side(row.source);
    const to = side(row.destination);
    bump(byPair, `${from.key} → ${to.key}`, n, b, count, audit, () => ({
      label: `${from.label} → ${to.label}`,
      title: `From ${from.title} to ${to.title}`,
      select: from.namespace || to.namespace ? { kind: "namespaces", from: from.namespace, to: to.namespace } : undefined,
    }));
  }
  return {
    total,
    unattributed,
    byPolicy: finish(byPolicy, max, n),
    byReason: finish(byReason, max, n),
    byNamespacePair: finish(byPair, max, n),
    window,
  };
}

/** What makes two drops count as one in every grouping (and on the map's edge annotations). */
export function dropCountKey(row: FlowRow, attribution: DropAttribution): string {
  const from = side(row.source).key;
  const to = side(row.destination).key;
  const policies = attribution.policies.map(policyKey).join("\u0001");
  return `${row.verdict}\u0000${row.dropReason}\u0000${from}\u0000${to}\u0000${attribution.role}\u0000${policies}`;
}

function policyGroup(p: PolicyId, role: DropAttribution["role"]): Pick<Acc, "label" | "title" | "select"> {
  const how = role === "isolating" ? "default deny (isolating policy)" : role === "decisive" ? "deciding rule" : "named by Hubble";
  return { label: policyShortName(p), title: `${policyLongName(p)} — ${how}`, select: { kind: "policy", policy: policyKey(p) } };
}

function side(ep: FlowEndpointView): { key: string; label: string; title: string; namespace: string } {
  const ns = namespaceOf(ep);
  if (ns) return { key: `ns:${ns}`, label: ns, title: `namespace ${ns}`, namespace: ns };
  const what = ep.entity ?? (ep.identity ? `identity ${ep.identity}` : "unknown");
  return { key: `x:${what}`, label: `(${what})`, title: what, namespace: "" };
}

function bump(map: Map<string, Acc>, key: string, n: number, bucket: number, count: number, audit: boolean, make: () => Pick<Acc, "label" | "title" | "select">): void {
  let acc = map.get(key);
  if (!acc) {
    acc = { key, count: 0, dropped: 0, audited: 0, buckets: new Array<number>(n).fill(0), ...make() };
    map.set(key, acc);
  }
  acc.count += count;
  if (audit) acc.audited += count;
  else acc.dropped += count;
  acc.buckets[bucket] += count;
}

/** Largest first (ties by label, so the order is stable); beyond `max`, one "other" row. */
function finish(map: Map<string, Acc>, max: number, n: number): DropGroup[] {
  const all = [...map.values()].sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  if (all.length <= max) return all;
  const kept = all.slice(0, max - 1);
  const rest = all.slice(max - 1);
  const other: Acc = {
    key: "\u0000other",
    label: `${rest.length} more`,
    title: "Smaller groups, together",
    count: 0,
    dropped: 0,
    audited: 0,
    buckets: new Array<number>(n).fill(0),
    select: undefined,
  };
  for (const r of rest) {
    other.count += r.count;
    other.dropped += r.dropped;
    other.audited += r.audited;
    for (let i = 0; i < n; i++) other.buckets[i] += r.buckets[i];
  }
  return [...kept, other];
}
