import "server-only";

import type { Flow } from "@/proto/gen/flow/flow_pb";
import type { EpochNs } from "@/lib/timestamp";
import type { NodeAgent, RingEntry } from "./cluster";

/** What one agent needs to know of a GetFlows request, already validated. */
export interface AgentQuery {
  readonly number: bigint;
  readonly first: boolean;
  readonly follow: boolean;
  readonly sinceNs?: EpochNs;
  readonly untilNs?: EpochNs;
  readonly matches: (flow: Flow) => boolean;
}

/** Where one node's part of a stream stands: the next sequence to read, or ended. */
export interface NodeCursor {
  readonly node: NodeAgent;
  seq: number;
  ended: boolean;
  /** Flows sent so far, counted against `number` outside follow mode. */
  sent: bigint;
}

/**
 * Where the agent starts reading its ring for a request (Hubble's LocalObserverServer semantics):
 * `since` wins; else `first` starts at the oldest entry; else the last `number` *matching* flows
 * (counted while rewinding, lost events not counted); else follow starts at the write position;
 * else the whole ring.
 */
export function startSeq(node: NodeAgent, q: AgentQuery, endSeq: number): number {
  const ring = node.ring;
  const oldest = ring.oldestSeq;
  if (q.sinceNs !== undefined) {
    let seq = endSeq;
    while (seq > oldest) {
      const e = ring.at(seq - 1)!;
      if (!e.isLost && e.timeNs < q.sinceNs) break;
      seq--;
    }
    return seq;
  }
  if (q.first) return oldest;
  if (q.number > 0n) {
    let seq = endSeq;
    let counted = 0n;
    while (seq > oldest && counted < q.number) {
      const e = ring.at(seq - 1)!;
      if (!e.isLost && q.matches(flowOf(e)!)) counted++;
      seq--;
    }
    return seq;
  }
  return q.follow ? endSeq : oldest;
}

/**
 * Reads the cursor forward up to `endSeq` (or `limit` entries), appending what the agent would send.
 * Lost events bypass filters and the time range and are not counted; the first flow after `until`
 * ends the node's stream; outside follow mode the node stops after `number` flows.
 */
export function readForward(cursor: NodeCursor, q: AgentQuery, endSeq: number, out: RingEntry[], limit = Infinity): void {
  const ring = cursor.node.ring;
  let taken = 0;
  while (!cursor.ended && cursor.seq < endSeq && taken < limit) {
    const e = ring.at(cursor.seq);
    cursor.seq++;
    if (!e) continue;
    taken++;
    if (e.isLost) {
      out.push(e);
      continue;
    }
    if (q.untilNs !== undefined && e.timeNs > q.untilNs) {
      cursor.ended = true;
      break;
    }
    if (q.sinceNs !== undefined && e.timeNs < q.sinceNs) continue;
    if (!q.matches(flowOf(e)!)) continue;
    out.push(e);
    cursor.sent++;
    if (!q.follow && q.number > 0n && cursor.sent >= q.number) cursor.ended = true;
  }
}

export function flowOf(e: RingEntry): Flow | undefined {
  return e.response.responseTypes.case === "flow" ? e.response.responseTypes.value : undefined;
}

/** Oldest first; stable, so one node's entries keep their ring order on equal times. */
export function byTime(a: RingEntry, b: RingEntry): number {
  return a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0;
}
