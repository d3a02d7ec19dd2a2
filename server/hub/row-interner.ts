import "server-only";

import type { FlowEndpointView, FlowL7View, FlowRow, PolicyRef } from "@/lib/flow-model";

/** Distinct strings and lists an interner holds before it starts over. */
const DEFAULT_MAX_ENTRIES = 100_000;
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Copies of flow rows that share their strings and string lists with earlier copies.
 *
 * A view's aggregation (./aggregation.ts) keeps one representative row per kind of flow in its
 * window (one map signature: at 20,000 flows/s of a 300-workload cluster, tens of thousands). Each
 * row decoded from the wire has its own copy of every string: a workload's seven labels, its
 * namespace, pod and node names (the wire reader's name cache, server/grpc/wire-text.ts, makes
 * decoding them cheap, but it holds 4,096 names of at most 64 bytes and no lists, so it does not
 * make the rows share them). Kinds mostly differ in a port, a verdict or an L7 detail, not in
 * their endpoints' names and labels, so the copy this makes shares them: a row then costs its own
 * objects and its two unique strings (uuid, time), not a few kilobytes. Only a new kind of flow is
 * copied, never each flow.
 *
 * The copy is a new object, equal to the row field by field. Bounded: past `maxEntries` distinct
 * strings and lists it forgets them all and starts over (rows copied before keep what they share).
 */
export class RowInterner {
  private strings = new Map<string, string>();
  private lists = new Map<string, readonly string[]>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** Distinct strings and lists held now. */
  get size(): number {
    return this.strings.size + this.lists.size;
  }

  string(s: string): string {
    if (s === "") return s;
    const held = this.strings.get(s);
    if (held !== undefined) return held;
    this.room();
    this.strings.set(s, s);
    return s;
  }

  list(xs: readonly string[]): readonly string[] {
    if (xs.length === 0) return EMPTY;
    const key = xs.join("\u0000");
    const held = this.lists.get(key);
    if (held !== undefined) return held;
    this.room();
    const copy = Object.freeze(xs.map((x) => this.string(x)));
    this.lists.set(key, copy);
    return copy;
  }

  /** The row's copy; its uuid and time (unique to the flow) are not interned. */
  row(r: FlowRow): FlowRow {
    return {
      ...r,
      verdict: this.string(r.verdict),
      dropReason: this.string(r.dropReason),
      flowType: this.string(r.flowType),
      source: this.endpoint(r.source),
      destination: this.endpoint(r.destination),
      l4Protocol: this.string(r.l4Protocol),
      tcpFlags: this.list(r.tcpFlags),
      l7: r.l7 && this.l7(r.l7),
      direction: this.string(r.direction),
      node: this.string(r.node),
      summary: this.string(r.summary),
      traceObservationPoint: this.string(r.traceObservationPoint),
      authType: this.string(r.authType),
      allowedBy: this.policies(r.allowedBy),
      deniedBy: this.policies(r.deniedBy),
    };
  }

  private endpoint(e: FlowEndpointView): FlowEndpointView {
    return {
      ...e,
      namespace: this.string(e.namespace),
      pod: this.string(e.pod),
      workload: this.string(e.workload),
      workloadKind: this.string(e.workloadKind),
      labels: this.list(e.labels),
      ip: this.string(e.ip),
      names: this.list(e.names),
      service: this.string(e.service),
      cluster: this.string(e.cluster),
    };
  }

  private l7(l7: FlowL7View): FlowL7View {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(l7)) {
      out[k] = typeof v === "string" ? this.string(v) : Array.isArray(v) ? this.list(v as string[]) : v;
    }
    return out as unknown as FlowL7View;
  }

  private policies(refs: readonly PolicyRef[]): readonly PolicyRef[] {
    if (refs.length === 0) return EMPTY;
    return refs.map((p) => ({ kind: this.string(p.kind), namespace: this.string(p.namespace), name: this.string(p.name) }));
  }

  private room(): void {
    if (this.strings.size + this.lists.size < this.maxEntries) return;
    this.strings = new Map();
    this.lists = new Map();
  }
}
