// Hubble's and Cilium's names for the numbers a flow carries, written once: event types as
// `hubble observe --type` takes them, trace observation points, reserved security identities.
// Every table is number → name; the name → number tables are made from them.

/** Cilium monitor message types (`event_type.type`), by the names `hubble observe --type` takes. */
export const EVENT_TYPE_NAME: Readonly<Record<number, string>> = {
  1: "drop",
  2: "debug",
  3: "capture",
  4: "trace",
  5: "policy-verdict",
  7: "trace-sock",
  129: "l7",
  130: "agent",
};

/** Trace observation points (`event_type.sub_type` of a trace event; monitor API TraceObservationPoints). */
export const TRACE_POINT_NAME: Readonly<Record<number, string>> = {
  0: "to-endpoint",
  1: "to-proxy",
  2: "to-host",
  3: "to-stack",
  4: "to-overlay",
  5: "from-endpoint",
  6: "from-proxy",
  7: "from-host",
  8: "from-stack",
  9: "from-overlay",
  10: "from-network",
  11: "to-network",
  12: "from-crypto",
  13: "to-crypto",
};

/** Reserved security identities (cilium pkg/identity, `GetReservedID`). */
export const RESERVED_IDENTITY_NAME: Readonly<Record<number, string>> = {
  1: "host",
  2: "world",
  3: "unmanaged",
  4: "health",
  5: "init",
  6: "remote-node",
  7: "kube-apiserver",
  8: "ingress",
  9: "world-ipv4",
  10: "world-ipv6",
};

export const EVENT_TYPE_NUMBER = byName(EVENT_TYPE_NAME);
export const TRACE_POINT_NUMBER = byName(TRACE_POINT_NAME);
export const RESERVED_IDENTITY_NUMBER = byName(RESERVED_IDENTITY_NAME);

/** The monitor message types the dashboard tells apart. */
export const EVENT_TYPE = { drop: 1, trace: 4, policyVerdict: 5, l7: 129 } as const;

function byName(table: Readonly<Record<number, string>>): Readonly<Record<string, number>> {
  return Object.freeze(Object.fromEntries(Object.entries(table).map(([n, name]) => [name, Number(n)])));
}
