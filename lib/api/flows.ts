// `GET /api/flows/history` (NDJSON: one `hubble observe -o jsonpb` line per flow or lost event; the
// browser reads it with lib/flow-json) and `GET /api/flows/counts`. `GET /api/flows` is the SSE
// stream: its events are lib/sse.ts.

/**
 * What a flow counts under in the per-minute rollup of the flow history: the map's edge (both ends,
 * port, protocol) with the verdict and drop reason (the store's key; server/flow-store/store.ts).
 */
export interface EdgeKeyView {
  readonly srcNamespace: string;
  readonly srcWorkload: string;
  readonly srcIdentity: number;
  readonly dstNamespace: string;
  readonly dstWorkload: string;
  readonly dstIdentity: number;
  /** 0 without L4 ports. */
  readonly dstPort: number;
  /** TCP, UDP, ICMPv4, …; "" without L4. */
  readonly protocol: string;
  readonly verdict: string;
  /** drop_reason_desc, "" unless dropped. */
  readonly dropReason: string;
  /** INGRESS, EGRESS or TRAFFIC_DIRECTION_UNKNOWN. */
  readonly direction: string;
  /** L3_L4, L7, SOCK, … */
  readonly flowType: string;
}

/** One edge's flow count (per minute with `per=minute`, else over the window). */
export interface EdgeCountView extends EdgeKeyView {
  /** Start of the minute, ms; 0 when the counts are summed over the window. */
  readonly minuteMs: number;
  readonly count: number;
}

/** `GET /api/flows/counts?since=…[&until=…][&verdict=…][&namespace=…][&per=minute]`. */
export interface FlowCountsResponse {
  readonly since: string;
  readonly until: string;
  /** The oldest count the history keeps, when it has any. */
  readonly reachesBack?: string;
  readonly total: number;
  /** More edges than the answer holds (10,000). */
  readonly truncated: boolean;
  readonly edges: readonly EdgeCountView[];
}
