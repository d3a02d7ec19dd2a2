// Replies and L7 responses travel server → client, but policy is only ever checked on the
// connection's first packet (client → server) and on each L7 request (§9, §11.6). These turn
// such a flow back into the flow policy actually judged: sides swapped, the server's port (the
// reply's source port) as the destination port, and for an L7 response the request it answers
// (Hubble copies the request's method and URL into the response record).

import type { FlowFacts, L4 } from "./flow";

/** The reply's connection as its first packet looked: client → server on the server's port. */
export function connectionOf(f: FlowFacts): FlowFacts {
  return {
    ...f,
    source: f.destination,
    destination: f.source,
    l4: serverPort(f.l4),
    l7: undefined,
    l7Type: undefined,
    verdict: "FORWARDED",
    dropReason: undefined,
    isReply: false,
    // For replies Hubble's traffic_direction is relative to the connection, and unverified (§11.6).
    direction: undefined,
    // Policy-verdict fields describe the packet they came with, not the connection's first one.
    allowedBy: { ingress: [], egress: [] },
    deniedBy: { ingress: [], egress: [] },
  };
}

/**
 * The request an L7 response answers. `traffic_direction` stays: it names the proxy's side of
 * the connection (INGRESS for the server's rules), which is where the request was judged.
 */
export function requestOf(f: FlowFacts): FlowFacts {
  return { ...connectionOf(f), l7: f.l7, l7Type: "REQUEST", direction: f.direction, eventType: f.eventType };
}

/** Without a source port (trimmed exports) the destination port is kept: the best there is. */
function serverPort(l4: L4): L4 {
  if ((l4.proto === "TCP" || l4.proto === "UDP" || l4.proto === "SCTP") && l4.sourcePort !== undefined && l4.sourcePort > 0) {
    return { proto: l4.proto, port: l4.sourcePort, sourcePort: l4.port };
  }
  return l4;
}

/** An L7 response whose record carries the request it answers (method and URL, a DNS query…). */
export function isL7Response(f: FlowFacts): boolean {
  if (f.l7Type !== "RESPONSE" || !f.l7) return false;
  switch (f.l7.kind) {
    case "http":
      return f.l7.method !== "" || f.l7.url !== "";
    case "dns":
      return f.l7.query !== "";
    case "kafka":
      return f.l7.apiKey !== "" || f.l7.topic !== "";
    default:
      return false;
  }
}
